// ThreadPoolExecutor's per-task options: priority, timeout and signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError } from '../../src/errors.js';
import { cells, count, occupy, reached, rejection, startThenSpin, TestPool, turn, within } from './support.js';

/** Appends `label` to the run order kept in `order` (count in [0], labels after). */
const record = (order: Int32Array, label: number): void => {
  const at = Atomics.add(order, 0, 1);
  Atomics.store(order, 1 + at, label);
};

/** The labels recorded by {@link record}. */
function runOrder(order: Int32Array): number[] {
  return Array.from(order.subarray(1, 1 + Atomics.load(order, 0)));
}

/** Spins until the worker is ended. */
const spin = (): never => {
  for (;;);
};

test('priority - lower runs first, FIFO among equal priorities', async () => {
  await using pool = new TestPool({ maxWorkers: 1, maxWindow: 1 });
  const blocker = occupy(pool);
  await blocker.started();
  const order = cells(8);
  const priorities = [5, 1, 3, 1, 0];
  const futures = [];
  for (const [label, priority] of priorities.entries()) {
    futures.push(pool.submit({ priority }, record, order, label));
    // Let the pool dispatch after each submit, as separate callers would.
    await turn();
  }
  blocker.release();
  assert.equal(await within(blocker.future, 5000, 'the blocking task'), 'released');
  await within(Promise.all(futures), 5000, 'the prioritized tasks');
  // Labels: 4 has priority 0; 1 and 3 priority 1, in submit order; 2 priority 3; 0 priority 5.
  assert.deepEqual(runOrder(order), [4, 1, 3, 2, 0]);
});

test('priority - with many tasks queued at once, the queue runs them by priority', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const blocker = occupy(pool);
  await blocker.started();
  const order = cells(8);
  const futures = [5, 1, 3, 1, 0].map((priority, label) => pool.submit({ priority }, record, order, label));
  blocker.release();
  await within(Promise.all([blocker.future, ...futures]), 5000, 'the tasks');
  assert.deepEqual(runOrder(order), [4, 1, 3, 2, 0]);
});

test('timeout - a task running past its timeout fails with TimeoutError; the tasks around it succeed', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const runs = cells(3);
  const before = pool.submit(count, runs, 0);
  const started = performance.now();
  const looping = pool.submit({ timeout: 100 }, spin);
  const after = pool.submit(count, runs, 2);
  const error = await rejection(looping, 5000, 'the looping task');
  const elapsed = performance.now() - started;
  assert.ok(error instanceof TimeoutError, `expected a TimeoutError, got ${String(error)}`);
  assert.match(error.message, /100 ms/);
  assert.ok(elapsed >= 90, `rejected after ${elapsed.toFixed(0)} ms, before its timeout`);
  assert.ok(elapsed < 3000, `rejected after ${elapsed.toFixed(0)} ms`);
  assert.deepEqual(await within(Promise.all([before, after]), 5000, 'the tasks around it'), [1, 1]);
  assert.equal(pool.stats().failed, 1);
  assert.equal(pool.stats().completed, 2);
});

test('timeout - the clock starts when the task starts, not when it is queued', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const blocker = occupy(pool);
  const timed = pool.submit({ timeout: 200 }, (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end);
    return 'in time';
  }, 20);
  await blocker.started();
  // The timed task waits longer than its timeout behind the blocker.
  await new Promise((resolve) => setTimeout(resolve, 300));
  blocker.release();
  assert.equal(await within(timed, 5000, 'the timed task'), 'in time');
  await blocker.future;
});

test('signal - aborted before submit: the future fails with the reason at once and the task never runs', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const runs = cells(1);
  const controller = new AbortController();
  const reason = new Error('changed my mind');
  controller.abort(reason);
  const future = pool.submit({ signal: controller.signal }, count, runs, 0);
  assert.equal(future.done(), true);
  assert.equal(await rejection(future, 1000, 'the aborted task'), reason);
  assert.equal(await within(pool.submit(count, runs, 0), 5000, 'the next task'), 1);
});

test('signal - aborted while queued behind a running task: fails with the reason and never runs', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const runs = cells(2);
  const blocker = occupy(pool);
  await blocker.started();
  const controller = new AbortController();
  const queued = pool.submit({ signal: controller.signal }, count, runs, 0);
  await turn();
  const reason = new Error('no longer needed');
  controller.abort(reason);
  assert.equal(await rejection(queued, 1000, 'the aborted task'), reason);
  blocker.release();
  // Tasks on one worker run in order: once this one has run, the aborted one would have.
  assert.equal(await within(pool.submit(count, runs, 1), 5000, 'a later task'), 1);
  await blocker.future;
  assert.equal(Atomics.load(runs, 0), 0, 'the aborted task ran');
});

test('signal - aborted while running: fails with the reason, and the pool keeps serving', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const started = cells(1);
  const controller = new AbortController();
  const looping = pool.submit({ signal: controller.signal }, startThenSpin, started);
  await reached(started, 0, 1, 5000, 'the looping task starting');
  const reason = new Error('stop spinning');
  const aborted = performance.now();
  controller.abort(reason);
  assert.equal(await rejection(looping, 3000, 'the aborted task'), reason);
  assert.ok(performance.now() - aborted < 1000, 'the abort took effect late');
  assert.equal(await within(pool.submit(() => 'next'), 5000, 'the next task'), 'next');
  assert.equal(pool.stats().failed, 1);
});

test('timeout - a task that returns just as its timer fires does not take down the task after it', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  // Short tasks first grow the window, so the next two go to the worker together.
  await within(Promise.all(Array.from({ length: 10 }, () => pool.submit(() => 1))), 5000, 'the first tasks');
  const started = cells(1);
  const quick = pool.submit({ timeout: 150 }, (started: Int32Array) => {
    Atomics.store(started, 0, 1);
    Atomics.notify(started, 0);
    const end = Date.now() + 100;
    while (Date.now() < end);
    return 'in time';
  }, started);
  const next = occupy(pool);
  await reached(started, 0, 1, 5000, 'the timed task starting');
  await new Promise((resolve) => setTimeout(resolve, 10));
  // The main thread is busy while the task returns in time and the next one starts; its timer is due when the main thread is back.
  await new Promise<void>((resolve) => setImmediate(() => {
    const end = Date.now() + 400;
    while (Date.now() < end);
    resolve();
  }));
  const outcome = await within(quick.then((value) => value, (error: unknown) => error), 5000, 'the timed task');
  assert.ok(outcome === 'in time' || outcome instanceof TimeoutError, `the timed task: ${String(outcome)}`);
  next.release();
  const after = await within(next.future.then((value) => value, (error: unknown) => error), 5000, 'the task after it');
  assert.equal(after, 'released', `the task after it: ${String(after)}`);
});

test('timeout - an async task whose promise never settles fails with TimeoutError', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit({ timeout: 100 }, () => new Promise(() => {})), 5000, 'the never-settling task');
  assert.ok(error instanceof TimeoutError, `expected a TimeoutError, got ${String(error)}`);
  assert.equal(await within(pool.submit(() => 'next'), 5000, 'the next task'), 'next');
});
