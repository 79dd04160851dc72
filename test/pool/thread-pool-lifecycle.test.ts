// ThreadPoolExecutor's shutdown, await using, stats() and option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ShutDownError } from '../../src/errors.js';
import { ThreadPoolExecutor } from '../../src/pool/thread-pool.js';
import { cells, count, occupy, rejection, TestPool, turn, within } from './support.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

const nap = async (ms: number): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
};

test('.shutdown() - submit afterwards throws ShutDownError', async () => {
  const pool = new TestPool({ maxWorkers: 1 });
  assert.equal(await within(pool.submit(() => 1), 5000, 'a task'), 1);
  await within(pool.shutdown(), 5000, 'shutdown');
  assert.throws(() => pool.submit(() => 2), (error: unknown) => error instanceof ShutDownError && /after shutdown/.test(error.message));
  // map() reads its inputs lazily: the refusal comes with the first result.
  await assert.rejects(within(pool.map((x: number) => x, [1]).next(), 5000, 'map after shutdown'), ShutDownError);
});

test('.shutdown({ cancelFutures: true }) - queued futures are cancelled and never run; the running one finishes', async () => {
  await using pool = new TestPool({ maxWorkers: 1, maxWindow: 1 });
  const runs = cells(5);
  const running = occupy(pool);
  await running.started();
  const queued = Array.from({ length: 5 }, (_, i) => pool.submit(count, runs, i));
  await turn();
  const done = pool.shutdown({ cancelFutures: true });
  running.release();
  await within(done, 5000, 'shutdown');
  assert.equal(await running.future, 'released');
  assert.deepEqual(queued.map((future) => future.cancelled()), [true, true, true, true, true]);
  assert.deepEqual(Array.from(runs), [0, 0, 0, 0, 0]);
});

test('.shutdown({ cancelFutures: true }) - with the default window, every future not yet running is cancelled and every running one finishes', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const runs = cells(20);
  const running = occupy(pool);
  await running.started();
  const rest = Array.from({ length: 20 }, (_, i) => pool.submit(count, runs, i));
  await turn();
  const wasRunning = rest.map((future) => future.running());
  const done = pool.shutdown({ cancelFutures: true });
  running.release();
  await within(done, 5000, 'shutdown');
  assert.equal(await running.future, 'released');
  assert.ok(wasRunning.includes(false), 'no future was left to cancel');
  for (const [i, future] of rest.entries()) {
    if (wasRunning[i]) {
      assert.equal(await future, 1, `running task ${i}`);
    } else {
      assert.equal(future.cancelled(), true, `task ${i} was not running and is not cancelled`);
      assert.equal(Atomics.load(runs, i), 0, `cancelled task ${i} ran`);
    }
  }
});

test('.shutdown() - waits for every task and every worker', async () => {
  const pool = new TestPool({ maxWorkers: 2 });
  const futures = Array.from({ length: 6 }, (_, i) => pool.submit(nap, 20 + i * 5));
  await within(pool.shutdown({ wait: true }), 5000, 'shutdown');
  assert.deepEqual(futures.map((future) => future.done()), Array(6).fill(true));
  assert.deepEqual(await Promise.all(futures), [20, 25, 30, 35, 40, 45]);
  const stats = pool.stats();
  assert.equal(stats.workers.length, 0);
  assert.equal(stats.running, 0);
  assert.equal(stats.completed, 6);
});

test('.shutdown({ wait: false }) - returns at once; the tasks still finish', async () => {
  const pool = new TestPool({ maxWorkers: 1 });
  const running = occupy(pool);
  const queued = pool.submit(() => 'after');
  await running.started();
  await within(pool.shutdown({ wait: false }), 1000, 'shutdown without waiting');
  assert.equal(running.future.done(), false);
  running.release();
  assert.deepEqual(await within(Promise.all([running.future, queued]), 5000, 'the tasks'), ['released', 'after']);
  await within(pool.shutdown(), 5000, 'the second shutdown, waiting');
});

test('await using - shuts the pool down at the end of the block, waiting for its tasks', async () => {
  let pool: ThreadPoolExecutor;
  let future;
  {
    await using scoped = new ThreadPoolExecutor({ maxWorkers: 1 });
    pool = scoped;
    future = scoped.submit(nap, 30);
  }
  assert.equal(future.done(), true);
  assert.equal(await future, 30);
  assert.equal(pool.stats().workers.length, 0);
  assert.throws(() => pool.submit(() => 1), ShutDownError);
});

test('.shutdown() - twice, or twice at once, is fine', async () => {
  const pool = new TestPool({ maxWorkers: 1 });
  const future = pool.submit(nap, 20);
  await within(Promise.all([pool.shutdown(), pool.shutdown()]), 5000, 'two shutdowns at once');
  await within(pool.shutdown(), 5000, 'a third shutdown');
  assert.equal(await future, 20);
});

