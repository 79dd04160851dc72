import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from '../../src/queue/queue.js';
import { Thread } from '../../src/run/thread.js';
import { Lock } from '../../src/sync/lock.js';
import { Value } from '../../src/shared/value.js';
import { QueueEmptyError, QueueFullError, ShutDownError, DataCloneError } from '../../src/errors.js';
import { inThread } from '../support/threads.js';
import { describe as describeShareable } from '../../src/share/protocol.js';
import { HEAD, PUT_LOCK, TAIL } from '../../src/queue/layout.js';

test('items come out in the order they went in, as structured clones', async () => {
  const queue = new Queue<unknown>();
  const items = [1, 'two', { three: [3n] }, new Map([[4, new Date(4)]]), null, undefined, new Float64Array([5.5])];
  for (const item of items) await queue.put(item);
  assert.equal(queue.qsize(), items.length);
  for (const item of items) assert.deepEqual(await queue.get(), item);
  assert.equal(queue.empty(), true);
});

test('sync and async calls mix on one queue', async () => {
  const queue = new Queue<number>();
  queue.putSync(1);
  await queue.put(2);
  assert.equal(await queue.get(), 1);
  assert.equal(queue.getSync(), 2);
});

test('putNowait() on a full queue throws QueueFullError carrying the item', () => {
  const queue = new Queue<{ id: number }>({ maxsize: 1 });
  queue.putNowait({ id: 1 });
  assert.equal(queue.full(), true);
  const item = { id: 2 };
  assert.throws(() => queue.putNowait(item), (error: unknown) => error instanceof QueueFullError && error.item === item);
  assert.equal(queue.qsize(), 1);
});

test('getNowait() on an empty queue throws QueueEmptyError', () => {
  assert.throws(() => new Queue().getNowait(), QueueEmptyError);
});

test('a timed-out get throws QueueEmptyError after about the timeout', async () => {
  const queue = new Queue();
  const started = performance.now();
  await assert.rejects(queue.get({ timeout: 30 }), QueueEmptyError);
  assert.ok(performance.now() - started >= 29);
  assert.throws(() => queue.getSync({ timeout: 10 }), QueueEmptyError);
});

test('a put waiting on a full queue proceeds when an item is taken', async () => {
  const queue = new Queue<number>({ maxsize: 2 });
  await queue.put(1);
  await queue.put(2);
  const waiting = queue.put(3);
  assert.equal(await queue.get(), 1);
  await waiting;
  assert.deepEqual([await queue.get(), await queue.get()], [2, 3]);
});

test('an aborted put leaves nothing behind; an aborted get takes nothing', async () => {
  const queue = new Queue<number>({ maxsize: 1 });
  await queue.put(1);
  const controller = new AbortController();
  const putting = queue.put(2, { signal: controller.signal });
  controller.abort(new Error('no room'));
  await assert.rejects(putting, /no room/);
  assert.equal(queue.qsize(), 1);
  assert.equal(await queue.get(), 1);
  const getter = new AbortController();
  const getting = queue.get({ signal: getter.signal });
  getter.abort(new Error('stop'));
  await assert.rejects(getting, /stop/);
  await queue.put(3);
  assert.equal(await queue.get(), 3);
});

test('shutdown(): put throws, get drains what is left, then throws', async () => {
  const queue = new Queue<number>();
  await queue.put(1);
  await queue.put(2);
  queue.shutdown();
  await assert.rejects(queue.put(3), ShutDownError);
  assert.equal(await queue.get(), 1);
  assert.equal(queue.getSync(), 2);
  await assert.rejects(queue.get(), ShutDownError);
});

test('shutdown() wakes a blocked getter and a blocked putter', async () => {
  const empty = new Queue<number>();
  const getting = empty.get();
  const full = new Queue<number>({ maxsize: 1 });
  await full.put(1);
  const putting = full.put(2);
  empty.shutdown();
  full.shutdown();
  await assert.rejects(getting, ShutDownError);
  await assert.rejects(putting, ShutDownError);
});

