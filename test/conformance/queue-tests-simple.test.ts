/**
 * Mirrors CPython's `Lib/test/test_queue.py` (3.13): `BaseSimpleQueueTest`
 * and `CSimpleQueueTest`, as `SimpleQueueTest`, run against weft's
 * `SimpleQueue` in every party mode (see `support.ts`). Test names are
 * upstream's; the translation is the one `queue-tests.test.ts` describes
 * (weft's `SimpleQueue.put` takes no `block` / `timeout`: it never waits).
 *
 * Upstream's `run_threads` starts n feeders and n consumers; here they are
 * one party, told its role by its index. The feeders take the next input from
 * a shared atomic cursor (upstream pops a list under the GIL), the sentinel is
 * -1 (upstream's None), and consumers append what they take at an atomic
 * position of a shared array.
 *
 * Differences, deliberate:
 *  - test_many_threads / test_many_threads_nonblock / test_many_threads_timeout:
 *    2 feeders and 2 consumers instead of 50 and 50, and 1000 / 1000 / 200
 *    inputs instead of 10000 / 10000 / 1000 (thread starts are costly).
 *  - A feeder's random pause (0 to 1 ms, half the time) is a timer of its
 *    thread (setTimeout has 1 ms resolution), with a seeded generator per
 *    feeder; a non-blocking consumer that finds the queue empty yields to its
 *    event loop (upstream sleeps 10 µs): in async mode every party shares one
 *    thread, and a spinning consumer would starve the feeders.
 *  - test_is_default: upstream checks that the default `queue.SimpleQueue` is
 *    the C one; weft has one implementation, and the test checks that the
 *    package's `SimpleQueue` is the default (threads) context's (in
 *    processes mode: that processes.SimpleQueue is the processes context's).
 *  - test_references: items cross as structured clones, so the question
 *    becomes whether the queue keeps any reference to the object a get
 *    returned; checked with a forced full GC.
 *
 * Not ported: test_reentrancy — it makes a `__del__` call `put()` while
 * another `put()` runs in the same thread; JavaScript runs no code in the
 * middle of a call (FinalizationRegistry callbacks are separate tasks), so
 * `put` cannot be re-entered.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getContext, QueueEmptyError, SimpleQueue, SimpleQueue as SimpleQueueClass } from '../../src/index.js';
import { Bunch, collectGarbage, ints, itIn, MODES, solo, type Mode } from './support.js';
import { processes } from '../../src/scope/processes.js';

type Consume = 'block' | 'nonblock' | 'timeout';

// ---- Parties. Self-contained: in threads mode they run in workers as source text.

/**
 * Upstream's `feed` (indexes below `n`) and `consume` / `consume_nonblock` /
 * `consume_timeout` (the others).
 */
