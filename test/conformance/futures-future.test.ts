/**
 * Mirrors CPython's `Lib/test/test_concurrent_futures/test_future.py`
 * (`FutureTests`, main branch) over weft's `Future`. Test names are
 * upstream's. The futures in each state are upstream's `util.py` fixtures,
 * made with the public API (see `executors.ts`).
 *
 * Translations: seconds become milliseconds; `result()` / `exception()`
 * return promises, so a callback that upstream lets read `f.result()` keeps
 * the promise and the test awaits it; where upstream sets a result from a
 * thread after `time.sleep(1)`, a timer does it after 100 ms; upstream's
 * `Exception('doh!')` is an `Error` (so stderr shows `Error: doh!`), its
 * `ValueError` a `RangeError`, `int` is `number`; upstream's captured stderr
 * is `console.error`, where weft reports a failing callback as Python's
 * `LOGGER.exception` does. `f._state` is read through the module's internals.
 *
 * Not ported: test_get_snapshot (the private `_get_snapshot()` has no weft
 * counterpart; the state is read directly, nothing can interleave within a
 * thread). test_class_str checks class names rather than Python's
 * `<class '…'>` strings, and leaves `Executor` to the executor suites.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { format } from 'node:util';
import { BrokenExecutorError, CancelledError, Future, InvalidStateError, TimeoutError } from '../../src/index.js';
import { internals } from '../../src/futures/future.js';
import {
  CANCELLED_AND_NOTIFIED_FUTURE,
  CANCELLED_FUTURE,
  createFuture,
  EXCEPTION_FUTURE,
  OSError,
  PENDING_FUTURE,
  RUNNING_FUTURE,
  SUCCESSFUL_FUTURE,
} from './executors.js';

/** Upstream's util.py futures: pending, running, cancelled, cancelled and notified, failed, successful. */
const FIXTURES = [PENDING_FUTURE, RUNNING_FUTURE, CANCELLED_FUTURE, CANCELLED_AND_NOTIFIED_FUTURE, EXCEPTION_FUTURE, SUCCESSFUL_FUTURE];

/** What upstream's threads wait before acting, "until the main thread is waiting". */
const NOTIFICATION_DELAY = 100;
/** Upstream's support.SHORT_TIMEOUT, in ms. */
const SHORT_TIMEOUT = 30_000;

/** Runs `body` with `console.error` captured (upstream's `captured_stderr`). */
function capturedStderr(body: () => void): string {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(format(...args));
  try {
    body();
  } finally {
    console.error = original;
  }
  return lines.join('\n');
}

