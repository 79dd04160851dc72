// Future's JavaScript shape — awaiting, then/catch/finally, timeouts in ms,
// AbortSignal, callback isolation, no unhandled rejections, the event loop
// kept alive only while waiting — and the state machine an executor drives.
// CPython's own cases are in test/conformance/futures-future.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { inspect, promisify } from 'node:util';
import { CancelledError, Future, InvalidStateError, TimeoutError } from '../../src/index.js';
import { internals } from '../../src/futures/future.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const state = (future: Future<unknown>) => internals.state(future);

/** Runs `body` with console.error captured; returns what it printed. */
async function capturingErrors(body: () => unknown): Promise<string[]> {
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' '));
  try {
    await body();
  } finally {
    console.error = original;
  }
  return printed;
}

test('a future goes pending -> running -> finished as an executor drives it', () => {
  const future = new Future<number>();
  assert.equal(state(future), 'PENDING');
  assert.deepEqual([future.running(), future.done(), future.cancelled()], [false, false, false]);
  assert.equal(future.setRunningOrNotifyCancel(), true);
  assert.equal(state(future), 'RUNNING');
  assert.deepEqual([future.running(), future.done(), future.cancelled()], [true, false, false]);
  future.setResult(1);
  assert.equal(state(future), 'FINISHED');
  assert.deepEqual([future.running(), future.done(), future.cancelled()], [false, true, false]);
});

test('.cancel() - only while pending; a cancelled future is noticed once by setRunningOrNotifyCancel()', () => {
  const future = new Future();
  assert.equal(future.cancel(), true);
  assert.equal(future.cancel(), true, 'cancelling again still says cancelled');
  assert.equal(state(future), 'CANCELLED');
  assert.deepEqual([future.running(), future.done(), future.cancelled()], [false, true, true]);
  assert.equal(future.setRunningOrNotifyCancel(), false, 'the executor must not run it');
  assert.equal(state(future), 'CANCELLED_AND_NOTIFIED');
  assert.equal(future.cancel(), true);
  assert.throws(() => future.setRunningOrNotifyCancel(), InvalidStateError);

  const running = new Future();
  running.setRunningOrNotifyCancel();
  assert.equal(running.cancel(), false);
  assert.equal(running.running(), true);
  const finished = new Future();
  finished.setResult(1);
  assert.equal(finished.cancel(), false);
});

test('.setRunningOrNotifyCancel() - InvalidStateError when running or finished', () => {
  const running = new Future();
  running.setRunningOrNotifyCancel();
  assert.throws(() => running.setRunningOrNotifyCancel(), { name: 'InvalidStateError', message: /unexpected state: RUNNING: <Future at 0x[0-9a-f]+ state=running>/ });
  const finished = new Future();
  finished.setException(new Error('x'));
  assert.throws(() => finished.setRunningOrNotifyCancel(), InvalidStateError);
});

test('.setResult() / .setException() - InvalidStateError once done, naming the state; the first outcome stays', async () => {
  const future = new Future<number>();
  future.setResult(1);
  assert.throws(() => future.setResult(2), { name: 'InvalidStateError', message: /^FINISHED: <Future at 0x[0-9a-f]+ state=finished returned number>$/ });
  assert.throws(() => future.setException(new Error('late')), InvalidStateError);
  assert.equal(await future, 1);

  const cancelled = new Future();
  cancelled.cancel();
  assert.throws(() => cancelled.setResult(1), { name: 'InvalidStateError', message: /^CANCELLED: / });
  cancelled.setRunningOrNotifyCancel();
  assert.throws(() => cancelled.setException(new Error('late')), { name: 'InvalidStateError', message: /^CANCELLED_AND_NOTIFIED: / });
});

test('await gives the result, throws the very error, or a CancelledError', async () => {
  const ok = new Future<string>();
  setTimeout(() => ok.setResult('value'), 5);
  assert.equal(await ok, 'value');
  assert.equal(await ok, 'value', 'awaiting again gives the same result');

  const error = new RangeError('bad');
  const failed = new Future();
  setTimeout(() => failed.setException(error), 5);
  await assert.rejects(async () => await failed, (thrown) => thrown === error);

  const cancelled = new Future();
  setTimeout(() => cancelled.cancel(), 5);
  await assert.rejects(async () => await cancelled, CancelledError);
});