test('shutdown({ immediate: true }) drops the items, counts them done, and get throws at once', async () => {
  const queue = new Queue<number>();
  for (let i = 0; i < 5; i++) await queue.put(i);
  queue.shutdown({ immediate: true });
  assert.equal(queue.qsize(), 0);
  await assert.rejects(queue.get(), ShutDownError);
  assert.equal(await queue.join({ timeout: 1000 }), true);
});

test('taskDone() and join(): join waits for every item to be marked done', async () => {
  const queue = new Queue<number>();
  await queue.put(1);
  await queue.put(2);
  assert.equal(await queue.join({ timeout: 10 }), false);
  await queue.get();
  queue.taskDone();
  await queue.get();
  const joined = queue.join();
  queue.taskDone();
  assert.equal(await joined, true);
  assert.throws(() => queue.taskDone(), RangeError);
});

test('the async iterator yields until shutdown', async () => {
  const queue = new Queue<number>();
  for (const n of [1, 2, 3]) await queue.put(n);
  queue.shutdown();
  const seen: number[] = [];
  for await (const n of queue) seen.push(n);
  assert.deepEqual(seen, [1, 2, 3]);
});

test('an item larger than the ring streams through it intact', async () => {
  const queue = new Queue<Float64Array>({ ringBytes: 4096, maxRingBytes: 4096 });
  const big = Float64Array.from({ length: 100_000 }, (_, i) => i * 0.5);
  const getting = queue.get();
  await queue.put(big);
  const got = await getting;
  assert.equal(got.length, big.length);
  assert.deepEqual(got, big);
});

test('a streamed item crosses threads intact, between small ones', async () => {
  const queue = new Queue<unknown>({ ringBytes: 1024, maxRingBytes: 1024 });
  const thread = new Thread({
    target: (q: Queue<unknown>) => {
      q.putSync('before');
      q.putSync(new Uint8Array(50_000).map((_, i) => i % 251));
      q.putSync('after');
    },
    args: [queue],
  });
  thread.start();
  assert.equal(await queue.get(), 'before');
  const big = (await queue.get()) as Uint8Array;
  assert.equal(big.length, 50_000);
  assert.ok(big.every((b, i) => b === i % 251));
  assert.equal(await queue.get(), 'after');
  await thread.join();
});

test('with a byte budget, a larger item fails with a RangeError naming the sizes, and nothing is put', async () => {
  const queue = new Queue<Uint8Array>({ maxBytes: 1024 });
  await assert.rejects(queue.put(new Uint8Array(5000)), (error: unknown) => error instanceof RangeError && /5\d\d\d bytes/.test(error.message));
  assert.equal(queue.qsize(), 0);
  await queue.put(new Uint8Array(100));
  assert.equal((await queue.get()).length, 100);
});

test('a value that cannot cross fails before anything is put, naming its path', async () => {
  const queue = new Queue<unknown>();
  await assert.rejects(queue.put({ handler: () => 1 }), (error: unknown) => error instanceof DataCloneError && error.path === 'item.handler');
  assert.equal(queue.qsize(), 0);
});

test('shareables put on a queue arrive as live handles', async () => {
  const queue = new Queue<{ lock: Lock; hits: Value<'i'> }>();
  const lock = new Lock();
  const hits = new Value('i', 0);
  await queue.put({ lock, hits });
  await inThread(
    (q: Queue<{ lock: Lock; hits: Value<'i'> }>) => {
      const { lock, hits } = q.getSync();
      lock.acquireSync();
      hits.value += 41;
    },
    [queue],
  );
  assert.equal(lock.locked(), true, 'the worker acquired the same lock');
  lock.release();
  assert.equal(hits.value, 41);
});

