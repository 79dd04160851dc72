// The queue family and Pipe in the processes scope: the threads-scope queues
// over processes memory, used from child Processes on the other side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import { Queue as ThreadsQueue } from '../../src/queue/queue.js';
import { Lock as ThreadsLock } from '../../src/sync/lock.js';
import { Connection } from '../../src/queue/connection.js';
import { Pipe } from '../../src/queue/pipe.js';
import { DataCloneError, EOFError, QueueEmptyError, QueueFullError } from '../../src/errors.js';
import { PUT_LOCK, PUT_STAMP } from '../../src/queue/layout.js';
import { describe } from '../../src/share/protocol.js';
import { sourceUrl } from '../support/processes.js';
import { queueWaiters } from '../conformance/support.js';
import { SCOPE } from '../../src/share/protocol.js';
import type { Queue } from '../../src/queue/queue.js';
import type { JoinableQueue } from '../../src/queue/joinable-queue.js';
import type { Lock } from '../../src/sync/lock.js';
import type { Value } from '../../src/shared/value.js';
import type { Event } from '../../src/sync/event.js';

const { Process } = processes;
type Child = InstanceType<typeof Process>;

async function finished(child: Child): Promise<void> {
  await child.join();
  assert.equal(child.exitCode, 0, `the child exited with ${child.exitCode}`);
}

test('the queue classes are the threads-scope ones over processes memory', () => {
  for (const name of ['Queue', 'JoinableQueue', 'SimpleQueue', 'LifoQueue', 'PriorityQueue'] as const) {
    const queue = new processes[name]();
    assert.equal((queue as unknown as { [SCOPE]: string })[SCOPE], 'processes', name);
    assert.equal(queue.constructor.name, name);
  }
  assert.ok(new processes.Queue() instanceof ThreadsQueue);
  const [left, right] = processes.Pipe();
  assert.ok(left instanceof Connection && right instanceof Connection);
  assert.equal((left as unknown as { [SCOPE]: string })[SCOPE], 'processes');
});

test('items go both ways between the parent and a child, in order, structured-clone values intact', async () => {
  const down = new processes.Queue<unknown>();
  const up = new processes.Queue<unknown>();
  const child = new Process({
    target: (down: Queue<unknown>, up: Queue<unknown>) => {
      for (;;) {
        const item = down.getSync();
        if (item === 'end') return;
        up.putSync({ echo: item });
      }
    },
    args: [down, up],
  });
  child.start();
  const items: unknown[] = [1, 'two', { three: [3n, new Date(3)] }, new Map([[4, new Set([4])]]), new Uint8Array([5, 5]), null];
  for (const item of items) await down.put(item);
  for (const item of items) assert.deepEqual(await up.get({ timeout: 30_000 }), { echo: item });
  down.putSync('end');
  await finished(child);
  assert.equal(up.qsize(), 0);
});

test('a parent blocked in get is woken by a put from another process: async get and getSync', async () => {
  const queue = new processes.Queue<string>();
  const go = new processes.Semaphore(0);
  const child = new Process({
    target: (queue: Queue<string>, go: { acquireSync(): boolean }) => {
      const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      for (const item of ['first', 'second']) {
        go.acquireSync();
        nap(100); // the parent is parked in its get by now
        queue.putSync(item);
      }
    },
    args: [queue, go],
  });
  child.start();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const got = queue.get({ timeout: 30_000 });
    go.release();
    assert.equal(await got, 'first');
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 5, `the event loop ran while get waited (${ticks} ticks)`);
  go.release();
  const before = performance.now();
  assert.equal(queue.getSync({ timeout: 30_000 }), 'second', 'getSync blocked the main thread until the child put');
  assert.ok(performance.now() - before >= 50, 'it did wait for the put');
  await finished(child);
});