test('a future may fail with any thrown value, undefined included', async () => {
  const future = new Future();
  future.setException(undefined);
  assert.equal(String(future).endsWith('raised undefined>'), true);
  await assert.rejects(future.result(), (thrown) => thrown === undefined);
  assert.equal(await future.exception(), undefined);
});

test('.then() / .catch() / .finally() behave as on a promise, and Promise combinators accept futures', async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  a.setResult(20);
  setTimeout(() => b.setResult(22), 5);
  assert.equal(await a.then((v) => v * 2), 40);
  assert.deepEqual(await Promise.all([a, b]), [20, 22]);
  assert.equal(await Promise.resolve(a), 20);

  const failed = new Future<number>();
  failed.setException(new Error('boom'));
  assert.equal(await failed.catch((error: unknown) => (error as Error).message), 'boom');
  let ran = false;
  await assert.rejects(failed.finally(() => (ran = true)), /boom/);
  assert.equal(ran, true);
  assert.equal(await failed.then(() => 'fulfilled', () => 'rejected'), 'rejected');
});

test('.result() - TimeoutError after timeout ms, at once for 0 or a negative timeout; TypeError for a bad timeout', async () => {
  const future = new Future();
  const start = performance.now();
  await assert.rejects(future.result({ timeout: 50 }), { name: 'TimeoutError', message: /Future\.result\(\): <Future at 0x[0-9a-f]+ state=pending> is not done after 50 ms/ });
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 49 && elapsed < 2000, `waited ${elapsed} ms`);
  await assert.rejects(future.result({ timeout: 0 }), TimeoutError);
  await assert.rejects(future.result({ timeout: -5 }), TimeoutError);
  await assert.rejects(future.exception({ timeout: 10 }), TimeoutError);
  await assert.rejects(future.result({ timeout: Number.NaN }), TypeError);
  await assert.rejects(future.result({ timeout: '5' as unknown as number }), TypeError);

  future.setResult('late');
  assert.equal(await future.result({ timeout: 0 }), 'late', 'a done future needs no time');
  assert.equal(await future.result({ timeout: -1 }), 'late');
});

test('.result() - a timeout longer than setTimeout can hold still waits (no 1 ms overflow)', async () => {
  const future = new Future<number>();
  setTimeout(() => future.setResult(7), 20);
  assert.equal(await future.result({ timeout: 2 ** 31 + 1000 }), 7);
});

test('.result() / .exception() - an abort rejects with signal.reason; the future is unaffected', async () => {
  const future = new Future<number>();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop waiting')), 5);
  await assert.rejects(future.result({ signal: controller.signal }), /stop waiting/);
  await assert.rejects(future.exception({ signal: controller.signal, timeout: 1000 }), /stop waiting/, 'already aborted');
  assert.equal(future.done(), false);
  future.setResult(3);
  assert.equal(await future.result({ signal: new AbortController().signal }), 3);
  await assert.rejects(future.result({ signal: AbortSignal.abort() }), { name: 'AbortError' }, 'an aborted signal wins, as in Event.wait');
});

test('.exception() - undefined on success, the error on failure, CancelledError when cancelled', async () => {
  const ok = new Future();
  ok.setResult(1);
  assert.equal(await ok.exception(), undefined);
  const error = new TypeError('nope');
  const failed = new Future();
  setTimeout(() => failed.setException(error), 5);
  assert.equal(await failed.exception(), error);
  const cancelled = new Future();
  setTimeout(() => cancelled.cancel(), 5);
  await assert.rejects(cancelled.exception(), CancelledError);
});

test('.addDoneCallback() - callbacks run in order, once, with the future; at once when already done', () => {
  const calls: string[] = [];
  const future = new Future<number>();
  for (const name of ['a', 'b', 'c']) future.addDoneCallback((f) => calls.push(`${name}:${f === future}`));
  assert.equal(calls.length, 0);
  future.setResult(1);
  assert.deepEqual(calls, ['a:true', 'b:true', 'c:true']);
  future.addDoneCallback(() => calls.push('late'));
  assert.deepEqual(calls, ['a:true', 'b:true', 'c:true', 'late']);

  const cancelled = new Future();
  let seen: boolean | undefined;
  cancelled.addDoneCallback((f) => (seen = f.cancelled()));
  cancelled.cancel();
  assert.equal(seen, true, 'cancel() runs the callbacks');
  cancelled.setRunningOrNotifyCancel();
  assert.throws(() => future.addDoneCallback('nope' as never), TypeError);
});