test('the queue itself crosses to threads: producers and consumers in workers, every item once', async () => {
  const queue = new Queue<[number, number]>({ maxsize: 8 });
  const PRODUCERS = 2;
  const PER = 2000;
  // [0] items received, [1] sum of values, [2] order violations
  const stats = new Int32Array(new SharedArrayBuffer(12));
  const producers = Array.from({ length: PRODUCERS }, (_, id) => new Thread({
    target: (q: Queue<[number, number]>, id: number, per: number) => {
      for (let i = 0; i < per; i++) q.putSync([id, i]);
    },
    args: [queue, id, PER],
  }));
  const consumer = new Thread({
    target: (q: Queue<[number, number]>, stats: Int32Array, total: number, producers: number) => {
      const last = new Array(producers).fill(-1);
      for (let n = 0; n < total; n++) {
        const [id, i] = q.getSync({ timeout: 20_000 });
        if (i !== last[id] + 1) Atomics.add(stats, 2, 1);
        last[id] = i;
        Atomics.add(stats, 0, 1);
        Atomics.add(stats, 1, i);
      }
    },
    args: [queue, stats, PRODUCERS * PER, PRODUCERS],
  });
  for (const thread of [...producers, consumer]) thread.start();
  for (const thread of [...producers, consumer]) await thread.join();
  for (const thread of [...producers, consumer]) assert.equal(thread.exception, undefined, String(thread.exception));
  assert.equal(stats[0], PRODUCERS * PER);
  assert.equal(stats[1], PRODUCERS * ((PER * (PER - 1)) / 2));
  assert.equal(stats[2], 0, 'per-producer order broken');
  assert.equal(queue.qsize(), 0);
});

test('options are validated', () => {
  assert.throws(() => new Queue({ maxsize: -1 }), RangeError);
  assert.throws(() => new Queue({ maxsize: 1.5 }), RangeError);
  assert.throws(() => new Queue({ ringBytes: -5 }), RangeError);
  assert.throws(() => new Queue().putSync(1, { timeout: -1 }), RangeError);
});

test('an unbounded queue grows its ring instead of blocking a put', () => {
  const queue = new Queue<Uint8Array>({ ringBytes: 1024 });
  // Far more than the initial ring, with no consumer: put must not wait.
  for (let i = 0; i < 100; i++) queue.putSync(new Uint8Array(1000).fill(i), { timeout: 1000 });
  for (let i = 0; i < 100; i++) {
    const item = queue.getSync({ blocking: false });
    assert.equal(item.length, 1000);
    assert.ok(item.every((b) => b === i));
  }
});

test('growing while items wrap around the ring end keeps them intact', () => {
  const queue = new Queue<string>({ ringBytes: 512 });
  let next = 0;
  let expected = 0;
  // Interleave puts and gets so head and tail wrap before each growth.
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < round; i++) queue.putSync(`item-${next++}-${'x'.repeat(round * 3)}`);
    for (let i = 0; i < round / 2; i++) assert.match(queue.getSync({ blocking: false }), new RegExp(`^item-${expected++}-`));
  }
  while (!queue.empty()) assert.match(queue.getSync({ blocking: false }), new RegExp(`^item-${expected++}-`));
  assert.equal(expected, next);
});

test('shutdown({ immediate: true }) with this thread’s own un-awaited put of a streamed item in flight does not wait for it: the put throws ShutDownError, its item is dropped', async () => {
  // In a daemon thread, so that a shutdown() blocking its own thread fails the join below instead of hanging the test.
  const queue = new Queue<unknown>({ ringBytes: 1024, maxRingBytes: 1024 });
  const seen = new Int32Array(new SharedArrayBuffer(12));
  const thread = new Thread({
    daemon: true,
    target: async (q: Queue<unknown>, seen: Int32Array) => {
      await q.put('small');
      const putting = q.put(new Uint8Array(50_000)); // streams: waits for room mid-item, holding putLock
      q.shutdown({ immediate: true });
      seen[0] = 1; // shutdown() returned
      await putting.catch((error: Error) => {
        seen[1] = error.name === 'ShutDownError' ? 1 : 2;
      });
      seen[2] = q.qsize();
    },
    args: [queue, seen],
  });
  thread.start();
  await thread.join({ timeout: 10_000 });
  assert.equal(thread.isAlive(), false, 'shutdown() blocked on its own putLock');
  assert.deepEqual([...seen], [1, 1, 0], 'shutdown returned; the put threw ShutDownError; nothing left');
  const { words } = queue[describeShareable]();
  assert.equal(Atomics.load(words, HEAD), Atomics.load(words, TAIL), 'the aborted item’s frames were dropped too');
  assert.equal(words[PUT_LOCK], 0);
  assert.equal(await queue.join({ timeout: 1000 }), true, 'every item counted done');
  await assert.rejects(queue.get(), ShutDownError);
});
