/**
 * Mirrors CPython's `Lib/test/test_concurrent_futures/test_as_completed.py`
 * (`AsCompletedTests`, main branch). Test names are upstream's. The cases
 * that submit work run once per executor registered in `executors.ts` (as
 * upstream's `create_executor_tests` makes a class per executor); the others
 * run over futures made directly, always.
 *
 * Translations: seconds become milliseconds; weft's `asCompleted` yields
 * `{ future, index }` steps (an async iterator cannot hand over a thenable),
 * so `set(as_completed(fs))` collects `step.future`; `time.sleep` is a task
 * awaiting a timer. test_duplicate_futures sleeps 200 ms where upstream
 * sleeps 2 s (only the count matters). test_free_reference_yielded_future
 * checks with `WeakRef` and a full GC that the iterator keeps no yielded
 * future alive, as upstream does with `weakref.ref` and `gc_collect`.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { asCompleted, Future, TimeoutError, type Completion } from '../../src/index.js';
import {
  CANCELLED_AND_NOTIFIED_FUTURE,
  createFuture,
  describeOverExecutors,
  EXCEPTION_FUTURE,
  PENDING_FUTURE,
  RUNNING_FUTURE,
  SUCCESSFUL_FUTURE,
} from './executors.js';
import { collectGarbage } from './support.js';

// ---- Tasks. Self-contained: they cross to the executor's workers as source text.

const mul = (x: number, y: number) => x * y;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- Helpers

async function collect<F>(iterator: AsyncIterable<Completion<F>>, into = new Set<F>()): Promise<Set<F>> {
  for await (const { future } of iterator) into.add(future);
  return into;
}

/**
 * Takes the next future from `iterator`, removes it from `list` and returns
 * only a weak reference to it (upstream's `remove`, `weakref.ref`, `del`);
 * `undefined` when the iterator is finished. A function of its own, so that
 * no frame of the test holds the future afterwards.
 */
async function takeWeakly(iterator: AsyncIterator<Completion<Future<unknown>>>, list: Future<unknown>[]): Promise<WeakRef<Future<unknown>> | undefined> {
  const step = await iterator.next();
  if (step.done) return undefined;
  list.splice(list.indexOf(step.value.future), 1);
  return new WeakRef(step.value.future);
}

/**
 * Takes every future from `iterator` as upstream's loop does, checking after
 * each that nothing kept it alive, then calling `after` (upstream finishes the
 * next future there).
 */
async function takeAllCheckingCollection(
  iterator: AsyncIterator<Completion<Future<unknown>>>,
  list: Future<unknown>[],
  after: () => void,
): Promise<void> {
  for (let ref = await takeWeakly(iterator, list); ref !== undefined; ref = await takeWeakly(iterator, list)) {
    await collectGarbage();
    assert.equal(ref.deref(), undefined, 'a yielded future was collected');
    after();
  }
}

// ---- Cases that need no executor

describe('AsCompletedTests', () => {
  it('test_free_reference_yielded_future', async () => {
    // Issue #14406: the iterator must not keep references to the futures it yielded.
    const futuresList: Future<unknown>[] = Array.from({ length: 8 }, () => new Future());
    futuresList.push(createFuture('CANCELLED_AND_NOTIFIED'));
    futuresList.push(createFuture('FINISHED', { result: 42 }));

    let yielded = 0;
    await assert.rejects(takeAllCheckingCollection(asCompleted(futuresList, { timeout: 0 }), futuresList, () => yielded++), TimeoutError);
    assert.equal(yielded, 2);

    futuresList[0]!.setResult('test');
    await takeAllCheckingCollection(asCompleted(futuresList), futuresList, () => {
      yielded++;
      futuresList[0]?.setResult('test');
    });
    assert.equal(yielded, 10);
  });

  it('test_correct_timeout_exception_msg', async () => {
    const futuresList = [CANCELLED_AND_NOTIFIED_FUTURE, PENDING_FUTURE, RUNNING_FUTURE, SUCCESSFUL_FUTURE];
    await assert.rejects(collect(asCompleted(futuresList, { timeout: 0 })), (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.message, '2 (of 4) futures unfinished');
      return true;
    });
  });
});

// ---- Cases over each executor

describeOverExecutors('AsCompletedTests', (_factory, executor) => {
  it('test_no_timeout', async () => {
    const future1 = executor().submit(mul, 2, 21);
    const future2 = executor().submit(mul, 7, 6);
    const everything = [CANCELLED_AND_NOTIFIED_FUTURE, EXCEPTION_FUTURE, SUCCESSFUL_FUTURE, future1, future2];
    const completed = await collect<Future<unknown>>(asCompleted(everything));
    assert.deepEqual(completed, new Set(everything));
  });

  it('test_future_times_out', async () => {
    // asCompleted timing out before its last future completes.
    const alreadyCompleted = new Set<Future<unknown>>([CANCELLED_AND_NOTIFIED_FUTURE, EXCEPTION_FUTURE, SUCCESSFUL_FUTURE]);
    const shortTimeout = 100;
    for (const timeout of [0, shortTimeout]) {
      const completedFutures = new Set<Future<unknown>>();
      const future = executor().submit(sleep, shortTimeout * 10);
      try {
        await collect(asCompleted([...alreadyCompleted, future], { timeout }), completedFutures);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
      }
      assert.deepEqual(completedFutures, alreadyCompleted, `timeout ${timeout}: the sleeping future was not completed`);
    }
  });

  it('test_duplicate_futures', async () => {
    // Issue 20367: duplicates neither raise nor come out twice. Issue #31641: any iterable.
    const future1 = executor().submit(sleep, 200);
    function* repeat<T>(item: T, times: number): Generator<T> {
      for (let i = 0; i < times; i++) yield item;
    }
    const completed: Future<unknown>[] = [];
    for await (const { future } of asCompleted(repeat(future1, 3))) completed.push(future);
    assert.equal(completed.length, 1);
  });
});
