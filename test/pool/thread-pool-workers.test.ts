// ThreadPoolExecutor's workers: death (exit, uncaught error, out of memory)
// with 'replace' and 'break', initializer, maxTasksPerChild, idleTimeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokenThreadPoolError, TimeoutError, WorkerDiedError } from '../../src/errors.js';
import { Value } from '../../src/shared/value.js';
import { cells, eventually, occupy, reached, rejection, startThenSpin, TestPool, turn, within } from './support.js';

/** Counts a run of task `i` in its own slot, or ends the worker instead when `die`. */
const mark = (runs: Int32Array, i: number, die: boolean): number => {
  if (die) process.exit(3);
  Atomics.add(runs, i, 1);
  return i;
};

test('worker death - process.exit(3) fails only that task with WorkerDiedError; the tasks around it run once each', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  // Warm up: short tasks grow the window, so the ones after the dying task
  // ride with it to the same worker. Enough of them that a slow first run
  // (cold code, a busy machine) no longer weighs on the mean run time.
  const warm = 60;
  const n = warm + 20;
  const dead = warm + 5;
  const runs = cells(n);
  const first = Array.from({ length: warm }, (_, i) => pool.submit(mark, runs, i, false));
  await within(Promise.all(first), 5000, 'the first tasks');
  // Hold the worker while the rest are sent to it, so the dying task has tasks queued behind it there.
  const blocker = occupy(pool);
  const rest = Array.from({ length: 20 }, (_, k) => pool.submit(mark, runs, warm + k, warm + k === dead));
  await blocker.started();
  await turn();
  assert.equal(pool.stats().queued, 0, 'the tasks were not all sent to the worker');
  const sent = performance.now();
  blocker.release();
  const error = await rejection(rest[dead - warm]!, 5000, 'the dying task');
  const elapsed = performance.now() - sent;
  assert.equal(await blocker.future, 'released');
  assert.ok(error instanceof WorkerDiedError, `expected a WorkerDiedError, got ${String(error)}`);
  assert.deepEqual(error.death, { kind: 'exit', exitCode: 3 });
  assert.equal(error.code, 'ERR_WEFT_WORKER_DIED');
  assert.ok(elapsed < 1000, `the rejection took ${elapsed.toFixed(0)} ms`);
  const later = Array.from({ length: 5 }, (_, k) => pool.submit(mark, cells(1), 0, false));
  const results = await within(Promise.all([...first, ...rest.filter((_, k) => warm + k !== dead), ...later]), 10_000, 'the other tasks');
  assert.equal(results.length, n - 1 + 5);
  assert.deepEqual(Array.from(runs), Array.from({ length: n }, (_, i) => (i === dead ? 0 : 1)));
  assert.equal(pool.stats().failed, 1);
});

test('worker death - an uncaught error in a timer fails the task with WorkerDiedError, kind uncaught, the error as cause', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(async () => {
    setTimeout(() => {
      throw new Error('late');
    });
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }), 5000, 'the task whose timer throws');
  assert.ok(error instanceof WorkerDiedError, `expected a WorkerDiedError, got ${String(error)}`);
  assert.equal(error.death.kind, 'uncaught');
  assert.ok(error.cause instanceof Error, 'the cause is the uncaught error');
  assert.equal(error.cause.message, 'late');
  assert.equal((error.death as { error: unknown }).error, error.cause);
  assert.equal(await within(pool.submit(() => 'replaced'), 5000, 'the next task'), 'replaced');
});

test('worker death - running out of memory under resourceLimits fails the task with WorkerDiedError, kind out-of-memory', async () => {
  await using pool = new TestPool({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 16 } });
  assert.equal(await within(pool.submit(() => 'warm'), 5000, 'the first task'), 'warm');
  const sent = performance.now();
  const error = await rejection(pool.submit(() => {
    const hoard: unknown[] = [];
    for (let i = 0; ; i++) hoard.push({ i, text: `item ${i} `.repeat(8) });
  }), 10_000, 'the hoarding task');
  const elapsed = performance.now() - sent;
  assert.ok(error instanceof WorkerDiedError, `expected a WorkerDiedError, got ${String(error)}`);
  assert.deepEqual(error.death, { kind: 'out-of-memory' });
  assert.ok(elapsed < 1000, `the rejection took ${elapsed.toFixed(0)} ms`);
  assert.equal(await within(pool.submit(() => 'replaced'), 5000, 'the next task'), 'replaced');
});

