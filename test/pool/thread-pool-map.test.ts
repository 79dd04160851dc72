// ThreadPoolExecutor.map() and .batch(): order, laziness, chunks, timeouts,
// progress, errors at their position, early exit, batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError } from '../../src/errors.js';
import type { Future } from '../../src/futures/future.js';
import type { MapProgress } from '../../src/futures/executor.js';
import { block, cells, gate, signal, TestPool, within } from './support.js';

/** Collects an async iterable, failing if that takes longer than `ms`. */
function collect<T>(iterable: AsyncIterable<T>, ms: number, what: string): Promise<T[]> {
  return within((async () => {
    const out: T[] = [];
    for await (const value of iterable) out.push(value);
    return out;
  })(), ms, what);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('.map() - results come in input order, whatever order the tasks finish in', async () => {
  await using pool = new TestPool({ maxWorkers: 3 });
  const results = await collect(pool.map(async (x: number) => {
    await new Promise((resolve) => setTimeout(resolve, (12 - x) * 3));
    return x * 10;
  }, range(12)), 10_000, 'map');
  assert.deepEqual(results, range(12).map((x) => x * 10));
});

test('.map() - several iterables go in step and stop at the shortest', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const results = await collect(pool.map((a: number, b: string) => `${a}${b}`, [1, 2, 3, 4], ['a', 'b']), 5000, 'map');
  assert.deepEqual(results, ['1a', '2b']);
});

test('.map() - an async iterable is read as input', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  async function* numbers() {
    for (let i = 1; i <= 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield i;
    }
  }
  assert.deepEqual(await collect(pool.map((x: number) => x * x, numbers()), 5000, 'map'), [1, 4, 9, 16, 25]);
});

test('.map() - chunksize 7 over 100 items gives the same results in 15 tasks', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const results = await collect(pool.map((x: number) => x * 3 + 1, range(100), { chunksize: 7 }), 10_000, 'map');
  assert.deepEqual(results, range(100).map((x) => x * 3 + 1));
  assert.equal(pool.stats().completed, 15);
});

test('.map() - with chunksize, an array item is one argument; over two iterables, pairs of arguments', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const pairs = range(20).map((i) => [i, -i]);
  const first = (pair: number[]) => pair[0];
  assert.deepEqual(await collect(pool.map(first, pairs, { chunksize: 6 }), 10_000, 'map of arrays'), range(20));
  const add = (a: number, b: number) => a + b;
  assert.deepEqual(await collect(pool.map(add, range(20), range(20), { chunksize: 6 }), 10_000, 'map over two'), range(20).map((i) => 2 * i));
});

test('.map() - inputs are read lazily: breaking out of an endless generator ends it', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  let read = 0;
  let finalized = false;
  function* naturals() {
    try {
      for (let i = 0; ; i++) {
        read++;
        yield i;
      }
    } finally {
      finalized = true;
    }
  }
  const results: number[] = [];
  await within((async () => {
    for await (const value of pool.map((x: number) => x + 1, naturals(), { prefetch: 20 })) {
      results.push(value);
      if (results.length === 10) break;
    }
  })(), 10_000, 'the first 10 results');
  assert.deepEqual(results, range(10).map((x) => x + 1));
  assert.equal(finalized, true, 'the generator was not closed');
  assert.ok(read <= 10 + 20 + 1, `read ${read} inputs for 10 results with a prefetch of 20`);
});

test('.map() - a result not ready within timeout throws TimeoutError from the iteration', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const held = gate();
  try {
    const started = performance.now();
    const iteration = collect(pool.map(block, [held, held], { timeout: 100 }), 5000, 'map');
    await assert.rejects(iteration, TimeoutError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 90 && elapsed < 3000, `timed out after ${elapsed.toFixed(0)} ms`);
  } finally {
    signal(held, 0);
  }
});

test('.map() - an aborted signal ends the iteration with its reason', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const held = gate();
  const controller = new AbortController();
  const reason = new Error('enough');
  try {
    const iteration = collect(pool.map(block, [held, held], { signal: controller.signal }), 5000, 'map');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(iteration, (error) => error === reason);
  } finally {
    signal(held, 0);
  }
});

