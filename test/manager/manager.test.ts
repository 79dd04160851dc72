// The Manager's scenarios (issue 5): objects in a server process reached
// from child processes through proxies, over a Unix socket and over TCP,
// with the authkey checked, locks of dead clients released, user types
// registered by module task, and references counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthenticationError, InvalidStateError, KeyError, RemoteError } from '../../src/errors.js';
import { BaseManager } from '../../src/manager/base-manager.js';
import { Manager } from '../../src/manager/manager.js';
import type { DictProxy, ListProxy, LockProxy } from '../../src/manager/proxy-types.js';
import { Process } from '../../src/run/process.js';
import { moduleTask } from '../../src/run/task.js';
import { ManagerServer } from '../../src/manager/server.js';
import { builtinTypes } from '../../src/manager/builtin-types.js';
import { arbitraryAddress } from '../../src/manager/address.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('three child processes appending to a manager list three times each: nine items', async () => {
  await using manager = new Manager();
  await manager.start();
  const list = await manager.list<string>();
  const children = range(3).map((n) => new Process({
    target: async (items: ListProxy<string>, who: number) => {
      for (let i = 0; i < 3; i++) await items.append(`${who}:${i}`);
    },
    args: [list, n],
  }));
  for (const child of children) child.start();
  for (const child of children) await child.join();
  assert.deepEqual(children.map((c) => c.exitCode), [0, 0, 0]);
  assert.equal(await list.len(), 9);
  assert.deepEqual((await list.toArray()).sort(), range(3).flatMap((who) => range(3).map((i) => `${who}:${i}`)));
});

