// wait() and asCompleted() over futures completed by timers: Python's
// returnWhen rules, the timeouts (wait returns, asCompleted throws), the
// AbortSignal, duplicates, iterables, unhooking, and nothing left running.
// CPython's own cases (over executors) are in test/conformance/futures-*.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ALL_COMPLETED, asCompleted, FIRST_COMPLETED, FIRST_EXCEPTION, Future, TimeoutError, wait } from '../../src/index.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function resolved<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

function failed(error: unknown = new Error('failed')): Future<never> {
  const future = new Future<never>();
  future.setException(error);
  return future;
}

/** Cancelled, and noticed by its (imaginary) executor: done for wait() and asCompleted(). */
function cancelledAndNotified(): Future<never> {
  const future = new Future<never>();
  future.cancel();
  future.setRunningOrNotifyCancel();
  return future;
}

function later<T>(ms: number, value: T): Future<T> {
  const future = new Future<T>();
  setTimeout(() => future.setResult(value), ms);
  return future;
}

test('wait() - ALL_COMPLETED is the default and waits for every future', async () => {
  const fs = [later(10, 'a'), later(20, 'b'), resolved('c')];
  const { done, notDone } = await wait(fs);
  assert.deepEqual(done, new Set(fs));
  assert.deepEqual(notDone, new Set());
  assert.equal(fs.every((f) => f.done()), true);
});

test('wait() - FIRST_COMPLETED returns at the first completion, or at once if one is done', async () => {
  const fast = later(5, 1);
  const slow = new Future<number>();
  const { done, notDone } = await wait([slow, fast], { returnWhen: FIRST_COMPLETED });
  assert.deepEqual(done, new Set([fast]));
  assert.deepEqual(notDone, new Set([slow]));

  const again = await wait([slow, fast], { returnWhen: FIRST_COMPLETED, timeout: 0 });
  assert.deepEqual([again.done, again.notDone], [new Set([fast]), new Set([slow])]);
});

test('wait() - FIRST_EXCEPTION returns at the first failure, not at a success or a cancellation', async () => {
  const ok = later(5, 'ok');
  const cancelled = new Future();
  setTimeout(() => (cancelled.cancel(), cancelled.setRunningOrNotifyCancel()), 5);
  const failing = new Future();
  setTimeout(() => failing.setException(new Error('x')), 30);
  const never = new Future();
  const start = performance.now();
  const { done, notDone } = await wait([ok, cancelled, failing, never], { returnWhen: FIRST_EXCEPTION });
  assert.ok(performance.now() - start >= 25, 'it waited for the failure');
  assert.deepEqual(done, new Set([ok, cancelled, failing]));
  assert.deepEqual(notDone, new Set([never]));
});

test('wait() - FIRST_EXCEPTION returns when all are done if none fails, and at once if one already failed', async () => {
  const fs = [later(5, 1), later(10, 2), cancelledAndNotified()];
  assert.deepEqual((await wait(fs, { returnWhen: FIRST_EXCEPTION })).done, new Set(fs));
  const bad = failed();
  const pending = new Future();
  const { done, notDone } = await wait([pending, bad], { returnWhen: FIRST_EXCEPTION, timeout: 5000 });
  assert.deepEqual([done, notDone], [new Set([bad]), new Set([pending])]);
});

test('wait() - a cancellation counts once the executor notices it (setRunningOrNotifyCancel), as in Python', async () => {
  const cancelled = new Future();
  cancelled.cancel();
  assert.equal(cancelled.done(), true);
  let result = await wait([cancelled], { timeout: 10 });
  assert.deepEqual(result.notDone, new Set([cancelled]), 'not yet noticed: still waited for');
  setTimeout(() => cancelled.setRunningOrNotifyCancel(), 5);
  result = await wait([cancelled], { timeout: 5000 });
  assert.deepEqual(result.done, new Set([cancelled]));
});

test('wait() - a timeout resolves to what is done by then, without throwing', async () => {
  const ok = later(5, 'ok');
  const pending = new Future();
  const start = performance.now();
  const { done, notDone } = await wait([ok, pending], { timeout: 60 });
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 59 && elapsed < 2000, `waited ${elapsed} ms`);
  assert.deepEqual([done, notDone], [new Set([ok]), new Set([pending])]);
  const immediate = await wait([pending, resolved(1)], { timeout: 0 });
  assert.equal(immediate.done.size, 1);
  assert.deepEqual(immediate.notDone, new Set([pending]));
});

test('wait() - futures finishing between the wake-up and the return count as done', async () => {
  const a = new Future();
  const b = new Future();
  const waiting = wait([a, b], { returnWhen: FIRST_COMPLETED });
  a.setResult(1);
  b.setResult(2);
  assert.deepEqual((await waiting).done, new Set([a, b]));
});

test('wait() - duplicates count once; any iterable; an empty one returns at once', async () => {
  const f = later(5, 1);
  const { done } = await wait([f, f, f]);
  assert.deepEqual(done, new Set([f]));
  function* generate() {
    yield resolved('x');
    yield resolved('y');
  }
  assert.equal((await wait(generate())).done.size, 2);
  assert.deepEqual(await wait([]), { done: new Set(), notDone: new Set() });
});

test('wait() - TypeError for a bad returnWhen, timeout or item', async () => {
  await assert.rejects(wait([new Future()], { returnWhen: 'FIRST' as never }), { name: 'TypeError', message: /returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got FIRST/ });
  await assert.rejects(wait([new Future()], { timeout: Number.NaN }), TypeError);
  await assert.rejects(wait([Promise.resolve(1)] as never), { name: 'TypeError', message: /expected Futures/ });
});

