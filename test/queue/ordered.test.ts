import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LifoQueue } from '../../src/queue/lifo-queue.js';
import { PriorityQueue } from '../../src/queue/priority-queue.js';
import { Thread } from '../../src/run/thread.js';
import { Lock } from '../../src/sync/lock.js';
import { CaptureError } from '../../src/errors.js';
import { inThread } from '../support/threads.js';

test('LifoQueue hands out the newest item first', async () => {
  const q = new LifoQueue<number>();
  for (let i = 0; i < 100; i++) await q.put(i);
  for (let i = 99; i >= 0; i--) assert.equal(q.getSync({ blocking: false }), i);
});

test('PriorityQueue: lowest first, FIFO among equal priorities', async () => {
  const q = new PriorityQueue<{ p: number; seq: number }>({ key: (item) => item.p });
  const items = Array.from({ length: 200 }, (_, seq) => ({ p: (seq * 7919) % 5, seq }));
  for (const item of items) q.putSync(item);
  const out = items.map(() => q.getSync({ blocking: false }));
  const expected = [...items].sort((a, b) => a.p - b.p || a.seq - b.seq);
  assert.deepEqual(out, expected);
});

test('PriorityQueue without a key takes priorities and [priority, data] pairs; anything else is a TypeError', async () => {
  const q = new PriorityQueue<unknown>();
  await q.put([3, 'c']);
  await q.put(1);
  await q.put([2, 'b']);
  assert.deepEqual([await q.get(), await q.get(), await q.get()], [1, [2, 'b'], [3, 'c']]);
  await assert.rejects(q.put({ text: 'x' }), /priority must be a number, bigint, string or an array of those, got object/);
  await assert.rejects(q.put(NaN), /got NaN/);
  await assert.rejects(q.put([[1, null], 'data']), /got an array holding null/);
  assert.equal(q.qsize(), 0);
});

/** Puts `keys` (as `{ key, seq }` items keyed by `key`) and returns the order they come out in, as seqs. */
function drainOrder(keys: unknown[]): number[] {
  const q = new PriorityQueue<{ key: any; seq: number }>({ key: (item) => item.key });
  keys.forEach((key, seq) => q.putSync({ key, seq }));
  return keys.map(() => q.getSync({ blocking: false }).seq);
}

test('PriorityQueue: string priorities come out in code point order, as Python orders str', () => {
  // JavaScript's < puts '\u{10000}' (a surrogate pair) before '\uffff'; Python's code points do not.
  const keys = ['b', 'a', '\u{10000}', '\uffff', '', 'ab', 'a'];
  assert.deepEqual(drainOrder(keys), [4, 1, 6, 5, 0, 3, 2]);
});

test('PriorityQueue: array priorities compare element by element, then by length, as Python compares tuples; FIFO among equal ones', () => {
  const keys = [[2, 'a'], [1, 'z'], [1, 'b', 0], [1, 'b'], [1, 'z'], [[0, 1], 'x'], [1]];
  // [1] < [1, 'b'] < [1, 'b', 0] < [1, 'z'] (first put) < [1, 'z'] < [2, 'a'] < [[0, 1], 'x'] (an array after numbers)
  assert.deepEqual(drainOrder(keys), [6, 3, 2, 1, 4, 0, 5]);
});

test('PriorityQueue: numbers and bigints compare exactly with each other; kinds Python cannot compare order numbers, strings, arrays', () => {
  const keys = [10n ** 30n, 1.5, 2n, -(10n ** 30n), 'a', [0], Infinity, 2, -Infinity, 1n];
  assert.deepEqual(drainOrder(keys), [8, 3, 9, 1, 2, 7, 0, 6, 4, 5]);
});