const feedOrConsume = async (
  { q, n, inputs, cursor, results, taken, consume }: {
    q: SimpleQueue<number>; n: number; inputs: number; cursor: Int32Array; results: Int32Array; taken: Int32Array; consume: Consume;
  },
  index: number,
) => {
  const sentinel = -1;
  if (index < n) {
    let seed = 42 + index; // a small LCG: reproducible pauses
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (;;) {
      const next = Atomics.add(cursor, 0, 1);
      if (next >= inputs) {
        q.put(sentinel);
        return;
      }
      q.put(next); // the inputs are 0 .. inputs - 1
      if (random() > 0.5) await new Promise((resolve) => setTimeout(resolve, random()));
    }
  }
  for (;;) {
    let value: number;
    for (;;) {
      try {
        if (consume === 'block') value = await q.get();
        else if (consume === 'nonblock') value = await q.get({ blocking: false });
        else value = await q.get({ timeout: 0.01 });
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_WEFT_QUEUE_EMPTY' || consume === 'block') throw error;
        if (consume === 'nonblock') await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (value === sentinel) return;
    Atomics.store(results, Atomics.add(taken, 0, 1), value);
  }
};

// ---- Suites

/** Upstream's `run_threads`: what the consumers took, in the order they recorded it. */
async function runThreads(mode: Mode, n: number, q: SimpleQueue<number>, inputs: number, consume: Consume): Promise<number[]> {
  const results = ints(inputs);
  const taken = ints(1);
  await Bunch.run(mode, feedOrConsume, 2 * n, { q, n, inputs, cursor: ints(1), results, taken, consume });
  assert.equal(q.empty(), true);
  assert.equal(q.qsize(), 0);
  return [...results.subarray(0, Atomics.load(taken, 0))];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);

/**
 * With the parties in child processes (processes.SimpleQueue), a subset (see
 * `itIn`): test_order — a producer process and a consumer process with
 * blocking gets, every item taken once and in order. The test_many_threads
 * variants (four processes each, 5 s apiece on the shared test machine)
 * differ only in the number of parties and how the consumers wait.
 */
const IN_PROCESSES = new Set(['test_order']);

function simpleQueueTests(mode: Mode, SimpleQueue: typeof SimpleQueueClass): void {
  const it = itIn(mode, IN_PROCESSES);
  it('test_is_default', () => {
    assert.equal(getContext(mode === 'processes' ? 'processes' : 'threads').SimpleQueue, SimpleQueue);
  });

  it('test_basic', () =>
    solo(mode, async ({ q }) => {
      assert.equal(q.empty(), true);
      assert.equal(q.qsize(), 0);
      q.put(1);
      assert.equal(q.empty(), false);
      assert.equal(q.qsize(), 1);
      q.put(2);
      q.putNowait(3);
      q.put(4);
      assert.equal(q.empty(), false);
      assert.equal(q.qsize(), 4);

      assert.equal(await q.get(), 1);
      assert.equal(q.qsize(), 3);
      assert.equal(q.getNowait(), 2);
      assert.equal(q.qsize(), 2);
      assert.equal(await q.get({ blocking: false }), 3);
      assert.equal(q.empty(), false);
      assert.equal(q.qsize(), 1);
      assert.equal(await q.get({ timeout: 100 }), 4);
      assert.equal(q.empty(), true);
      assert.equal(q.qsize(), 0);

      await assert.rejects(async () => q.get({ blocking: false }), QueueEmptyError);
      await assert.rejects(async () => q.get({ timeout: 1 }), QueueEmptyError);
      assert.throws(() => q.getNowait(), QueueEmptyError);
      assert.equal(q.empty(), true);
      assert.equal(q.qsize(), 0);
    }, { q: new SimpleQueue<number>() }));

  it('test_negative_timeout_raises_exception', () =>
    solo(mode, async ({ q }) => {
      q.put(1);
      await assert.rejects(async () => q.get({ timeout: -1 }), RangeError);
    }, { q: new SimpleQueue<number>() }));

  it('test_order', async () => {
    // One feeder, one consumer: the consumer sees the inputs in order.
    const results = await runThreads(mode, 1, new SimpleQueue<number>(), 100, 'block');
    assert.deepEqual(results, range(100));
  });

  it('test_many_threads', async () => {
    // Several consumers record in no particular order: compare sorted.
    const results = await runThreads(mode, 2, new SimpleQueue<number>(), 1000, 'block');
    assert.deepEqual(sorted(results), range(1000), 'every input taken exactly once');
  });

  it('test_many_threads_nonblock', async () => {
    const results = await runThreads(mode, 2, new SimpleQueue<number>(), 1000, 'nonblock');
    assert.deepEqual(sorted(results), range(1000), 'every input taken exactly once');
  });

  it('test_many_threads_timeout', async () => {
    const results = await runThreads(mode, 2, new SimpleQueue<number>(), 200, 'timeout');
    assert.deepEqual(sorted(results), range(200), 'every input taken exactly once');
  });

  it('test_references', () =>
    solo(mode, async ({ q }) => {
      const N = 20;
      for (let i = 0; i < N; i++) q.put({ i });
      for (let i = 0; i < N; i++) {
        // In a function of its own, so no local of this one holds the item.
        const ref = await (async () => new WeakRef(await q.get()))();
        await collectGarbage();
        assert.equal(ref.deref(), undefined, `item ${i} is still referenced after leaving the queue`);
      }
    }, { q: new SimpleQueue<object>() }));

  it('test_reentrancy', { skip: 'put() cannot be re-entered: JavaScript runs no finalizer in the middle of a call' });
}

for (const mode of MODES) {
  describe(`SimpleQueueTest [SimpleQueue] — ${mode} parties`, () => {
    simpleQueueTests(mode, SimpleQueueClass);
  });
}
describe('SimpleQueueTest [processes.SimpleQueue] — processes parties', () => {
  simpleQueueTests('processes', processes.SimpleQueue);
});