test("onWorkerDeath 'break' - a death fails the pending futures with BrokenThreadPoolError and submit throws it", async () => {
  await using pool = new TestPool({ maxWorkers: 1, onWorkerDeath: 'break' });
  const runs = cells(8);
  const dying = pool.submit(mark, runs, 0, true);
  const pending = Array.from({ length: 5 }, (_, i) => pool.submit(mark, runs, 1 + i, false));
  for (const future of [dying, ...pending]) {
    const failure = await rejection(future, 5000, 'a task of the broken pool');
    assert.ok(failure instanceof BrokenThreadPoolError, `expected a BrokenThreadPoolError, got ${String(failure)}`);
    assert.ok(failure.cause instanceof WorkerDiedError, 'the cause is the death');
    assert.deepEqual(failure.cause.death, { kind: 'exit', exitCode: 3 });
  }
  assert.throws(() => pool.submit(() => 1), BrokenThreadPoolError);
  assert.equal(Atomics.load(runs, 0), 0);
});

test('initializer - runs in each worker before its tasks, with initargs', async () => {
  await using pool = new TestPool({
    maxWorkers: 2,
    initializer: (greeting: string, n: number) => {
      (globalThis as { greeting?: string }).greeting = `${greeting} x${n}`;
    },
    initargs: ['hello', 3],
  });
  const seen = await within(Promise.all(Array.from({ length: 8 }, () => pool.submit(() => (globalThis as { greeting?: string }).greeting))), 5000, 'the tasks');
  assert.deepEqual(seen, Array(8).fill('hello x3'));
});

test('initializer - one that throws breaks the pool: pending futures fail with BrokenThreadPoolError caused by its error', async () => {
  await using pool = new TestPool({
    maxWorkers: 1,
    initializer: () => {
      throw new RangeError('no config');
    },
  });
  const futures = Array.from({ length: 3 }, () => pool.submit(() => 'ran'));
  for (const future of futures) {
    const error = await rejection(future, 5000, 'a task of a broken pool');
    assert.ok(error instanceof BrokenThreadPoolError, `expected a BrokenThreadPoolError, got ${String(error)}`);
    assert.equal((error.cause as Error).name, 'RangeError');
    assert.equal((error.cause as Error).message, 'no config');
  }
  assert.throws(() => pool.submit(() => 'ran'), BrokenThreadPoolError);
});

test('maxTasksPerChild - a worker is replaced after that many tasks', async () => {
  await using pool = new TestPool({ maxWorkers: 1, maxTasksPerChild: 2 });
  const futures = Array.from({ length: 6 }, () => pool.submit(async () => (await import('node:worker_threads')).threadId));
  const ids = await within(Promise.all(futures), 10_000, 'the tasks');
  const perThread = new Map<number, number>();
  for (const id of ids) perThread.set(id, (perThread.get(id) ?? 0) + 1);
  assert.equal(perThread.size, 3, `thread ids: ${ids.join(', ')}`);
  assert.deepEqual([...perThread.values()], [2, 2, 2]);
});

test('idleTimeout - idle workers exit, and a later submit starts a new one', async () => {
  await using pool = new TestPool({ maxWorkers: 2, idleTimeout: 100 });
  await within(Promise.all(Array.from({ length: 4 }, (_, i) => pool.submit((n: number) => n, i))), 5000, 'the first tasks');
  assert.ok(pool.stats().workers.length > 0);
  await eventually(() => pool.stats().workers.length === 0, 3000, 'the idle workers exiting');
  assert.equal(await within(pool.submit(() => 'again'), 5000, 'a later task'), 'again');
  assert.equal(pool.stats().workers.length, 1);
});

test('worker death - tasks sent back to the queue by a death still settle when shutdown cancels futures', async () => {
  await using pool = new TestPool({ maxWorkers: 1, maxWindow: 8 });
  // Tiny tasks open the window to 8: the blocker, the dying task and the 6 after it go to one worker.
  await within(Promise.all(Array.from({ length: 10 }, () => pool.submit(() => 1))), 5000, 'the first tasks');
  const runs = cells(7);
  const blocker = occupy(pool);
  const dying = pool.submit(mark, runs, 0, true);
  const behind = Array.from({ length: 6 }, (_, i) => pool.submit(mark, runs, 1 + i, false));
  await blocker.started();
  await turn();
  assert.equal(pool.stats().queued, 0, 'the tasks were not all sent to the worker');
  // A slow task makes the window small again, so only some of the 6 fit on the new worker.
  await new Promise((resolve) => setTimeout(resolve, 100));
  blocker.release();
  assert.equal(await within(blocker.future, 5000, 'the blocking task'), 'released');
  assert.ok(await rejection(dying, 5000, 'the dying task') instanceof WorkerDiedError);
  await within(pool.shutdown({ cancelFutures: true }), 5000, 'shutdown');
  const outcomes = await within(Promise.allSettled(behind), 5000, 'the tasks behind the dying one');
  for (const [i, outcome] of outcomes.entries()) {
    if (behind[i]!.cancelled()) assert.equal(Atomics.load(runs, 1 + i), 0, `cancelled task ${1 + i} ran`);
    else assert.deepEqual(outcome, { status: 'fulfilled', value: 1 + i });
  }
});

