/**
 * Mirrors the cases of CPython's
 * `Lib/test/test_concurrent_futures/test_process_pool.py`
 * (`ProcessPoolExecutorTest`, main branch) that are the process pool's
 * own; the `ExecutorTest` cases it inherits are in `futures-executor`. Test
 * names are upstream's; each case has a new executor of 5 workers, as
 * upstream's `ProcessPool*Mixin` gives, or makes its own where upstream
 * does.
 *
 * Translations: seconds become milliseconds; `len(executor._processes)`
 * is `stats().workers.length`; `os.getpid` is a task returning
 * `process.pid`; `BrokenProcessPool` is `BrokenProcessPoolError`, and
 * Python's `ValueError` a `RangeError`. Cases that upstream coordinates with
 * a manager's Event, Queue or Semaphore (weft has no cross-process
 * primitive yet): test_saturation and test_broken_process_pool_traceback
 * use tasks that sleep instead of waiting on one, and the worker count is
 * read right after dispatch, when it is settled whatever the tasks do.
 * test_killed_child and test_broken_process_pool_traceback run with
 * `onWorkerDeath: 'break'` (Python's broken pool; weft's default replaces
 * the worker) and terminate the child that runs the tasks, whose pid an
 * earlier task reported. test_broken_process_pool_traceback checks what
 * upstream's fix made true — each future gets its own error, whose stack
 * does not grow as it is rethrown. test_traceback checks that the child's
 * error, the cause, names the task's function in its stack (a JavaScript
 * stack has no source text), also as printed. test_ressources_gced_in_workers
 * checks with a `WeakRef` in the child (run with `--expose-gc`) that a
 * finished task's argument is collected there.
 * test_shutdown_no_wait_max_tasks_gh119592 runs its `drop_reference=False`
 * half and shuts down before the worker reaches its limit, where upstream
 * waits for it inside the first task.
 *
 * Not ported: test_max_workers_too_large (Windows), test_sysconf_permission_error,
 * test_max_tasks_per_child_defaults_to_spawn_context and
 * test_python_finalization_error (Python's sysconf, start methods and thread
 * creation at finalization); test_force_shutdown_during_max_tasks_worker_exit
 * and test_failed_worker_replacement_breaks_pool (they patch private state);
 * test_gc_during_max_tasks_worker_exit_gh152967 and the `drop_reference`
 * half of gh119592 (a JavaScript executor has no finalizer: its pending
 * work keeps it alive, and runs); test_terminate_workers, test_kill_workers
 * and test_force_shutdown_workers* (`ProcessPoolExecutor` has no
 * `terminateWorkers()` / `killWorkers()`).
 */

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { BrokenProcessPoolError, ProcessPoolExecutor, WorkerDiedError, type Future } from '../../src/index.js';
import { collect, describeForExecutor, dispatched, mul, pow, range, sleep, type ConformanceExecutor } from './executors.js';
import { PATIENCE } from './support.js';

// ---- Tasks. Self-contained: they cross to the executor's workers as source text.

const identity = <T>(x: T) => x;
const getpid = () => process.pid;