test('a child blocked in getSync is woken by the parent', async () => {
  const queue = new processes.Queue<number>();
  const result = new processes.Value('i', 0);
  const waiting = new processes.Event();
  const child = new Process({
    target: (queue: Queue<number>, result: Value<'i'>, waiting: Event) => {
      waiting.set();
      result.value = queue.getSync({ timeout: 30_000 }) * 2;
    },
    args: [queue, result, waiting],
  });
  child.start();
  assert.equal(await waiting.wait({ timeout: 30_000 }), true);
  // The child counts itself among the queue's parked getters: then the put below must wake it.
  const parked = queueWaiters(queue);
  const deadline = performance.now() + 30_000;
  while (parked() < 1) {
    assert.ok(performance.now() < deadline, 'the child never parked in getSync');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await queue.put(21);
  await finished(child);
  assert.equal(result.value, 42);
});

test('JoinableQueue: join() in the parent waits for taskDone() calls made in a child', async () => {
  const jobs = new processes.JoinableQueue<number>();
  const done = new processes.Value('i', 0);
  const child = new Process({
    target: (jobs: JoinableQueue<number>, done: Value<'i'>) => {
      for (let i = 0; i < 50; i++) {
        const n = jobs.getSync({ timeout: 30_000 });
        done.value += n;
        jobs.taskDone();
      }
    },
    args: [jobs, done],
  });
  for (let i = 1; i <= 50; i++) jobs.putSync(i);
  assert.equal(await jobs.join({ timeout: 0 }), false, 'nothing done yet');
  child.start();
  assert.equal(await jobs.join({ timeout: 30_000 }), true);
  assert.equal(done.value, (50 * 51) / 2, 'every task was done before join returned');
  assert.throws(() => jobs.taskDone(), RangeError);
  await finished(child);
});

test('every queue kind keeps its order across processes: FIFO, LIFO, priority, SimpleQueue', async () => {
  const fifo = new processes.Queue<number>();
  const lifo = new processes.LifoQueue<number>();
  const priority = new processes.PriorityQueue<[number, string]>();
  const keyed = new processes.PriorityQueue<{ due: number }>({ key: (item) => item.due });
  const simple = new processes.SimpleQueue<string>();
  const child = new Process({
    target: (fifo: Queue<number>, lifo: Queue<number>, priority: Queue<[number, string]>, keyed: Queue<{ due: number }>, simple: { put(item: string): void }) => {
      for (const n of [1, 2, 3]) {
        fifo.putSync(n);
        lifo.putSync(n);
      }
      for (const pair of [[3, 'c'], [1, 'a'], [2, 'b']] as [number, string][]) priority.putSync(pair);
      for (const due of [30, 10, 20]) keyed.putSync({ due });
      simple.put('x');
      simple.put('y');
    },
    args: [fifo, lifo, priority, keyed, simple],
  });
  child.start();
  await finished(child);
  assert.deepEqual([fifo.getSync(), fifo.getSync(), fifo.getSync()], [1, 2, 3]);
  assert.deepEqual([lifo.getSync(), lifo.getSync(), lifo.getSync()], [3, 2, 1]);
  assert.deepEqual([priority.getSync(), priority.getSync(), priority.getSync()], [[1, 'a'], [2, 'b'], [3, 'c']]);
  assert.deepEqual([keyed.getSync(), keyed.getSync(), keyed.getSync()].map((item) => item.due), [10, 20, 30]);
  assert.deepEqual([await simple.get(), simple.getSync()], ['x', 'y']);
  assert.equal(simple.empty(), true);
});

test('an item larger than the ring streams through it to another process, whole', async () => {
  const queue = new processes.Queue<Uint8Array>({ ringBytes: 4096, maxRingBytes: 4096 });
  const sums = new processes.Value('d', 0);
  const child = new Process({
    target: (queue: Queue<Uint8Array>, sums: Value<'d'>) => {
      const item = queue.getSync({ timeout: 30_000 });
      let sum = 0;
      for (const byte of item) sum += byte;
      sums.value = sum + item.length * 1e6;
    },
    args: [queue, sums],
  });
  child.start();
  const big = new Uint8Array(200_000).map((_, i) => i % 251);
  await queue.put(big, { timeout: 30_000 });
  await finished(child);
  let expected = 0;
  for (const byte of big) expected += byte;
  assert.equal(sums.value, expected + big.length * 1e6);
});

test('queues grow in processes memory: the ring and the LIFO arena take items past their initial size (in place, in the reserved segment)', async () => {
  // 64 KiB to start; processes memory reserves the maximum up front and the queue uses more of it as it grows.
  const fifo = new processes.Queue<Uint8Array>();
  const lifo = new processes.LifoQueue<Uint8Array>();
  const sums = new processes.SharedArray('d', 2, { lock: false });
  const child = new Process({
    target: (fifo: Queue<Uint8Array>, lifo: Queue<Uint8Array>, sums: { set(i: number, v: number): void }) => {
      const total = (bytes: Uint8Array) => bytes.reduce((sum, byte) => sum + byte, 0) + bytes.length * 1e6;
      let a = 0;
      let b = 0;
      for (let i = 0; i < 3; i++) a += total(fifo.getSync({ timeout: 30_000 }));
      for (let i = 0; i < 3; i++) b += total(lifo.getSync({ timeout: 30_000 }));
      sums.set(0, a);
      sums.set(1, b);
    },
    args: [fifo, lifo, sums],
  });
  // Put before the child starts: nobody takes, so both must hold all three at once.
  const items = [300_000, 500_000, 700_000].map((n) => new Uint8Array(n).map((_, i) => (i * 7) % 256));
  for (const item of items) {
    fifo.putSync(item, { timeout: 10_000 });
    lifo.putSync(item, { timeout: 10_000 });
  }
  assert.equal(fifo.qsize(), 3);
  assert.equal(lifo.qsize(), 3);
  child.start();
  await finished(child);
  const expected = items.reduce((sum, item) => sum + item.reduce((s, byte) => s + byte, 0) + item.length * 1e6, 0);
  assert.equal(sums.get(0), expected);
  assert.equal(sums.get(1), expected);
});

test('Pipe: send / recv and bytes across processes both ways; close gives the other side EOF', async () => {
  const [parent, childEnd] = processes.Pipe();
  const child = new Process({
    target: (end: Connection) => {
      for (;;) {
        const message = end.recvSync({ timeout: 30_000 }) as { n: number } | 'bytes' | 'bye';
        if (message === 'bye') break;
        if (message === 'bytes') end.sendBytes(end.recvBytesSync().reverse());
        else end.send({ n: message.n + 1 });
      }
      end.close();
    },
    args: [childEnd],
  });
  child.start();
  parent.send({ n: 1 });
  assert.deepEqual(await parent.recv({ timeout: 30_000 }), { n: 2 });
  parent.send('bytes');
  parent.sendBytes(new Uint8Array([1, 2, 3]));
  assert.deepEqual(await parent.recvBytes({ timeout: 30_000 }), new Uint8Array([3, 2, 1]));
  parent.send('bye');
  await assert.rejects(parent.recv({ timeout: 30_000 }), EOFError);
  await finished(child);
});

test('Pipe({ duplex: false }): a child writes, the parent reads until the child closes its end', async () => {
  const [reader, writer] = processes.Pipe({ duplex: false });
  const child = new Process({
    target: (writer: Connection) => {
      for (let i = 0; i < 100; i++) writer.send(i);
      writer.close();
    },
    args: [writer],
  });
  child.start();
  const got: unknown[] = [];
  for await (const message of reader) got.push(message);
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
  await finished(child);
});

test('shareables inside items arrive live: a processes Lock, a Value, another queue, a Pipe end', async () => {
  const queue = new processes.Queue<unknown>();
  const lock = new processes.Lock();
  const counter = new processes.Value('i', 0);
  const replies = new processes.Queue<string>();
  const [near, far] = processes.Pipe();
  const child = new Process({
    target: (queue: Queue<unknown>) => {
      const item = queue.getSync({ timeout: 30_000 }) as { lock: Lock; counter: Value<'i'>; replies: Queue<string>; pipe: Connection[] };
      item.lock.acquireSync(); // the parent's lock: held until the parent sees it held
      item.counter.value += 41;
      item.replies.putSync('locked');
      item.pipe[0]!.send('through the pipe');
      item.replies.putSync(item.pipe[0]!.recvSync({ timeout: 30_000 }) as string);
      item.lock.release();
    },
    args: [queue],
  });
  child.start();
  await queue.put({ lock, counter, replies, pipe: [far] });
  assert.equal(await replies.get({ timeout: 30_000 }), 'locked');
  assert.equal(lock.locked(), true, "the child holds the parent's lock");
  assert.equal(counter.value, 41);
  assert.equal(await near.recv({ timeout: 30_000 }), 'through the pipe');
  near.send('and back');
  assert.equal(await replies.get({ timeout: 30_000 }), 'and back');
  await finished(child);
  assert.equal(lock.locked(), false);
});

test('a processes SharedArray buffer inside an item is the same memory in the other process', async () => {
  const queue = new processes.Queue<{ view: Int32Array }>();
  const array = new processes.SharedArray('i', 4, { lock: false });
  const child = new Process({
    target: (queue: Queue<{ view: Int32Array }>) => {
      const { view } = queue.getSync({ timeout: 30_000 });
      for (let i = 0; i < view.length; i++) view[i] = (i + 1) * 10;
    },
    args: [queue],
  });
  child.start();
  await queue.put({ view: array.view as Int32Array });
  await finished(child);
  assert.deepEqual([...(array.view as Int32Array)], [10, 20, 30, 40]);
});

test('a side lock whose holder id now names a thread that started at another time (pid reuse) is taken over; a live holder is not', async () => {
  const queue = new processes.Queue<number>();
  const { words } = (queue as unknown as { [describe](): { words: Int32Array } })[describe]();
  const holding = new processes.Event();
  // A child writes itself into putLock as its holder — kernel thread id and start-time stamp — and stays alive.
  const child = new Process({
    target: async (queue: Queue<number>, holding: Event, memoryUrl: string, layoutUrl: string) => {
      const words = (queue as unknown as Record<symbol, () => { words: Int32Array }>)[Symbol.for('weft.describe')]!().words;
      const { processesMemory } = await import(memoryUrl);
      const { PUT_LOCK, PUT_STAMP } = await import(layoutUrl);
      Atomics.store(words, PUT_LOCK, processesMemory.selfId() << 1);
      Atomics.store(words, PUT_STAMP, processesMemory.selfStamp());
      holding.set();
      await new Promise(() => setInterval(() => {}, 1_000));
    },
    args: [queue, holding, sourceUrl('memory/processes-memory.ts'), sourceUrl('queue/layout.ts')],
  });
  child.start();
  try {
    assert.equal(await holding.wait({ timeout: 30_000 }), true);
    assert.throws(() => queue.putSync(1, { timeout: 300 }), QueueFullError, 'a live holder keeps its lock');
    // The same id, but the stamp of another thread: the one that took the lock is gone and its id reused.
    Atomics.add(words, PUT_STAMP, 1);
    queue.putSync(2, { timeout: 10_000 });
    assert.equal(queue.getSync({ timeout: 1_000 }), 2, 'the put took the lock over and delivered');
    assert.equal(Atomics.load(words, PUT_LOCK), 0, 'and let it go');
  } finally {
    child.kill();
    await child.join();
  }
});

test('a threads-scope shareable put on a processes queue: a DataCloneError naming it and the class to use; nothing is put', () => {
  const queue = new processes.Queue<unknown>();
  assert.throws(
    () => queue.putSync({ guard: new ThreadsLock() }),
    (error: unknown) =>
      error instanceof DataCloneError &&
      /item\.guard is a threads-scope Lock/.test(error.message) &&
      /cannot reach another process/.test(error.message) &&
      /processes\.Lock/.test(error.message),
  );
  assert.throws(() => queue.putSync([new ThreadsQueue()]), /item\[0\] is a threads-scope Queue.*processes\.Queue/);
  assert.throws(() => queue.putSync({ end: Pipe()[0] }), /item\.end is a threads-scope Connection.*an end of processes\.Pipe\(\)/);
  assert.throws(
    () => queue.putSync({ bytes: new Int32Array(new SharedArrayBuffer(8)) }),
    (error: unknown) => error instanceof DataCloneError && /item\.bytes is shared memory of this process only/.test(error.message),
  );
  assert.equal(queue.qsize(), 0, 'nothing was put');
  assert.throws(() => queue.getNowait(), QueueEmptyError);
  // The processes scope's own classes go through.
  queue.putSync({ guard: new processes.Lock() });
  assert.equal(queue.qsize(), 1);
});