test('.stats() - counts and workers add up, percentiles are numbers', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const ok = Array.from({ length: 8 }, (_, i) => pool.submit((n: number) => n, i));
  const bad = Array.from({ length: 3 }, (_, i) => pool.submit((n: number) => {
    throw new Error(`bad ${n}`);
  }, i));
  await within(Promise.all(ok), 5000, 'the good tasks');
  for (const future of bad) await rejection(future, 5000, 'a failing task');
  const stats = pool.stats();
  assert.equal(stats.completed, 8);
  assert.equal(stats.failed, 3);
  assert.equal(stats.cancelled, 0);
  assert.equal(stats.queued, 0);
  assert.equal(stats.running, 0);
  assert.ok(stats.workers.length >= 1 && stats.workers.length <= 2, `${stats.workers.length} workers`);
  assert.equal(stats.workers.reduce((sum, worker) => sum + worker.tasks, 0), 11);
  for (const worker of stats.workers) assert.ok(worker.utilization >= 0 && worker.utilization <= 1, `utilization ${worker.utilization}`);
  for (const percentiles of [stats.waitTime, stats.runTime]) {
    const { p50, p90, p99, max } = percentiles;
    for (const value of [p50, p90, p99, max]) assert.ok(typeof value === 'number' && Number.isFinite(value) && value >= 0, `percentile ${value}`);
    assert.ok(p50 <= p90 && p90 <= p99 && p99 <= max, JSON.stringify(percentiles));
  }
});

test('a task sent ahead to a busy worker stays pending until the worker takes it: cancel() takes it back and it never runs', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const runs = cells(2);
  const blocker = occupy(pool);
  await blocker.started();
  assert.equal(blocker.future.running(), true, 'the worker has taken the blocking task');
  const ahead = pool.submit(count, runs, 0);
  await turn();
  assert.equal(pool.stats().queued, 0, 'it was sent to the worker');
  assert.equal(ahead.running(), false);
  assert.equal(ahead.cancel(), true);
  assert.equal(ahead.cancelled(), true);
  assert.equal(pool.stats().cancelled, 1);
  const kept = pool.submit(count, runs, 1);
  blocker.release();
  assert.equal(await within(kept, 5000, 'the task after the withdrawn one'), 1);
  assert.equal(Atomics.load(runs, 0), 0, 'the withdrawn task ran');
  assert.equal(kept.cancel(), false, 'a finished task cannot be cancelled');
  assert.equal(pool.stats().cancelled, 1);
  assert.equal(pool.stats().completed, 2);
});

test('.stats() - counts cancelled futures and shows queued and running work', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const running = occupy(pool);
  await running.started();
  const rest = Array.from({ length: 6 }, () => pool.submit(() => 'ran'));
  await turn();
  const during = pool.stats();
  assert.equal(during.queued + during.running, 7);
  assert.ok(during.running >= 1);
  const cancelled = rest.filter((future) => future.cancel()).length;
  assert.ok(cancelled > 0, 'nothing could be cancelled');
  running.release();
  await running.future;
  await within(Promise.all(rest.filter((future) => !future.cancelled())), 5000, 'the tasks not cancelled');
  assert.equal(pool.stats().cancelled, cancelled);
  assert.equal(pool.stats().completed, 1 + 6 - cancelled);
});

test('options - bad values throw errors naming the option', async () => {
  const bad = (options: object) => () => new ThreadPoolExecutor(options as never);
  assert.throws(bad({ maxWorkers: 0 }), { name: 'RangeError', message: /maxWorkers must be an integer >= 1, got 0/ });
  assert.throws(bad({ maxWorkers: 1.5 }), { name: 'RangeError', message: /maxWorkers/ });
  assert.throws(bad({ maxTasksPerChild: -1 }), { name: 'RangeError', message: /maxTasksPerChild must be an integer >= 1, got -1/ });
  assert.throws(bad({ onWorkerDeath: 'x' }), { name: 'RangeError', message: /onWorkerDeath must be 'replace' or 'break', got x/ });
  assert.throws(bad({ idleTimeout: -1 }), { name: 'RangeError', message: /idleTimeout/ });
  assert.throws(bad({ maxWindow: 0 }), { name: 'RangeError', message: /maxWindow/ });
  assert.throws(bad({ initializer: () => {}, initargs: 'x' }), { name: 'TypeError', message: /initargs/ });
});

test('task options - a NaN priority or a negative timeout throws, naming the option', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  assert.throws(() => pool.submit({ priority: NaN }, () => 1), { name: 'TypeError', message: /priority must be a number, got NaN/ });
  assert.throws(() => pool.submit({ timeout: -1 }, () => 1), { name: 'RangeError', message: /timeout must be a number of milliseconds >= 0, got -1/ });
  assert.throws(() => pool.map((x: number) => x, [1], { chunksize: 0 }), { name: 'RangeError', message: /chunksize/ });
  await assert.rejects(pool.batch((x: number) => x, [[1]], { batchSize: 0 }), { name: 'RangeError', message: /batchSize/ });
  assert.equal(pool.stats().workers.length, 0, 'a worker started for a refused task');
});

test('a pool keeps the process alive while it has work, and not after, without shutdown', async () => {
  const program = `
    import { ThreadPoolExecutor } from './src/pool/thread-pool.ts';
    const start = performance.now();
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    const future = pool.submit(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'task done';
    });
    future.addDoneCallback(() => future.result().then((value) => console.log(value)));
    process.on('exit', () => {
      const elapsed = performance.now() - start;
      console.log(elapsed < 150 ? 'exited before the task' : elapsed < 10_000 ? 'exited promptly' : 'exited late');
    });
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: root, timeout: 30_000 });
  assert.deepEqual(stdout.trim().split('\n'), ['task done', 'exited promptly']);
});
