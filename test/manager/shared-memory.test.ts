// The same-host fast path of a manager connection (shm-ring.ts): calls go
// on shared-memory rings when the client is on the server's host; the
// socket carries what does not fit, in order; `sharedMemory: false` keeps
// everyone on the socket; several client processes at once; a client
// killed mid-call leaves no lock held; and a client scribbling on its ring
// is cut off like one sending a bad frame, the others unaffected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { arbitraryAddress } from '../../src/manager/address.js';
import { builtinTypes } from '../../src/manager/builtin-types.js';
import { sharedConnection } from '../../src/manager/client.js';
import { Manager } from '../../src/manager/manager.js';
import type { BarrierProxy, DictProxy, ListProxy, LockProxy } from '../../src/manager/proxy-types.js';
import { ManagerServer } from '../../src/manager/server.js';
import { openRings, RING_LARGEST, SEGMENT_BYTES, SEGMENT_TAG, Written } from '../../src/manager/shm-ring.js';
import { decodeMessage, encodeMessage } from '../../src/manager/wire.js';
import { processesAvailability } from '../../src/memory/native.js';
import { attachNamedSegment } from '../../src/memory/segments.js';
import { Worker } from 'node:worker_threads';
import { processesMemory } from '../../src/memory/processes-memory.js';
import { workerScript } from '../../src/run/bootstrap.js';
import { Process } from '../../src/run/process.js';
import { Thread } from '../../src/run/thread.js';
import { authenticated, closedWithin, honestCalls } from './raw-client.js';

const available = processesAvailability().available;
const root = fileURLToPath(new URL('../../', import.meta.url));

test('the processes scope is available here (every test below needs it)', () => {
  assert.equal(available, true, 'the native addon must be built for these tests');
});

test('a client on the host uses the rings; sharedMemory: false keeps it on the socket, with the same results', async () => {
  for (const sharedMemory of [true, false]) {
    await using manager = new Manager({ sharedMemory });
    await manager.start();
    const d = await manager.dict<string, number>();
    const connection = await sharedConnection(manager.address, manager.authkey);
    assert.equal(connection.sharedMemory, sharedMemory, `sharedMemory: ${sharedMemory}`);
    let sum = 0;
    for (let i = 0; i < 2000; i++) {
      await d.set(`k${i % 50}`, i);
      sum += (await d.get(`k${i % 50}`))!;
    }
    assert.equal(sum, (1999 * 2000) / 2);
    assert.equal(await d.len(), 50);
  }
});