test('.addDoneCallback() - a throwing callback is reported and breaks nothing', async () => {
  const future = new Future<number>();
  const calls: string[] = [];
  const printed = await capturingErrors(() => {
    future.addDoneCallback(() => calls.push('first'));
    future.addDoneCallback(() => {
      throw new Error('doh!');
    });
    future.addDoneCallback(() => calls.push('last'));
    future.setResult(5);
  });
  assert.deepEqual(calls, ['first', 'last']);
  assert.equal(printed.length, 1);
  assert.match(printed[0]!, /^exception calling callback for <Future at 0x[0-9a-f]+ state=finished returned number> Error: doh!/);
  assert.equal(await future, 5);

  const already = await capturingErrors(() =>
    future.addDoneCallback(() => {
      throw new Error('again');
    }),
  );
  assert.match(already.join('\n'), /exception calling callback for .*Error: again/s);
});

test('.addDoneCallback() - an async callback that rejects is reported too, not left unhandled', async () => {
  const future = new Future();
  const printed = await capturingErrors(async () => {
    future.addDoneCallback(async () => {
      throw new Error('async doh');
    });
    future.setResult(1);
    await sleep(5);
  });
  assert.match(printed.join('\n'), /exception calling callback for .*async doh/s);
});

test('a failed or cancelled future nobody awaits raises no unhandledRejection', async () => {
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  try {
    const failed = new Future();
    failed.setException(new Error('nobody listens'));
    const failsLater = new Future();
    failsLater.addDoneCallback(() => {});
    setTimeout(() => failsLater.setException(new Error('nobody listens either')), 1);
    const cancelled = new Future();
    cancelled.cancel();
    const awaited = new Future();
    setTimeout(() => awaited.setException(new Error('caught')), 1);
    await assert.rejects(async () => await awaited, /caught/);
    await assert.rejects(awaited.result({ timeout: 100 }), /caught/);
    await sleep(20);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', listener);
  }
  assert.deepEqual(unhandled, []);
});

test('toString() is Python\'s repr; console.log prints it; Symbol.toStringTag names the state', () => {
  const future = new Future<number[]>();
  assert.match(String(future), /^<Future at 0x[0-9a-f]+ state=pending>$/);
  assert.equal(Object.prototype.toString.call(future), '[object Future pending]');
  future.setRunningOrNotifyCancel();
  assert.match(inspect(future), /^<Future at 0x[0-9a-f]+ state=running>$/);
  future.setResult([1]);
  assert.match(`${future}`, /state=finished returned Array>$/);
  const failed = new Future();
  failed.setException(new RangeError('x'));
  assert.match(String(failed), /state=finished raised RangeError>$/);
  const nothing = new Future();
  nothing.setResult(null);
  assert.match(String(nothing), /returned null>$/);
  const cancelled = new Future();
  cancelled.cancel();
  assert.match(String(cancelled), /state=cancelled>$/);
  assert.notEqual(String(new Future()).match(/0x[0-9a-f]+/)![0], String(new Future()).match(/0x[0-9a-f]+/)![0], 'each future has its own id');
});

test('many waiters on one future all wake, each with the outcome', async () => {
  const future = new Future<number>();
  const waiting = [future.result(), future.result({ timeout: 5000 }), future.then((v) => v + 1), future.exception()];
  setTimeout(() => future.setResult(1), 5);
  assert.deepEqual(await Promise.all(waiting), [1, 1, 2, undefined]);
});

test('.result() keeps the process alive until the future settles, and nothing is left running after', async () => {
  const program = `
    import { Future } from './src/futures/future.ts';
    const start = performance.now();
    const future = new Future();
    setTimeout(() => future.setResult('kept alive'), 50).unref();
    console.log(await future.result());
    const timed = new Future();
    setTimeout(() => timed.setResult('settled'), 10).unref();
    console.log(await timed.result({ timeout: 60_000 }));
    const aborted = new Future();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10).unref();
    await aborted.result({ timeout: 60_000, signal: controller.signal }).catch(() => console.log('aborted'));
    process.on('exit', () => console.log(Math.round(performance.now() - start) < 10_000 ? 'exited promptly' : 'exited late'));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: root, timeout: 30_000 });
  assert.deepEqual(stdout.trim().split('\n'), ['kept alive', 'settled', 'aborted', 'exited promptly']);
});