test('worker death - process.exit(0) in a task is a death too, with exit code 0', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(() => process.exit(0)), 5000, 'the exiting task');
  assert.ok(error instanceof WorkerDiedError, `expected a WorkerDiedError, got ${String(error)}`);
  assert.deepEqual(error.death, { kind: 'exit', exitCode: 0 });
  assert.equal(await within(pool.submit(() => 'replaced'), 5000, 'the next task'), 'replaced');
});

test('worker death - a worker that dies while idle is replaced and fails nothing, even with onWorkerDeath break', async () => {
  for (const onWorkerDeath of ['replace', 'break'] as const) {
    await using pool = new TestPool({ maxWorkers: 1, onWorkerDeath });
    const left = pool.submit(() => {
      setTimeout(() => {
        throw new Error('after the task');
      }, 20);
      return 'returned';
    });
    assert.equal(await within(left, 5000, 'the task leaving a throwing timer'), 'returned');
    await eventually(() => pool.stats().workers.length === 0, 3000, 'the worker dying');
    assert.equal(await within(pool.submit(() => 'replaced'), 5000, `the next task (${onWorkerDeath})`), 'replaced');
    assert.equal(pool.stats().failed, 0);
  }
});

test("onWorkerDeath 'break' - a timeout or an abort stops the task without breaking the pool", async () => {
  await using pool = new TestPool({ maxWorkers: 1, onWorkerDeath: 'break' });
  const timedOut = await rejection(pool.submit({ timeout: 50 }, () => {
    for (;;);
  }), 5000, 'the timed-out task');
  assert.ok(timedOut instanceof TimeoutError, `expected a TimeoutError, got ${String(timedOut)}`);
  const controller = new AbortController();
  const started = cells(1);
  const aborted = pool.submit({ signal: controller.signal }, startThenSpin, started);
  await reached(started, 0, 1, 5000, 'the looping task starting');
  const reason = new Error('stop');
  controller.abort(reason);
  assert.equal(await rejection(aborted, 5000, 'the aborted task'), reason);
  assert.equal(await within(pool.submit(() => 'not broken'), 5000, 'the next task'), 'not broken');
});

test('initializer - runs once in every worker, counted through a shared Value in initargs', async () => {
  const runs = new Value('i', 0);
  await using pool = new TestPool({
    maxWorkers: 2,
    maxTasksPerChild: 1,
    initializer: (count: Value<'i'>) => {
      using held = count.getLock().holdSync();
      count.value += 1;
    },
    initargs: [runs],
  });
  const ids = await within(Promise.all(Array.from({ length: 5 }, () => pool.submit(async () => (await import('node:worker_threads')).threadId))), 10_000, 'the tasks');
  assert.equal(new Set(ids).size, 5, 'a worker ran more than one task');
  assert.equal(runs.value, 5);
});

test('maxTasksPerChild - with several workers no worker runs more than the limit', async () => {
  await using pool = new TestPool({ maxWorkers: 2, maxTasksPerChild: 3 });
  const ids = await within(Promise.all(Array.from({ length: 20 }, () => pool.submit(async () => (await import('node:worker_threads')).threadId))), 20_000, 'the tasks');
  const perThread = new Map<number, number>();
  for (const id of ids) perThread.set(id, (perThread.get(id) ?? 0) + 1);
  assert.ok([...perThread.values()].every((n) => n <= 3), `tasks per thread: ${[...perThread.values()].join(', ')}`);
  assert.ok(perThread.size >= 7, `${perThread.size} threads ran 20 tasks`);
});

test('shutdown - a task that left an interval running does not keep its worker alive', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  assert.equal(await within(pool.submit(() => {
    setInterval(() => {}, 1000);
    return 'left a timer';
  }), 5000, 'the task'), 'left a timer');
  await within(pool.shutdown(), 5000, 'shutdown');
  assert.equal(pool.stats().workers.length, 0);
});