test('a child sets d[1], d["2"], d[0.25] and reverses a list of range(10); the parent sees it all', async () => {
  await using manager = new Manager();
  await manager.start();
  const d = await manager.dict();
  const l = await manager.list(range(10));
  const child = new Process({
    target: async (dict: DictProxy, list: ListProxy) => {
      await dict.set(1, '1');
      await dict.set('2', 2);
      await dict.set(0.25, null);
      await list.reverse();
    },
    args: [d, l],
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
  assert.deepEqual(await d.entries(), [[1, '1'], ['2', 2], [0.25, null]]);
  assert.deepEqual(await l.slice(), range(10).reverse());
});

test('TCP with an authkey: a second process connects and uses the objects; a wrong key is an AuthenticationError', async () => {
  await using manager = new Manager({ address: { host: '127.0.0.1', port: 0 }, authkey: 'tcp secret' });
  await manager.start();
  const address = manager.address as { host: string; port: number };
  assert.notEqual(address.port, 0, 'the real port is known after start()');
  const shared = await manager.dict<string, number>({ hits: 0 });
  const child = new Process({
    target: async (where: { host: string; port: number }, id: number, managerUrl: string) => {
      const { BaseManager } = await import(managerUrl);
      const remote = new BaseManager({ address: where, authkey: 'tcp secret' });
      await remote.connect();
      const d = await remote.create('dict', { from: 'child' });
      await d.set('id', id);
      await remote.shutdown(); // a connected manager only closes its connections
    },
    args: [address, shared.objectId, new URL('../../src/manager/base-manager.ts', import.meta.url).href],
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
  // The child's dict was released when it disconnected; the shared one is still there.
  assert.equal(await shared.get('hits'), 0);

  const intruder = new BaseManager({ address, authkey: 'wrong' });
  await assert.rejects(intruder.connect(), AuthenticationError);
  const refusing = new Process({
    target: async (where: { host: string; port: number }, managerUrl: string, errorsUrl: string) => {
      const { BaseManager } = await import(managerUrl);
      const { AuthenticationError } = await import(errorsUrl);
      try {
        await new BaseManager({ address: where, authkey: 'guess' }).connect();
      } catch (error) {
        process.exit(error instanceof AuthenticationError ? 7 : 1);
      }
      process.exit(2);
    },
    args: [address, new URL('../../src/manager/base-manager.ts', import.meta.url).href, new URL('../../src/errors.ts', import.meta.url).href],
  });
  refusing.start();
  await refusing.join();
  assert.equal(refusing.exitCode, 7, 'the second process is refused with an AuthenticationError');
  assert.equal(await shared.get('hits'), 0, 'the server is still up for the right key');
});

test('a client killed while holding a lock (and while waiting on another) leaves no lock held', async () => {
  await using manager = new Manager();
  await manager.start();
  const lock = await manager.Lock();
  const other = await manager.Lock();
  const rlock = await manager.RLock();
  await other.acquire();
  const started = await manager.Event();
  const child = new Process({
    target: async (held: LockProxy, waited: LockProxy, reentrant: LockProxy, ready: { set(): Promise<void> }) => {
      await held.acquire();
      await reentrant.acquire();
      await reentrant.acquire();
      await ready.set();
      await waited.acquire(); // parked in the server when the process dies
    },
    args: [lock, other, rlock, started],
  });
  child.start();
  assert.equal(await started.wait({ timeout: 20_000 }), true);
  assert.equal(await lock.locked(), true);
  child.kill();
  await child.join();
  assert.equal(await lock.acquire({ timeout: 5000 }), true, "the dead client's lock was released");
  assert.equal(await rlock.acquire({ timeout: 5000 }), true, "the dead client's RLock was released, however deep");
  await other.release();
  assert.equal(await other.acquire({ timeout: 5000 }), true, 'the dead waiter did not take the other lock');
});

test('a blocking call does not stall the server: a queue get waits while other calls are served', async () => {
  await using manager = new Manager();
  await manager.start();
  const queue = await manager.Queue<string>();
  const d = await manager.dict();
  const waiting = queue.get();
  for (let i = 0; i < 20; i++) await d.set(i, i);
  assert.equal(await d.len(), 20);
  await queue.put('done');
  assert.equal(await waiting, 'done');
  await assert.rejects(queue.get({ timeout: 20 }), { name: 'QueueEmptyError' });
});

class CounterManager extends BaseManager {}
CounterManager.register('Counter', moduleTask(new URL('./fixtures/counter.ts', import.meta.url), 'makeCounter'));
CounterManager.register('Limited', moduleTask(new URL('./fixtures/counter.ts', import.meta.url), 'makeCounter'), { exposed: ['value'] });

test('register(): a user type made by a module task in the server; only exposed (public) methods; errors arrive typed', async () => {
  await using manager = new CounterManager();
  await manager.start();
  const counter = await manager.create('Counter', 5);
  assert.equal(await counter.increment(), 6);
  assert.equal(await counter.increment(4), 10);
  assert.deepEqual([...counter.exposed].sort(), ['fail', 'increment', 'value']);
  await assert.rejects(counter.callMethod('_hidden'), { name: 'TypeError', message: /"_hidden" of a Counter is not exposed/ });
  await assert.rejects(counter.fail(), (error: unknown) => error instanceof RemoteError && error.remoteName === 'CounterError' && /no, at 10/.test(error.message));
  const viaMethod = await (manager as unknown as { Counter(start: number): Promise<typeof counter> }).Counter(1);
  assert.equal(await viaMethod.value(), 1);
  const limited = await manager.create('Limited', 3);
  assert.equal(await limited.value(), 3);
  await assert.rejects(limited.callMethod('increment'), TypeError);
  assert.equal(await counter.value(), 10, 'a refused call changed nothing');
  await assert.rejects(manager.create('Nope'), { name: 'TypeError', message: /no typeid "Nope"/ });
});

test('a plain-function factory works with a server in this process, and is refused by start()', async () => {
  class Local extends BaseManager {}
  class Box {
    constructor(readonly value: unknown) {}
    get(): unknown {
      return this.value;
    }
  }
  Local.register('Box', (value: unknown) => new Box(value));
  await assert.rejects(new Local().start(), /cannot reach the server process; register a moduleTask/);
  const server = new Local({ authkey: 'k' });
  await server.listen();
  try {
    const client = new Local({ address: server.address, authkey: 'k' });
    await client.connect();
    const box = await client.create('Box', 42);
    assert.equal(await box.get(), 42);
  } finally {
    await server.shutdown();
  }
});

test('errors of weft and built-in classes arrive as themselves; a released object is a ReferenceError', async () => {
  await using manager = new Manager();
  await manager.start();
  const d = await manager.dict();
  await assert.rejects(d.pop('missing'), (error: unknown) => error instanceof KeyError && error.key === 'missing');
  const r = await manager.RLock();
  await assert.rejects(r.release(), InvalidStateError);
  await assert.rejects(d.callMethod('get', 'not an array' as never), TypeError);
});

test('references: an object goes when the last connection holding it closes or its proxy is collected; a stored one stays', async () => {
  const authkey = Buffer.from('refs');
  const server = new ManagerServer({ authkey, types: builtinTypes });
  const address = await server.listen(arbitraryAddress());
  try {
    const peer = new Manager({ address, authkey });
    await peer.connect();
    const d = await peer.dict<string, unknown>({ a: 1 });
    const inner = await peer.list([1]);
    await d.set('inner', inner); // stored in another object: pinned
    await (async () => {
      await peer.dict(); // a proxy nobody keeps
    })();
    assert.equal(server.objectCount, 3);
    for (let i = 0; i < 50 && server.objectCount > 2; i++) {
      gc();
      await sleep(20);
    }
    assert.equal(server.objectCount, 2, 'a collected proxy gave its reference back');
    await peer.shutdown(); // closes the connection: its references go
    for (let i = 0; i < 50 && server.objectCount > 1; i++) await sleep(20);
    assert.equal(server.objectCount, 1, 'only the list stored in the dict is left');
  } finally {
    await server.close();
  }
});

test('a proxy passed to a Thread and to a process pool task reaches the same object', async () => {
  const { Thread } = await import('../../src/run/thread.js');
  const { ProcessPoolExecutor } = await import('../../src/pool/process-pool.js');
  await using manager = new Manager();
  await manager.start();
  const list = await manager.list<string>();
  const thread = new Thread({ target: async (items: ListProxy<string>) => { await items.append('thread'); }, args: [list] });
  thread.start();
  await thread.join();
  assert.equal(thread.exception, undefined);
  const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  try {
    await pool.submit(async (items: ListProxy<string>) => { await items.append('pool task'); }, list);
  } finally {
    await pool.shutdown();
  }
  assert.deepEqual(await list.toArray(), ['thread', 'pool task']);
});

test('Condition: a child waits, the parent notifies under the lock; wait times out with false; not held is InvalidStateError', async () => {
  await using manager = new Manager();
  await manager.start();
  const condition = await manager.Condition();
  const box = await manager.Value<string | null>('u', null);
  const waiting = await manager.Event();
  const child = new Process({
    target: async (
      cond: { acquire(): Promise<boolean>; wait(o?: object): Promise<boolean>; release(): Promise<void> },
      value: { get(): Promise<unknown>; set(v: unknown): Promise<void> },
      ready: { set(): Promise<void> },
    ) => {
      await cond.acquire();
      await cond.acquire(); // reentrant: wait lets go of both levels
      await ready.set();
      while ((await value.get()) === null) await cond.wait();
      await value.set(`seen ${String(await value.get())}`);
      await cond.release();
      await cond.release();
    },
    args: [condition, box, waiting],
  });
  child.start();
  assert.equal(await waiting.wait({ timeout: 20_000 }), true);
  assert.equal(await condition.acquire({ timeout: 10_000 }), true, 'wait() released the lock, both levels');
  await box.set('hello');
  await condition.notify();
  await condition.release();
  await child.join();
  assert.equal(child.exitCode, 0);
  assert.equal(await box.get(), 'seen hello');
  await assert.rejects(condition.notify(), InvalidStateError);
  await condition.acquire();
  const started = performance.now();
  assert.equal(await condition.wait({ timeout: 50 }), false);
  assert.ok(performance.now() - started >= 45);
  await condition.release();
});

test('the frame limit: a request or a result over maxFrameBytes is a RangeError saying so; the connection stays', async () => {
  await using manager = new Manager({ maxFrameBytes: 2048 });
  await manager.start();
  const list = await manager.list<string>();
  await assert.rejects(list.append('x'.repeat(5000)), { name: 'RangeError', message: /the request is \d+ bytes, over the manager's frame limit of 2048 bytes/ });
  for (let i = 0; i < 3; i++) await list.append('y'.repeat(1000));
  await assert.rejects(list.toArray(), { name: 'RangeError', message: /the result is \d+ bytes, over the manager's frame limit/ });
  assert.equal(await list.len(), 3, 'the connection is still up');
});

test('<method>Sync: a child process and a worker thread call a manager blocking, as Python does; errors keep their class', async () => {
  const { Thread } = await import('../../src/run/thread.js');
  await using manager = new Manager();
  await manager.start();
  const d = await manager.dict<string, unknown>();
  const lock = await manager.Lock();
  const child = new Process({
    target: (dict: DictProxy<string, unknown>, held: LockProxy) => {
      dict.setSync('child', process.pid);
      if (!held.acquireSync()) process.exit(3);
      dict.setSync('locked', held.lockedSync());
      held.releaseSync();
      try {
        dict.popSync('missing');
      } catch (error) {
        dict.setSync('error', (error as Error).name);
      }
      dict.setSync('len', dict.lenSync());
    },
    args: [d, lock],
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
  const thread = new Thread({ target: (dict: DictProxy<string, unknown>) => { dict.setSync('thread', dict.getSync('error')); }, args: [d] });
  thread.start();
  await thread.join();
  assert.equal(thread.exception, undefined);
  assert.equal(typeof (await d.get('child')), 'number');
  assert.equal(await d.get('locked'), true);
  assert.equal(await d.get('error'), 'KeyError');
  assert.equal(await d.get('len'), 3);
  assert.equal(await d.get('thread'), 'KeyError');
  assert.equal(await lock.locked(), false);
});