test('.map() - onProgress counts up to done === total, final', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const seen: MapProgress[] = [];
  const results = await collect(pool.map((x: number) => x, range(20), { onProgress: (progress) => seen.push(progress) }), 10_000, 'map');
  assert.equal(results.length, 20);
  assert.ok(seen.length >= 1);
  assert.deepEqual(seen.at(-1), { done: 20, total: 20, final: true });
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.done >= seen[i - 1]!.done, 'done went backwards');
  for (const progress of seen) assert.ok(progress.done <= progress.total, JSON.stringify(progress));
});

test('.map() - a task error is thrown at its position, after the results before it', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const results: number[] = [];
  await assert.rejects(within((async () => {
    for await (const value of pool.map((x: number) => {
      if (x === 3) throw new RangeError('three is right out');
      return x;
    }, range(6))) results.push(value);
  })(), 5000, 'map'), { name: 'RangeError', message: 'three is right out' });
  assert.deepEqual(results, [0, 1, 2]);
});

test('.map() - leaving early cancels the tasks not yet started', async () => {
  const pool = new TestPool({ maxWorkers: 1 });
  const runs = cells(50);
  const busy = (runs: Int32Array, i: number) => {
    Atomics.add(runs, i, 1);
    const end = Date.now() + 2;
    while (Date.now() < end);
    return i;
  };
  const first = await within((async () => {
    for await (const value of pool.map(busy, Array(50).fill(runs), range(50))) return value;
  })(), 5000, 'the first result');
  assert.equal(first, 0);
  await within(pool.shutdown(), 10_000, 'shutdown');
  const ran = Array.from(runs).reduce((sum, n) => sum + n, 0);
  assert.ok(Array.from(runs).every((n) => n <= 1), 'a task ran twice');
  assert.ok(ran < 50, 'every task ran');
  assert.equal(pool.stats().cancelled, 50 - ran);
});

test('.batch() - onComplete once per task with its index; errors stay in their futures', async () => {
  await using pool = new TestPool({ maxWorkers: 4 });
  const completions: Array<[Future<number>, number]> = [];
  const inputs = range(10).map((i): [number] => [i]);
  const futures = await within(pool.batch((i: number) => {
    if (i === 4) throw new Error('four');
    return i * 2;
  }, inputs, { batchSize: 3, onComplete: (future, index) => completions.push([future, index]) }), 10_000, 'batch');
  assert.equal(futures.length, 10);
  assert.deepEqual(completions.map(([, index]) => index).sort((a, b) => a - b), range(10));
  for (const [future, index] of completions) assert.equal(future, futures[index], `onComplete got another future for ${index}`);
  for (const [i, future] of futures.entries()) {
    if (i === 4) assert.equal(((await future.exception()) as Error).message, 'four');
    else assert.equal(await future, i * 2);
  }
});

test('.batch() - the next batch starts only when the current one is done', async () => {
  await using pool = new TestPool({ maxWorkers: 4 });
  const batchSize = 3;
  // [0] running now, [1] most running at once, [2] finished, [3 + i] finished when task i started.
  const book = cells(3 + 10);
  const task = async (book: Int32Array, i: number) => {
    const now = Atomics.add(book, 0, 1) + 1;
    for (let most = Atomics.load(book, 1); most < now; most = Atomics.load(book, 1)) Atomics.compareExchange(book, 1, most, now);
    Atomics.store(book, 3 + i, Atomics.load(book, 2));
    await new Promise((resolve) => setTimeout(resolve, 10));
    Atomics.sub(book, 0, 1);
    Atomics.add(book, 2, 1);
    return i;
  };
  const futures = await within(pool.batch(task, range(10).map((i): [Int32Array, number] => [book, i]), { batchSize }), 10_000, 'batch');
  assert.deepEqual(await Promise.all(futures), range(10));
  assert.ok(Atomics.load(book, 1) <= batchSize, `${Atomics.load(book, 1)} tasks ran at once`);
  for (const i of range(10)) {
    const before = batchSize * Math.floor(i / batchSize);
    assert.ok(book[3 + i]! >= before, `task ${i} started when ${book[3 + i]} tasks had finished, before its batch's turn (${before})`);
  }
});