test('a worker thread\'s client uses the rings too, awaited and sync calls alike; its process exits cleanly with them mapped', async () => {
  // In a child process, so its exit — worker threads still mapping ring segments — is what is checked.
  const script = `
    import { Manager } from './src/manager/manager.ts';
    import { Thread } from './src/run/thread.ts';
    const manager = new Manager();
    await manager.start();
    const d = await manager.dict();
    const report = new Int32Array(new SharedArrayBuffer(12));
    const thread = new Thread({ target: async (d, address, authkey, url, report) => {
      const { sharedConnection } = await import(url);
      const connection = await sharedConnection(address, authkey);
      for (let i = 0; i < 500; i++) await d.set('k' + (i % 10), i);
      for (let i = 0; i < 50; i++) d.setSync('s' + i, i);
      report[0] = connection.sharedMemory ? 1 : 2;
      report[1] = d.getSync('k9');
      report[2] = d.getSync('s49');
    }, args: [d, manager.address, manager.authkey, new URL('./src/manager/client.ts', 'file://' + process.cwd() + '/').href, report] });
    thread.start();
    await thread.join();
    console.log(JSON.stringify({ report: [...report], size: await d.len() }));
    await manager.shutdown();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  assert.equal(signal, null, `the process died of ${signal}: ${err}`);
  assert.equal(code, 0, err);
  assert.deepEqual(JSON.parse(out), { report: [1, 499, 49], size: 60 });
});

test('sync calls in a worker thread go on rings of the thread\'s own; requests and replies too big for a ring still arrive; sharedMemory: false uses the helper', async () => {
  for (const sharedMemory of [true, false]) {
    await using manager = new Manager({ sharedMemory });
    await manager.start();
    const d = await manager.dict<string, unknown>();
    const thread = new Thread({
      target: async (d: DictProxy<string, unknown>, address: unknown, authkey: Uint8Array, url: string, largest: number) => {
        const { usesOwnRings } = await import(url);
        d.setSync('a', 1);
        const ownRings = usesOwnRings(address, authkey);
        const big = 'y'.repeat(largest + 100);
        d.setSync('big', big); // the request is too big for a ring
        const bigBack = d.getSync('big') === big; // and so is the reply: it comes on the socket
        let sum = 0;
        for (let i = 0; i < 300; i++) {
          d.setSync(`k${i % 30}`, i);
          sum += d.getSync(`k${i % 30}`) as number;
        }
        let error = '';
        try {
          d.popSync('missing');
        } catch (caught) {
          error = (caught as Error).name;
        }
        d.setSync('report', { ownRings, bigBack, sum, error, a: d.getSync('a') });
      },
      args: [d, manager.address, manager.authkey, new URL('../../src/manager/sync-calls.ts', import.meta.url).href, RING_LARGEST],
    });
    thread.start();
    await thread.join();
    assert.deepEqual(await d.get('report'), { ownRings: sharedMemory, bigBack: true, sum: (299 * 300) / 2, error: 'KeyError', a: 1 });
  }
});

test('a sync call from the thread that runs the manager\'s server is refused (it could never be answered), not a hang', async () => {
  const manager = new Manager({ address: arbitraryAddress() });
  await manager.listen(); // the server runs in this thread
  try {
    const d = await manager.dict<string, number>();
    await d.set('k', 1);
    assert.throws(() => d.getSync('k'), { name: 'InvalidStateError', message: /from the thread that runs its server would never be answered/ });
    assert.equal(await d.get('k'), 1);
  } finally {
    await manager.shutdown();
  }
});

test('a sync call blocked on its own rings fails with EOFError when the manager goes away', async () => {
  const manager = new Manager();
  await manager.start();
  const barrier = await manager.Barrier(2); // the thread waits at it; nobody else comes
  const report = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: (barrier: BarrierProxy, report: Int32Array) => {
      try {
        barrier.waitSync(); // blocks in the thread until the manager is gone
        Atomics.store(report, 0, 2);
      } catch (error) {
        Atomics.store(report, 0, (error as Error).name === 'EOFError' ? 1 : 3);
      }
    },
    args: [barrier, report],
  });
  thread.start();
  // Handshake: the server holds the thread's wait once the barrier counts it.
  while ((await barrier.nWaiting()) === 0) await sleep(5);
  await manager.shutdown();
  await thread.join();
  assert.equal(Atomics.load(report, 0), 1, 'the blocked call did not fail with EOFError');
});

test('calls in flight keep their order across the ring and the socket (items and results too big for the ring)', async () => {
  await using manager = new Manager();
  await manager.start();
  const list = await manager.list<string | number>();
  const big = (i: number) => `${i}:${'x'.repeat(RING_LARGEST + 100)}`;
  const calls: Promise<void>[] = [];
  const expected: (string | number)[] = [];
  for (let i = 0; i < 3000; i++) {
    const item = i % 500 === 7 || i % 500 === 8 ? big(i) : i; // two in a row, too
    expected.push(item);
    calls.push(list.append(item));
  }
  await Promise.all(calls);
  const items = await list.toArray(); // over the ring's largest message: comes back on the socket
  assert.equal(items.length, expected.length);
  assert.deepEqual(items, expected);
  assert.equal((await sharedConnection(manager.address, manager.authkey)).sharedMemory, true);
});

test('several client processes at once, on their own rings: every call counted, nothing lost', async () => {
  await using manager = new Manager();
  await manager.start();
  const d = await manager.dict<string, number>();
  const list = await manager.list<number>();
  const lock = await manager.Lock();
  const counter = await manager.Value('i', 0);
  const children = [0, 1, 2].map((who) => new Process({
    target: async (dict: DictProxy<string, number>, items: ListProxy<number>, held: LockProxy, count: any, who: number) => {
      for (let i = 0; i < 1000; i++) {
        await dict.set(`c${who}.${i % 100}`, i);
        if (i % 10 === 0) await items.append(who * 1000 + i);
        await held.acquire();
        await count.set((await count.get()) + 1);
        await held.release();
      }
    },
    args: [d, list, lock, counter, who],
  }));
  for (const child of children) child.start();
  for (const child of children) await child.join();
  assert.deepEqual(children.map((child) => child.exitCode), [0, 0, 0]);
  assert.equal(await counter.get(), 3000, 'every increment under the lock counted');
  assert.equal(await d.len(), 300);
  for (const who of [0, 1, 2]) assert.equal(await d.get(`c${who}.99`), 999);
  const appended = await list.toArray();
  assert.equal(appended.length, 300);
  assert.equal(new Set(appended).size, 300, 'nothing duplicated');
  assert.equal(await lock.locked(), false);
});

test('a client process SIGKILLed in the middle of ring calls leaves no lock held; the server serves on', async () => {
  await using manager = new Manager();
  await manager.start();
  const lock = await manager.Lock();
  const d = await manager.dict<string, number>();
  const started = await manager.Event();
  const child = new Process({
    target: async (held: LockProxy, dict: DictProxy<string, number>, ready: { set(): Promise<void> }) => {
      await held.acquire();
      await ready.set();
      for (let i = 0; ; i++) await dict.set('busy', i); // killed somewhere in here
    },
    args: [lock, d, started],
  });
  child.start();
  assert.equal(await started.wait({ timeout: 20_000 }), true);
  // Killed only once it is seen calling (its sets reach the dict).
  const deadline = performance.now() + 20_000;
  while (((await d.get('busy')) ?? 0) < 10) {
    assert.ok(performance.now() < deadline, 'the child never called');
    await sleep(2);
  }
  assert.equal(await lock.locked(), true);
  child.kill(); // SIGKILL
  await child.join();
  assert.equal(await lock.acquire({ timeout: 5000 }), true, "the dead client's lock was released");
  const last = (await d.get('busy'))!;
  assert.ok(last > 0, 'the child was calling when it died');
  await d.set('after', 1);
  assert.equal(await d.get('after'), 1);
  await lock.release();
});

/** Asks for rings as a client does; returns the segment's name and the mapped rings. */
async function rawRings(address: string, authkey: Uint8Array) {
  const raw = await authenticated(address, authkey, 1 << 20);
  const reply = new Promise<Record<string, unknown>>((resolve) => {
    raw.framed.onFrame = (frame) => resolve(decodeMessage(frame));
  });
  raw.framed.send(encodeMessage({ i: 1, op: 'ring' }, 'a', 'args'));
  const { segment } = (await reply).v as { segment: string };
  const memory = attachNamedSegment(segment, { tag: SEGMENT_TAG, byteLength: SEGMENT_BYTES });
  return { ...raw, segment, memory, rings: openRings(memory) };
}

/**
 * A segment's rings with the server's side in a worker thread (fixtures/ring-writer.ts): once the
 * client blocks on its reply ring, the worker writes a reply (or, with `socket`, sends it "on the
 * socket" and wakes the blocked reader). Returns the client's reply ring, and the worker's report
 * in `flags[1]`.
 */
function serverThread(socket: boolean) {
  const segment = processesMemory.allocate(SEGMENT_BYTES);
  const flags = new Int32Array(processesMemory.allocate(8)); // [1]: the worker's report
  const { replies } = openRings(segment); // the client's side: it reads the replies
  const { script, eval: evaluate, workerData } = workerScript(new URL('./fixtures/ring-writer.ts', import.meta.url), { segment, flags, socket });
  const writer = new Worker(script, { eval: evaluate, workerData });
  const exited = new Promise((resolve) => writer.once('exit', resolve));
  return { segment, replies, flags, exited };
}

test('a client with nothing else to do blocks for its reply in a futex: the write wakes it, with no doorbell; with no reply it gives up in time', async () => {
  const { segment, replies, flags, exited } = serverThread(false);
  const started = performance.now();
  assert.equal(replies.blockForMessage(20_000), true, 'woken with the reply there');
  assert.ok(performance.now() - started < 10_000, 'woken by the write, not by the deadline');
  assert.deepEqual(replies.read(), new Uint8Array([1, 2, 3]));
  await exited;
  assert.equal(Atomics.load(flags, 1), Written.Wake, 'a blocked reader asks for a futex wake, not a doorbell');
  // Nothing comes: back after its time, and the sleep word is clear again.
  const quiet = processesMemory.allocate(SEGMENT_BYTES);
  const client = openRings(quiet).replies;
  const server = openRings(quiet).replies;
  const before = performance.now();
  assert.equal(client.blockForMessage(30), false);
  assert.ok(performance.now() - before >= 25, 'it waited its time');
  assert.equal(server.write(new Uint8Array([9]), 1), Written.Done, 'no one sleeps now: no doorbell, no wake');
  assert.deepEqual(client.read(), new Uint8Array([9]));
  assert.equal(client.sleepOnSocket(), true);
  assert.equal(server.write(new Uint8Array([10]), 1), Written.RingDoorbell, 'sleeping in the event loop still asks for the doorbell');
});

test('a client blocked for a reply the server sends on the socket is woken at once, to read its socket', async () => {
  const { segment, replies, flags, exited } = serverThread(true);
  const started = performance.now();
  assert.equal(replies.blockForMessage(20_000), false, 'woken with nothing on the ring');
  assert.ok(performance.now() - started < 10_000, 'woken, not timed out');
  await exited;
  assert.equal(Atomics.load(flags, 1), 1, 'the writer found the reader blocked');
  const server = openRings(segment).replies;
  assert.equal(server.takeBlocked(), false, 'nobody blocks now');
  assert.equal(server.write(new Uint8Array([4]), 1), Written.Done);
});

test('the segment is private: mode 0600, an unguessable name told only to the authenticated client', async () => {
  const authkey = Buffer.from('ring key');
  const server = new ManagerServer({ authkey, types: builtinTypes });
  const address = (await server.listen(arbitraryAddress())) as string;
  try {
    const raw = await rawRings(address, authkey);
    assert.match(raw.segment, /\.manager-[0-9a-f]{32}\./, '128 random bits in the name');
    assert.equal(statSync(`/dev/shm/${raw.segment}`).mode & 0o777, 0o600);
    const other = await rawRings(address, authkey);
    assert.notEqual(other.segment, raw.segment, 'each connection has its own segment');
    raw.socket.destroy();
    other.socket.destroy();
  } finally {
    await server.close();
  }
});

test('a client scribbling on its ring is cut off like one sending a bad frame; the server and an honest client go on', async () => {
  const authkey = Buffer.from('ring key');
  const server = new ManagerServer({ authkey, types: builtinTypes });
  const address = (await server.listen(arbitraryAddress())) as string;
  try {
    const honest = new Manager({ address, authkey });
    await honest.connect();
    const own = await honest.dict<number, number>();
    const target = await honest.dict<string, string>({ keep: 'me' });
    const steady = honestCalls(own);

    const attacks: ((raw: Awaited<ReturnType<typeof rawRings>>) => void)[] = [
      // Garbage where a message should be: undecodable, as a bad frame.
      (raw) => {
        const garbage = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255));
        raw.rings.requests.write(garbage, garbage.length);
      },
      // Garbage, then a valid request behind it: nothing after the garbage runs.
      (raw) => {
        const garbage = Buffer.from([0xff, 0xfe, 0xfd, 0xfc, 0xfb]);
        raw.rings.requests.write(garbage, garbage.length);
        const valid = encodeMessage({ i: 2, op: 'call', id: target.objectId, m: 'set', a: ['keep', 'changed'] }, 'a', 'args');
        raw.rings.requests.write(valid, valid.length);
      },
      // A tail that is not a multiple of 4.
      (raw) => Atomics.store(new Int32Array(raw.memory), 0, 6),
      // A tail more than a ring ahead.
      (raw) => Atomics.store(new Int32Array(raw.memory), 0, 1 << 30),
      // A message length past the tail, then one past the ring's end.
      (raw) => {
        const words = new Int32Array(raw.memory);
        words[512 / 4] = 4096;
        Atomics.store(words, 0, 8);
      },
      (raw) => {
        const words = new Int32Array(raw.memory);
        words[512 / 4] = -5;
        Atomics.store(words, 0, 8);
      },
      // A well-formed request for the honest client's dict, with a call id that is not a number.
      (raw) => {
        const bytes = encodeMessage({ i: 'x', op: 'call', id: target.objectId, m: 'set', a: ['keep', 'changed'] }, 'a', 'args');
        raw.rings.requests.write(bytes, bytes.length);
      },
    ];
    for (const attack of attacks) {
      const raw = await rawRings(address, authkey);
      attack(raw);
      raw.framed.ringDoorbell();
      assert.ok(await closedWithin(raw.socket, 3000), `the server closed the connection after attack ${attacks.indexOf(attack)}`);
    }
    assert.ok((await steady.stop()) > 0);
    assert.equal(await target.get('keep'), 'me', 'no rejected message changed anything');
  } finally {
    await server.close();
  }
});