describeForExecutor('ProcessPoolExecutor', 'ProcessPoolExecutorTest', (factory, executor) => {
  /** Kills, as `Process.terminate()` does, the child that ran the first task of `pool`'s only busy worker. */
  async function brokenPoolWith(tasks: number): Promise<{ pool: ConformanceExecutor; futures: Future<void>[] }> {
    const pool = factory.create({ onWorkerDeath: 'break' });
    const pid = await pool.submit(getpid).result();
    const futures = range(tasks).map(() => pool.submit(sleep, 3000));
    process.kill(pid, 'SIGTERM');
    return { pool, futures };
  }

  it('test_killed_child', async () => {
    // When a child process is abruptly terminated, the whole pool gets "broken".
    const { pool, futures } = await brokenPoolWith(1);
    await using _ = pool;
    for (const fut of futures) await assert.rejects(fut.result(), BrokenProcessPoolError);
    // Submitting other jobs fails as well.
    assert.throws(() => pool.submit(pow, 2, 8), BrokenProcessPoolError);
  });

  it('test_broken_process_pool_traceback', async () => {
    const { pool, futures } = await brokenPoolWith(3);
    await using _ = pool;
    const errors: unknown[] = [];
    for (const fut of futures) {
      const error = await fut.exception();
      assert.ok(error instanceof BrokenProcessPoolError, inspect(error));
      // Its stack is its own: awaiting it again adds nothing to it.
      const stack = error.stack;
      await fut.result().catch(() => undefined);
      assert.equal(error.stack, stack);
      errors.push(error);
    }
    assert.equal(new Set(errors).size, errors.length, 'the futures share one error object');
  });

  it('test_map_chunksize', async () => {
    const badMap = () => executor().map(pow, range(40), range(40), { chunksize: -1 });
    const ref = range(40).map((x) => x ** x);
    assert.deepEqual(await collect(executor().map(pow, range(40), range(40), { chunksize: 6 })), ref);
    assert.deepEqual(await collect(executor().map(pow, range(40), range(40), { chunksize: 50 })), ref);
    assert.deepEqual(await collect(executor().map(pow, range(40), range(40), { chunksize: 40 })), ref);
    assert.throws(badMap, RangeError);
  });

  it('test_traceback', async () => {
    // The child's stack is in the error the parent gets, as its cause.
    const future = executor().submit(function testTraceback() {
      throw new RangeError('123');
    });
    const exc = (await future.exception()) as Error;
    assert.equal(exc.constructor, RangeError);
    assert.equal(exc.message, '123');
    const cause = exc.cause as Error;
    assert.ok(cause instanceof Error);
    assert.match(String(cause.stack), /at testTraceback /);
    // Printed, as an uncaught error would be, the child's frames show.
    assert.match(inspect(exc), /at testTraceback /);
  });

  it('test_traceback_when_child_process_terminates_abruptly', async () => {
    // gh-139462: the error says how the child ended.
    const exitCode = 99;
    let error: unknown;
    {
      await using executor = factory.create({ maxWorkers: 1, onWorkerDeath: 'break' });
      error = await executor.submit((code: number) => process.exit(code), exitCode).exception();
    }
    assert.ok(error instanceof BrokenProcessPoolError, inspect(error));
    const cause = error.cause;
    assert.ok(cause instanceof WorkerDiedError, inspect(cause));
    assert.deepEqual(cause.death, { kind: 'exit', exitCode });
    assert.match(cause.message, new RegExp(`exited with code ${exitCode}`));
  });

  it('test_ressources_gced_in_workers', async () => {
    // A job's arguments are collected in the worker once it is done.
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1, execArgv: ['--expose-gc'] });
    await executor.submit((object: { kind: string }) => {
      (globalThis as { argument?: WeakRef<object> }).argument = new WeakRef(object);
    }, { kind: 'EventfulGCObj' }).result();
    const collected = async () => {
      await new Promise((resolve) => setTimeout(resolve, 1)); // past the job that made the WeakRef
      (globalThis as { gc?: () => void }).gc!();
      return (globalThis as { argument?: WeakRef<object> }).argument!.deref() === undefined;
    };
    const deadline = performance.now() + PATIENCE;
    while (!(await executor.submit(collected).result())) {
      assert.ok(performance.now() < deadline, `the argument was still alive in the worker after ${PATIENCE} ms`);
    }
  });

  it('test_saturation', async () => {
    const jobCount = 15 * executor().maxWorkers;
    const futures = range(jobCount).map(() => executor().submit(sleep, 10));
    await dispatched();
    assert.equal(executor().stats().workers.length, executor().maxWorkers);
    await Promise.all(futures);
  });

  it('test_idle_process_reuse_one', async () => {
    assert.ok(executor().maxWorkers >= 4);
    await executor().submit(mul, 21, 2).result();
    await executor().submit(mul, 6, 7).result();
    await executor().submit(mul, 3, 14).result();
    assert.equal(executor().stats().workers.length, 1);
  });

  it('test_idle_process_reuse_multiple', async () => {
    assert.ok(executor().maxWorkers <= 5);
    await executor().submit(mul, 12, 7).result();
    executor().submit(mul, 33, 25);
    await executor().submit(mul, 25, 26).result();
    executor().submit(mul, 18, 29);
    await executor().submit(mul, 1, 2).result();
    executor().submit(mul, 0, 9);
    assert.ok(executor().stats().workers.length <= 3, `${executor().stats().workers.length} workers`);
    await executor().shutdown();
  });

  it('test_max_tasks_per_child', async () => {
    await using executor = factory.create({ maxWorkers: 1, maxTasksPerChild: 3 });
    const originalPid = await executor.submit(getpid).result();
    // The worker is reused until its limit.
    assert.equal(await executor.submit(getpid).result(), originalPid);
    assert.equal(executor.stats().workers.length, 1);
    assert.equal(await executor.submit(getpid).result(), originalPid);
    // A new worker is spawned, with another pid, while the previous was reaped.
    const newPid = await executor.submit(getpid).result();
    assert.notEqual(newPid, originalPid);
    assert.equal(executor.stats().workers.length, 1);
  });

  it('test_max_tasks_per_child_pending_tasks_gh115634', async () => {
    // gh-115634: workers retiring at their limit while a backlog waits must be replaced.
    for (const [maxWorkers, maxTasksPerChild, numTasks] of [[1, 2, 6], [2, 2, 8]] as const) {
      await using executor = factory.create({ maxWorkers, maxTasksPerChild });
      const futures = range(numTasks).map((i) => executor.submit(mul, i, 2));
      const results = await Promise.all(futures.map((f) => f.result({ timeout: PATIENCE })));
      assert.deepEqual(results, range(numTasks).map((i) => i * 2), `maxWorkers ${maxWorkers}, maxTasksPerChild ${maxTasksPerChild}`);
      await executor.shutdown({ wait: true, cancelFutures: true });
    }
  });

  it('test_shutdown_no_wait_max_tasks_gh119592', async () => {
    // gh-119592: after shutdown({ wait: false }), a worker leaving at its limit is still replaced while work remains.
    const executor = factory.create({ maxWorkers: 1, maxTasksPerChild: 1 });
    const futs = range(3).map((i) => executor.submit(identity, i));
    await executor.shutdown({ wait: false });
    const results = await Promise.all(futs.map((f) => f.result({ timeout: PATIENCE })));
    assert.deepEqual(results, [0, 1, 2]);
    await executor.shutdown({ wait: true });
    assert.equal(executor.stats().workers.length, 0);
  });

  it('test_max_tasks_early_shutdown', async () => {
    const executor = factory.create({ maxWorkers: 3, maxTasksPerChild: 1 });
    const futures = range(6).map((i) => executor.submit(mul, i, i));
    await executor.shutdown();
    for (const [i, future] of futures.entries()) assert.equal(await future.result(), mul(i, i));
  });
});