test('wait() - an abort rejects with signal.reason and unhooks the waiter', async () => {
  const pending = new Future<number>();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('enough')), 5);
  await assert.rejects(wait([pending], { signal: controller.signal }), /enough/);
  await assert.rejects(wait([resolved(1)], { signal: controller.signal }), /enough/, 'already aborted');
  pending.setResult(1);
  assert.equal(await pending, 1);
});

test('the returnWhen constants are their own names', () => {
  assert.deepEqual([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED], ['FIRST_COMPLETED', 'FIRST_EXCEPTION', 'ALL_COMPLETED']);
});

test('asCompleted() - done futures first in the order given, then in completion order, each once', async () => {
  const slow = later(30, 'slow');
  const fast = later(5, 'fast');
  const first = resolved('first');
  const second = failed();
  const order: Future<unknown>[] = [];
  const indexes: number[] = [];
  for await (const { future, index } of asCompleted([slow, first, fast, second, slow, first])) {
    order.push(future);
    indexes.push(index);
  }
  assert.deepEqual(order, [first, second, fast, slow]);
  assert.deepEqual(indexes, [1, 3, 2, 0], 'positions among the futures given, duplicates dropped');
});

test('asCompleted() - a noticed cancellation is yielded; an empty iterable ends at once', async () => {
  const cancelled = new Future();
  cancelled.cancel();
  setTimeout(() => cancelled.setRunningOrNotifyCancel(), 5);
  const yielded = [];
  for await (const { future } of asCompleted([cancelled])) yielded.push(future);
  assert.deepEqual(yielded, [cancelled]);
  for await (const _ of asCompleted([])) assert.fail('nothing to yield');
});

test('asCompleted() - after the timeout, next() throws TimeoutError counting the unfinished', async () => {
  const done = resolved(1);
  const pending = [new Future(), new Future()];
  const seen: Future<unknown>[] = [];
  const start = performance.now();
  await assert.rejects(
    async () => {
      for await (const { future } of asCompleted([done, ...pending], { timeout: 50 })) seen.push(future);
    },
    (error: unknown) => error instanceof TimeoutError && error.message === '2 (of 3) futures unfinished',
  );
  assert.ok(performance.now() - start >= 49);
  assert.deepEqual(seen, [done]);
});

test('asCompleted() - the timeout counts from the call; futures that complete in time are still yielded', async () => {
  const pending = new Future();
  const iterator = asCompleted([pending, resolved(1)], { timeout: 20 });
  await sleep(30);
  const first = await iterator.next();
  assert.equal(first.done, false);
  await assert.rejects(iterator.next(), /1 \(of 2\) futures unfinished/);

  const finishing = later(5, 'in time');
  const late = new Future();
  const yielded: unknown[] = [];
  await assert.rejects(async () => {
    for await (const { future } of asCompleted([finishing, late], { timeout: 40 })) yielded.push(await future);
  }, TimeoutError);
  assert.deepEqual(yielded, ['in time']);
});

test('asCompleted() - an abort rejects next() with signal.reason', async () => {
  const controller = new AbortController();
  const iterator = asCompleted([resolved(1), new Future()], { signal: controller.signal });
  assert.equal((await iterator.next()).done, false);
  setTimeout(() => controller.abort(new Error('stop')), 5);
  await assert.rejects(iterator.next(), /stop/);
  assert.deepEqual(await iterator.next(), { done: true, value: undefined }, 'the iterator is finished');
});

test('asCompleted() - breaking out unhooks it: completions after that go nowhere', async () => {
  const a = resolved('a');
  const b = new Future<string>();
  for await (const { future } of asCompleted([a, b])) {
    assert.equal(future, a);
    break;
  }
  b.setResult('b');
  assert.equal(await b, 'b');
});

test('asCompleted() - each step types its future as the future, not its result', async () => {
  const numbers = [resolved(1), resolved(2)];
  const words = [resolved('a')];
  const results: Array<number | string> = [];
  for await (const { future } of asCompleted([...numbers, ...words])) {
    const typed: Future<number> | Future<string> = future;
    results.push(await typed.result());
  }
  assert.deepEqual(results, [1, 2, 'a']);
});

test('asCompleted() - TypeError at the call for a bad item or timeout', () => {
  assert.throws(() => asCompleted([{}] as never), { name: 'TypeError', message: /asCompleted\(\): expected Futures/ });
  assert.throws(() => asCompleted([], { timeout: Number.NaN }), TypeError);
});

test('wait() and asCompleted() hold the process open while waiting and leave nothing behind', async () => {
  const program = `
    import { Future } from './src/futures/future.ts';
    import { wait, asCompleted } from './src/futures/wait.ts';
    const start = performance.now();
    const a = new Future();
    setTimeout(() => a.setResult('a'), 30).unref();
    console.log((await wait([a], { timeout: 60_000 })).done.size);
    const b = new Future();
    setTimeout(() => b.setResult('b'), 30).unref();
    for await (const { future } of asCompleted([b], { timeout: 60_000 })) console.log(await future);
    process.on('exit', () => console.log(Math.round(performance.now() - start) < 10_000 ? 'exited promptly' : 'exited late'));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: root, timeout: 30_000 });
  assert.deepEqual(stdout.trim().split('\n'), ['1', 'b', 'exited promptly']);
});
