/**
 * `ThreadPoolExecutor`: Python's `concurrent.futures.ThreadPoolExecutor` on
 * worker threads.
 */

import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { Executor } from '../futures/executor.js';
import { describeTarget, type Target } from '../run/task.js';
import { encode } from '../share/marshal.js';
import { Engine, type OnWorkerDeath } from './engine.js';
import { ThreadTransport } from './transport/threads.js';

type AnyFunction = (...args: any[]) => any;

/** Options shared by the executors. */
export interface ExecutorOptions<I extends AnyFunction = AnyFunction> {
  /** The most workers at once. Workers start as work arrives. */
  readonly maxWorkers?: number;
  /** Runs once in each new worker before its first task; if it throws, the pool breaks (as in Python). */
  readonly initializer?: Target<I>;
  readonly initargs?: Parameters<I>;
  /** A worker is replaced after this many tasks (Python's `max_tasks_per_child`). */
  readonly maxTasksPerChild?: number;
  /** Milliseconds a worker may sit idle before it exits (a new one starts when work comes). */
  readonly idleTimeout?: number;
  /**
   * When a worker dies mid-task: `'replace'` (default) fails only that task
   * and starts a new worker; `'break'` is Python's behaviour — the pool is
   * broken, every pending task fails and new submits throw.
   */
  readonly onWorkerDeath?: OnWorkerDeath;
  /** Most tasks sent to one worker ahead of their turn (the window grows to this for tiny tasks). Default 512. */
  readonly maxWindow?: number;
}

/** Options of {@link ThreadPoolExecutor}. */
export interface ThreadPoolExecutorOptions<I extends AnyFunction = AnyFunction> extends ExecutorOptions<I> {
  /** Worker names are `${threadNamePrefix}_0`, `_1`, … */
  readonly threadNamePrefix?: string;
  /** Heap limits of each worker thread; a worker that exceeds them dies and only its task fails. */
  readonly resourceLimits?: ResourceLimits;
}

let pools = 0;

/** @internal Checks the options every executor takes and builds its engine options. */
export function engineOptions(name: string, options: ExecutorOptions, maxWorkers: number) {
  const { maxTasksPerChild, idleTimeout, maxWindow = 512, onWorkerDeath = 'replace' } = options;
  if (maxTasksPerChild !== undefined && !(Number.isInteger(maxTasksPerChild) && maxTasksPerChild >= 1)) {
    throw new RangeError(`${name}: maxTasksPerChild must be an integer >= 1, got ${String(maxTasksPerChild)}`);
  }
  if (idleTimeout !== undefined && !(typeof idleTimeout === 'number' && idleTimeout >= 0)) {
    throw new RangeError(`${name}: idleTimeout must be a number of milliseconds >= 0, got ${String(idleTimeout)}`);
  }
  if (!(Number.isInteger(maxWindow) && maxWindow >= 1)) throw new RangeError(`${name}: maxWindow must be an integer >= 1, got ${String(maxWindow)}`);
  if (onWorkerDeath !== 'replace' && onWorkerDeath !== 'break') {
    throw new RangeError(`${name}: onWorkerDeath must be 'replace' or 'break', got ${String(onWorkerDeath)}`);
  }
  if (options.initargs !== undefined && !Array.isArray(options.initargs)) throw new TypeError(`${name}: initargs must be an array`);
  return {
    maxWorkers, initializer: options.initializer, initargs: options.initargs ?? [], maxTasksPerChild, idleTimeout, onWorkerDeath,
    maxWindow: Math.max(1, maxWindow),
  };
}

/**
 * Python's `ThreadPoolExecutor`: runs tasks on up to `maxWorkers` worker
 * threads, for CPU-bound work in parallel with the main thread. Tasks are
 * plain functions (sent as source: they must not capture variables; they may
 * `await import()`) or module tasks; arguments and results are structured
 * clones, with shareables (Lock, Value, SharedArray…) arriving live.
 *
 * Tasks go to workers through shared-memory rings in batches, so small tasks
 * cost about a microsecond of overhead each. A task that throws fails its
 * future with that error; a worker that dies fails only the task it was
 * running and is replaced.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from 'weft';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const future = pool.submit((a: number, b: number) => a * b, 6, 7);
 * console.log(await future); // 42
 * const squares = [];
 * for await (const square of pool.map((x: number) => x * x, [1, 2, 3])) squares.push(square);
 * console.log(squares); // [ 1, 4, 9 ]
 * ```
 * @see Python's `concurrent.futures.ThreadPoolExecutor`
 */
export class ThreadPoolExecutor extends Executor {
  constructor(options: ThreadPoolExecutorOptions = {}) {
    const name = options.threadNamePrefix ?? `ThreadPoolExecutor-${pools++}`;
    // Python: min(32, cpu count + 4).
    const maxWorkers = Executor.checkMaxWorkers('ThreadPoolExecutor', options.maxWorkers, Math.min(32, availableParallelism() + 4));
    const settings = engineOptions('ThreadPoolExecutor', options, maxWorkers);
    const transport = new ThreadTransport({
      initializer: settings.initializer === undefined ? undefined : describeTarget(settings.initializer, 'ThreadPoolExecutor initializer'),
      initargs: settings.initializer === undefined ? undefined : encode(settings.initargs, { root: 'initargs' }),
      resourceLimits: options.resourceLimits,
    });
    super(new Engine(transport, settings, name), 'ThreadPoolExecutor', maxWorkers);
  }
}