describe('FutureTests', () => {
  it('test_done_callback_with_result', async () => {
    let callbackResult: Promise<unknown> | undefined;
    const f = new Future<number>();
    f.addDoneCallback((callbackFuture) => (callbackResult = callbackFuture.result()));
    f.setResult(5);
    assert.equal(await callbackResult, 5);
  });

  it('test_done_callback_with_exception', async () => {
    let callbackException: Promise<unknown> | undefined;
    const f = new Future();
    f.addDoneCallback((callbackFuture) => (callbackException = callbackFuture.exception()));
    f.setException(new Error('test'));
    assert.equal(((await callbackException) as Error).message, 'test');
  });

  it('test_done_callback_with_cancel', () => {
    let wasCancelled: boolean | undefined;
    const f = new Future();
    f.addDoneCallback((callbackFuture) => (wasCancelled = callbackFuture.cancelled()));
    assert.equal(f.cancel(), true);
    assert.equal(wasCancelled, true);
  });

  it('test_done_callback_raises', () => {
    let raisingWasCalled = false;
    let fnWasCalled = false;
    const stderr = capturedStderr(() => {
      const f = new Future<number>();
      f.addDoneCallback(() => {
        raisingWasCalled = true;
        throw new Error('doh!');
      });
      f.addDoneCallback(() => (fnWasCalled = true));
      f.setResult(5);
    });
    assert.equal(raisingWasCalled, true);
    assert.equal(fnWasCalled, true);
    assert.ok(stderr.includes('Error: doh!'), stderr);
  });

  it('test_done_callback_already_successful', async () => {
    let callbackResult: Promise<unknown> | undefined;
    const f = new Future<number>();
    f.setResult(5);
    f.addDoneCallback((callbackFuture) => (callbackResult = callbackFuture.result()));
    assert.equal(await callbackResult, 5);
  });

  it('test_done_callback_already_failed', async () => {
    let callbackException: Promise<unknown> | undefined;
    const f = new Future();
    f.setException(new Error('test'));
    f.addDoneCallback((callbackFuture) => (callbackException = callbackFuture.exception()));
    assert.equal(((await callbackException) as Error).message, 'test');
  });

  it('test_done_callback_already_cancelled', () => {
    let wasCancelled: boolean | undefined;
    const f = new Future();
    assert.equal(f.cancel(), true);
    f.addDoneCallback((callbackFuture) => (wasCancelled = callbackFuture.cancelled()));
    assert.equal(wasCancelled, true);
  });

  it('test_done_callback_raises_already_succeeded', () => {
    const stderr = capturedStderr(() => {
      const f = new Future<number>();
      // Set the result first, as for a future that ran at once: the callback runs immediately.
      f.setResult(5);
      f.addDoneCallback(() => {
        throw new Error('doh!');
      });
    });
    assert.ok(stderr.includes('exception calling callback for'), stderr);
    assert.ok(stderr.includes('doh!'), stderr);
  });

  it('test_repr', () => {
    assert.match(String(PENDING_FUTURE), /<Future at 0x[0-9a-f]+ state=pending>/);
    assert.match(String(RUNNING_FUTURE), /<Future at 0x[0-9a-f]+ state=running>/);
    assert.match(String(CANCELLED_FUTURE), /<Future at 0x[0-9a-f]+ state=cancelled>/);
    assert.match(String(CANCELLED_AND_NOTIFIED_FUTURE), /<Future at 0x[0-9a-f]+ state=cancelled>/);
    assert.match(String(EXCEPTION_FUTURE), /<Future at 0x[0-9a-f]+ state=finished raised OSError>/);
    assert.match(String(SUCCESSFUL_FUTURE), /<Future at 0x[0-9a-f]+ state=finished returned number>/);
  });

  it('test_class_str', () => {
    assert.equal(Future.name, 'Future');
    assert.equal(CancelledError.name, 'CancelledError');
    assert.equal(TimeoutError.name, 'TimeoutError');
    assert.equal(InvalidStateError.name, 'InvalidStateError');
    assert.equal(BrokenExecutorError.name, 'BrokenExecutorError');
  });

  it('test_cancel', () => {
    const f1 = createFuture('PENDING');
    const f2 = createFuture('RUNNING');
    const f3 = createFuture('CANCELLED');
    const f4 = createFuture('CANCELLED_AND_NOTIFIED');
    const f5 = createFuture('FINISHED', { exception: new OSError() });
    const f6 = createFuture('FINISHED', { result: 5 });

    // What cancel() returns for each, and the state it leaves.
    const outcomes = [f1, f2, f3, f4, f5, f6].map((f) => [f.cancel(), internals.state(f)]);
    assert.deepEqual(outcomes, [
      [true, 'CANCELLED'],
      [false, 'RUNNING'],
      [true, 'CANCELLED'],
      [true, 'CANCELLED_AND_NOTIFIED'],
      [false, 'FINISHED'],
      [false, 'FINISHED'],
    ]);
  });

  // Upstream asserts each of util.py's six futures in turn; here as one row per method, in FIXTURES' order.
  it('test_cancelled', () => {
    assert.deepEqual(FIXTURES.map((f) => f.cancelled()), [false, false, true, true, false, false]);
  });

  it('test_done', () => {
    assert.deepEqual(FIXTURES.map((f) => f.done()), [false, false, true, true, true, true]);
  });

  it('test_running', () => {
    assert.deepEqual(FIXTURES.map((f) => f.running()), [false, true, false, false, false, false]);
  });

  it('test_result_with_timeout', async () => {
    await assert.rejects(PENDING_FUTURE.result({ timeout: 0 }), TimeoutError);
    await assert.rejects(RUNNING_FUTURE.result({ timeout: 0 }), TimeoutError);
    await assert.rejects(CANCELLED_FUTURE.result({ timeout: 0 }), CancelledError);
    await assert.rejects(CANCELLED_AND_NOTIFIED_FUTURE.result({ timeout: 0 }), CancelledError);
    await assert.rejects(EXCEPTION_FUTURE.result({ timeout: 0 }), OSError);
    assert.equal(await SUCCESSFUL_FUTURE.result({ timeout: 0 }), 42);
  });

  it('test_result_with_success', async () => {
    const f1 = createFuture<number>('PENDING');
    // Once this test is waiting for the result.
    setTimeout(() => f1.setResult(42), NOTIFICATION_DELAY);
    assert.equal(await f1.result({ timeout: 5000 }), 42);
  });

  it('test_result_with_cancel', async () => {
    const f1 = createFuture('PENDING');
    setTimeout(() => f1.cancel(), NOTIFICATION_DELAY);
    await assert.rejects(f1.result({ timeout: SHORT_TIMEOUT }), CancelledError);
  });

  it('test_exception_with_timeout', async () => {
    await assert.rejects(PENDING_FUTURE.exception({ timeout: 0 }), TimeoutError);
    await assert.rejects(RUNNING_FUTURE.exception({ timeout: 0 }), TimeoutError);
    await assert.rejects(CANCELLED_FUTURE.exception({ timeout: 0 }), CancelledError);
    await assert.rejects(CANCELLED_AND_NOTIFIED_FUTURE.exception({ timeout: 0 }), CancelledError);
    assert.ok((await EXCEPTION_FUTURE.exception({ timeout: 0 })) instanceof OSError);
    assert.equal(await SUCCESSFUL_FUTURE.exception({ timeout: 0 }), undefined);
  });

  it('test_exception_with_success', async () => {
    const f1 = createFuture('PENDING');
    // Upstream finishes the future by hand under its condition; setException is the public way.
    setTimeout(() => f1.setException(new OSError()), NOTIFICATION_DELAY);
    assert.ok((await f1.exception({ timeout: SHORT_TIMEOUT })) instanceof OSError);
  });

  it('test_multiple_set_result', async () => {
    const f = createFuture<number>('PENDING');
    f.setResult(1);
    assert.throws(() => f.setResult(2), { name: 'InvalidStateError', message: /FINISHED: <Future at 0x[0-9a-f]+ state=finished returned number>/ });
    assert.equal(f.done(), true);
    assert.equal(await f.result(), 1);
  });

  it('test_multiple_set_exception', async () => {
    const f = createFuture('PENDING');
    const e = new RangeError();
    f.setException(e);
    assert.throws(() => f.setException(new Error()), { name: 'InvalidStateError', message: /FINISHED: <Future at 0x[0-9a-f]+ state=finished raised RangeError>/ });
    assert.equal(await f.exception(), e);
  });
});
