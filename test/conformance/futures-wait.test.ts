/**
 * Mirrors CPython's `Lib/test/test_concurrent_futures/test_wait.py`
 * (`WaitTests`, and `ThreadPoolWaitTests.test_pending_calls_race`, main
 * branch). Test names are upstream's. Every case submits work, so each runs
 * once per executor registered in `executors.ts` (upstream's
 * `create_executor_tests`); the ready-made futures are upstream's `util.py`
 * ones.
 *
 * Translations: seconds become milliseconds; `wait` resolves to
 * `{ done, notDone }`; upstream's `event.wait` task is a task awaiting the
 * event it is given (the executor's `createEvent`, by default weft's
 * `Event`); `divmod(21, 0)` is a task that throws a `RangeError`; the helper
 * thread of test_first_exception is a callback on `future1`; upstream's
 * try/finally around each `submit(event.wait)` is `withBlockedFuture`.
 * test_pending_calls_race runs over every executor, not only the thread pool:
 * upstream's switch-interval trick has no counterpart, and a hundred futures
 * finishing at once is worth checking everywhere.
 */

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, wait, type Future } from '../../src/index.js';
import {
  CANCELLED_AND_NOTIFIED_FUTURE,
  CANCELLED_FUTURE,
  createEvent,
  describeOverExecutors,
  EXCEPTION_FUTURE,
  needsEvent,
  SUCCESSFUL_FUTURE,
  type ConformanceEvent,
  type ConformanceExecutor,
  type ExecutorFactory,
} from './executors.js';

// ---- Tasks. Self-contained: they cross to the executor's workers as source text.

const mul = (x: number, y: number) => x * y;
const eventWait = (event: ConformanceEvent) => event.wait();
const waitAndRaise = async (event: ConformanceEvent) => {
  await event.wait();
  throw new Error('this is an exception');
};
const divmod = (x: number, y: number) => {
  if (y === 0) throw new RangeError('integer division or modulo by zero');
  return [Math.floor(x / y), x % y];
};

const set = (...futures: Future<unknown>[]) => new Set<Future<unknown>>(futures);

/**
 * Upstream's pattern around `submit(event.wait)`: runs `body` with a future
 * of `executor` that cannot finish until released, then releases it (also
 * when `body` fails) and waits for the job to finish.
 */
async function withBlockedFuture(
  factory: ExecutorFactory,
  executor: ConformanceExecutor,
  body: (blocked: Future<boolean>) => Promise<void>,
): Promise<void> {
  const event = createEvent(factory);
  const blocked = executor.submit(eventWait, event);
  try {
    await body(blocked);
  } finally {
    event.set();
  }
  await blocked.result();
}

describeOverExecutors('WaitTests', (factory, executor) => {
  it('test_20369', async () => {
    // bpo-20369: a future given twice is one future.
    const future = executor().submit(mul, 1, 2);
    const { done, notDone } = await wait([future, future], { returnWhen: ALL_COMPLETED });
    assert.deepEqual(done, set(future));
    assert.deepEqual(notDone, set());
  });

  it('test_first_completed', needsEvent(factory), async () => {
    const future1 = executor().submit(mul, 21, 2);
    await withBlockedFuture(factory, executor(), async (future2) => {
      const { done, notDone } = await wait([CANCELLED_FUTURE, future1, future2], { returnWhen: FIRST_COMPLETED });
      assert.deepEqual(done, set(future1));
      assert.deepEqual(notDone, set(CANCELLED_FUTURE, future2));
    });
  });

  it('test_first_completed_some_already_completed', needsEvent(factory), () =>
    withBlockedFuture(factory, executor(), async (future1) => {
      const { done: finished, notDone: pending } = await wait([CANCELLED_AND_NOTIFIED_FUTURE, SUCCESSFUL_FUTURE, future1], {
        returnWhen: FIRST_COMPLETED,
      });
      assert.deepEqual(finished, set(CANCELLED_AND_NOTIFIED_FUTURE, SUCCESSFUL_FUTURE));
      assert.deepEqual(pending, set(future1));
    }));

  it('test_first_exception', needsEvent(factory), async () => {
    const event1 = createEvent(factory);
    try {
      await withBlockedFuture(factory, executor(), async (future3) => {
        const future1 = executor().submit(mul, 2, 21);
        const future2 = executor().submit(waitAndRaise, event1);
        // future1 completes before future2 can fail.
        future1.addDoneCallback(() => event1.set());
        const { done: finished, notDone: pending } = await wait([future1, future2, future3], { returnWhen: FIRST_EXCEPTION });
        assert.deepEqual(finished, set(future1, future2));
        assert.deepEqual(pending, set(future3));
      });
    } finally {
      event1.set();
    }
  });

  it('test_first_exception_some_already_complete', needsEvent(factory), async () => {
    const future1 = executor().submit(divmod, 21, 0);
    await withBlockedFuture(factory, executor(), async (future2) => {
      const { done: finished, notDone: pending } = await wait(
        [SUCCESSFUL_FUTURE, CANCELLED_FUTURE, CANCELLED_AND_NOTIFIED_FUTURE, future1, future2],
        { returnWhen: FIRST_EXCEPTION },
      );
      assert.deepEqual(finished, set(SUCCESSFUL_FUTURE, CANCELLED_AND_NOTIFIED_FUTURE, future1));
      assert.deepEqual(pending, set(CANCELLED_FUTURE, future2));
    });
  });

  it('test_first_exception_one_already_failed', needsEvent(factory), () =>
    withBlockedFuture(factory, executor(), async (future1) => {
      const { done: finished, notDone: pending } = await wait([EXCEPTION_FUTURE, future1], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(finished, set(EXCEPTION_FUTURE));
      assert.deepEqual(pending, set(future1));
    }));

  it('test_all_completed', async () => {
    const future1 = executor().submit(divmod, 2, 0);
    const future2 = executor().submit(mul, 2, 21);
    const everything = [SUCCESSFUL_FUTURE, CANCELLED_AND_NOTIFIED_FUTURE, EXCEPTION_FUTURE, future1, future2];
    const { done: finished, notDone: pending } = await wait(everything, { returnWhen: ALL_COMPLETED });
    assert.deepEqual(finished, set(...everything));
    assert.deepEqual(pending, set());
  });

  it('test_timeout', needsEvent(factory), () =>
    withBlockedFuture(factory, executor(), async (future) => {
      const shortTimeout = 50;
      const { done: finished, notDone: pending } = await wait([CANCELLED_AND_NOTIFIED_FUTURE, EXCEPTION_FUTURE, SUCCESSFUL_FUTURE, future], {
        timeout: shortTimeout,
        returnWhen: ALL_COMPLETED,
      });
      assert.deepEqual(finished, set(CANCELLED_AND_NOTIFIED_FUTURE, EXCEPTION_FUTURE, SUCCESSFUL_FUTURE));
      assert.deepEqual(pending, set(future));
    }));

  it('test_pending_calls_race', needsEvent(factory), async () => {
    // Issue #14406: a race when waiting on all of many futures.
    const event = createEvent(factory);
    const fs = new Set(Array.from({ length: 100 }, () => executor().submit(eventWait, event)));
    event.set();
    const { done, notDone } = await wait(fs, { returnWhen: ALL_COMPLETED });
    assert.equal(done.size, 100);
    assert.equal(notDone.size, 0);
  });
});