test('PriorityQueue: thousands of mixed priorities come out as a reference sort says, FIFO among equal ones', () => {
  let x = 12345;
  const random = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
  const key = (depth: number): unknown => {
    const r = random(10);
    if (r < 4) return random(5);
    if (r < 5) return BigInt(random(5)) * 10n ** 20n;
    if (r < 7) return ['a', 'b', 'ab', ''][random(4)];
    return depth > 2 ? 0 : Array.from({ length: random(3) }, () => key(depth + 1));
  };
  const keys = Array.from({ length: 3000 }, () => key(0));
  const rank = (k: unknown) => (typeof k === 'number' || typeof k === 'bigint' ? 0 : typeof k === 'string' ? 1 : 2);
  const compare = (a: any, b: any): number => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (rank(a) < 2) return a < b ? -1 : a > b ? 1 : 0;
    for (let i = 0; i < a.length && i < b.length; i++) {
      const c = compare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  };
  const expected = keys.map((_, seq) => seq).sort((a, b) => compare(keys[a], keys[b]) || a - b);
  assert.deepEqual(drainOrder(keys), expected);
});

test('a key function that captures is refused when the queue is made', () => {
  const weights = new Map<string, number>();
  assert.throws(() => new PriorityQueue<string>({ key: (s) => weights.get(s) ?? 0 }), CaptureError);
});

test('the key function crosses with the queue: a worker puts, the order holds', async () => {
  const q = new PriorityQueue<{ name: string; rank: number }>({ key: (item) => -item.rank });
  await inThread(
    (q: PriorityQueue<{ name: string; rank: number }>) => {
      for (const [name, rank] of [['low', 1], ['high', 9], ['mid', 5]] as const) q.putSync({ name, rank });
    },
    [q],
  );
  assert.deepEqual([(await q.get()).name, (await q.get()).name, (await q.get()).name], ['high', 'mid', 'low']);
});

test('the arena reuses freed blocks: a long run of puts and gets stays small', () => {
  const q = new LifoQueue<Uint8Array>({ ringBytes: 4096, maxRingBytes: 1 << 16 });
  for (let round = 0; round < 2000; round++) {
    q.putSync(new Uint8Array(500 + (round % 7) * 100).fill(round & 255));
    q.putSync(new Uint8Array(40));
    assert.equal(q.getSync().length, 40);
    const item = q.getSync();
    assert.ok(item.every((b) => b === (round & 255)));
  }
});

test('an item larger than the arena limit fails with a RangeError naming the sizes; nothing is put', async () => {
  const q = new LifoQueue<Uint8Array>({ ringBytes: 1024, maxRingBytes: 4096 });
  await assert.rejects(q.put(new Uint8Array(10_000)), /10\d\d\d bytes encoded, more than the queue can hold/);
  assert.equal(q.qsize(), 0);
});

test('a full arena makes put wait until a get frees room', async () => {
  const q = new LifoQueue<Uint8Array>({ ringBytes: 1024, maxRingBytes: 2048 });
  await q.put(new Uint8Array(900));
  await q.put(new Uint8Array(900));
  await assert.rejects(q.put(new Uint8Array(900), { timeout: 20 }), /full/);
  const waiting = q.put(new Uint8Array(900));
  await q.get();
  await waiting;
  assert.equal(q.qsize(), 2);
});

test('producers and consumers in threads: every item once, by priority within what is queued', async () => {
  const q = new PriorityQueue<number>({ maxsize: 16 });
  const seen = new Int32Array(new SharedArrayBuffer(4 * 401));
  const producers = [0, 1].map((id) => new Thread({
    target: (q: PriorityQueue<number>, id: number) => { for (let i = 0; i < 200; i++) q.putSync(id * 200 + i); },
    args: [q, id],
  }));
  const consumer = new Thread({
    target: (q: PriorityQueue<number>, seen: Int32Array) => { for (let n = 0; n < 400; n++) Atomics.add(seen, q.getSync({ timeout: 20_000 }), 1); },
    args: [q, seen],
  });
  for (const t of [...producers, consumer]) t.start();
  for (const t of [...producers, consumer]) await t.join();
  for (const t of [...producers, consumer]) assert.equal(t.exception, undefined, String(t.exception));
  for (let i = 0; i < 400; i++) assert.equal(seen[i], 1, `item ${i} seen ${seen[i]} times`);
});

test('shareables in a LifoQueue arrive live', async () => {
  const q = new LifoQueue<Lock>();
  const lock = new Lock();
  await q.put(lock);
  await inThread((q: LifoQueue<Lock>) => { q.getSync().acquireSync(); }, [q]);
  assert.equal(lock.locked(), true);
});
