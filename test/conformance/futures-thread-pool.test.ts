/**
 * Mirrors the cases of CPython's
 * `Lib/test/test_concurrent_futures/test_thread_pool.py`
 * (`ThreadPoolExecutorTest`, main branch) that are the thread pool's own;
 * the `ExecutorTest` cases it inherits are in `futures-executor`. Test
 * names are upstream's; each case has a new executor of 5 workers, as
 * upstream's `ThreadPoolMixin` gives, or makes its own where upstream does.
 *
 * Translations: seconds become milliseconds; `len(executor._threads)` is
 * `stats().workers.length`, read once the executor has handed out what was
 * submitted (its dispatch runs in a microtask); `os.process_cpu_count()` is
 * `availableParallelism()`; upstream's threading `Event` and `Semaphore`
 * are weft's, which reach worker threads; test_executor_map_current_future_cancel
 * keeps its log as started/stopped counts per task in shared memory.
 *
 * Not ported: test_hang_global_shutdown_lock and
 * test_process_fork_from_a_threadpool (they fork, which Node cannot).
 */

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { Semaphore, ThreadPoolExecutor, TimeoutError } from '../../src/index.js';
import { createEvent, describeForExecutor, dispatched, mul, needsEvent, next, range, type ConformanceEvent } from './executors.js';
import { ints } from './support.js';

describeForExecutor('ThreadPoolExecutor', 'ThreadPoolExecutorTest', (factory, executor) => {
  it('test_map_submits_without_iteration', async () => {
    // Issue #11777: map submits its calls whether or not its results are read.
    const finished = ints(10);
    const recordFinished = (finished: Int32Array, n: number) => Atomics.add(finished, n, 1);
    executor().map(recordFinished, Array<Int32Array>(10).fill(finished), range(10));
    await executor().shutdown({ wait: true });
    assert.deepEqual([...finished], Array<number>(10).fill(1));
  });

  it('test_default_workers', async () => {
    await using executor = new ThreadPoolExecutor();
    assert.equal(executor.maxWorkers, Math.min(32, availableParallelism() + 4));
  });

  it('test_saturation', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 4 });
    const acquireLock = (lock: Semaphore) => lock.acquireSync();
    const sem = new Semaphore(0);
    const futures = range(15 * executor.maxWorkers).map(() => executor.submit(acquireLock, sem));
    await dispatched();
    assert.equal(executor.stats().workers.length, executor.maxWorkers);
    for (const _ of futures) sem.release();
    await executor.shutdown({ wait: true });
    assert.ok(futures.every((future) => future.done()));
  });

  it('test_idle_thread_reuse', async () => {
    await using executor = new ThreadPoolExecutor();
    await executor.submit(mul, 21, 2).result();
    await executor.submit(mul, 6, 7).result();
    await executor.submit(mul, 3, 14).result();
    assert.equal(executor.stats().workers.length, 1);
  });

  it('test_executor_map_current_future_cancel', needsEvent(factory), async () => {
    // gh-95166: a map timing out cancels the call it waited for, and the rest.
    const stopEvent = createEvent(factory);
    // Per ident 0 (first), 1 (second), 2 (third): [started, stopped].
    const log = ints(6);
    const logNWait = async (ident: number, log: Int32Array, stopEvent: ConformanceEvent) => {
      Atomics.add(log, 2 * ident, 1);
      try {
        await stopEvent.wait();
      } finally {
        Atomics.add(log, 2 * ident + 1, 1);
      }
    };
    {
      await using pool = factory.create({ maxWorkers: 1 });
      // Submit work to saturate the pool.
      const fut = pool.submit(logNWait, 0, log, stopEvent);
      try {
        const gen = pool.map(logNWait, [1, 2], [log, log], [stopEvent, stopEvent], { timeout: 0 });
        try {
          await assert.rejects(next(gen), TimeoutError);
        } finally {
          await gen.return!();
        }
      } finally {
        stopEvent.set();
      }
      await fut.result();
    }
    // Second is cancelled by the timeout; third because it was still waiting in the map.
    assert.deepEqual([...log], [1, 1, 0, 0, 0, 0]);
  });
});

