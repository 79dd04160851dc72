/**
 * `Executor`: what `ThreadPoolExecutor` and `ProcessPoolExecutor` share —
 * Python's `concurrent.futures.Executor` (`submit`, `map`, `shutdown`), with
 * per-task options, `batch`, `stats()` and `await using`.
 */

import { ShutDownError } from '../errors.js';
import type { Engine, PoolStats, TargetInfo, TaskOptions } from '../pool/engine.js';
import { CHUNK, ITEMS } from '../pool/transport/wire.js';
import type { Target } from '../run/task.js';
import { Future } from './future.js';
import { MapResults, type MapProgress } from './map-results.js';

export type { MapProgress } from './map-results.js';

type AnyFunction = (...args: any[]) => any;
type Input<T> = Iterable<T> | AsyncIterable<T>;
type Result<F extends AnyFunction> = Awaited<ReturnType<F>>;

/** Options of {@link Executor.map}. */
export interface MapOptions {
  /**
   * Milliseconds from the call to `map` within which every result must be
   * available (Python's `timeout`); a result not ready by then throws a
   * `TimeoutError` from the iteration and the remaining tasks are cancelled.
   */
  readonly timeout?: number;
  /** Inputs per task (Python's `chunksize`): fewer, larger messages for many small tasks. Default 1. */
  readonly chunksize?: number;
  /** Aborts the iteration and the tasks in flight. */
  readonly signal?: AbortSignal;
  /** Priority of the tasks (see `TaskOptions.priority`). */
  readonly priority?: number;
  /**
   * Tasks (chunks) submitted ahead of the result being read (Python's
   * `buffersize`): the first ones when `map` is called, one more as each
   * result is taken; inputs are read no further. Default 64 per worker.
   */
  readonly prefetch?: number;
  /** Called as results complete. */
  readonly onProgress?: (progress: MapProgress) => void;
}

/** Options of {@link Executor.batch}. */
export interface BatchOptions<F extends AnyFunction> extends TaskOptions {
  /** Tasks submitted at a time; the next batch goes when this one is done. Default 100. */
  readonly batchSize?: number;
  /** Called once per task as it completes (result or error), with its index in the inputs. */
  readonly onComplete?: (future: Future<Result<F>>, index: number) => void;
}

function isOptions(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (Symbol.iterator in value || Symbol.asyncIterator in value) return false;
  return Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
}

function isTaskOptions(value: unknown): value is TaskOptions {
  // A module task is a frozen object too, but carries its brand.
  return isOptions(value) && !(Symbol.for('weft.moduleTask') in value);
}

// Python refuses new futures once the interpreter is shutting down. Here
// that is once the process is exiting: 'exit' listeners run with the event
// loop stopped, so a task submitted then would never run (its future would
// never settle). Prepended, so that it runs before every listener of the
// program, even one added before weft was imported (as Python's hook runs
// before every atexit callback).
let exiting = false;
process.prependOnceListener('exit', () => {
  exiting = true;
});

/**
 * Python's `concurrent.futures.Executor`: submit calls to run elsewhere and
 * get {@link Future}s back. Subclassed by `ThreadPoolExecutor` and
 * `ProcessPoolExecutor`.
 *
 * @example
 * ```ts
 * import { Executor, ThreadPoolExecutor } from 'weft';
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * console.log(pool instanceof Executor); // true
 * const futures = await pool.batch((x: number) => x * 2, [[1], [2], [3]], { batchSize: 2 });
 * console.log(await Promise.all(futures), pool.stats().completed); // [ 2, 4, 6 ] 3
 * ```
 */
export abstract class Executor {
  /** @internal */
  protected readonly engine: Engine;
  readonly #name: string;
  // Names a submitted function in errors; made once, not per submit.
  readonly #submitWhat: string;
  readonly #maxWorkers: number;

  /** @internal */
  protected constructor(engine: Engine, name: string, maxWorkers: number) {
    this.engine = engine;
    this.#name = name;
    this.#submitWhat = `${name}.submit() task`;
    this.#maxWorkers = maxWorkers;
  }

  /** The most workers this executor runs at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /**
   * Schedules `task(...args)` and returns its future. Give per-task options
   * first: `submit({ priority: 1, timeout: 500 }, task, ...args)`.
   *
   * @throws ShutDownError after `shutdown()`; the pool's broken error if it broke;
   *   DataCloneError naming the argument that cannot be sent; CaptureError for a
   *   task that captures variables.
   */
  submit<F extends AnyFunction>(task: Target<F>, ...args: Parameters<F>): Future<Result<F>>;
  submit<F extends AnyFunction>(options: TaskOptions, task: Target<F>, ...args: Parameters<F>): Future<Result<F>>;
  submit(...all: unknown[]): Future<unknown> {
    const options = isTaskOptions(all[0]) ? (all.shift() as TaskOptions) : undefined;
    const task = all.shift() as Target<AnyFunction>;
    const target = this.engine.target(task, this.#submitWhat);
    return this.#submit(target, all, options);
  }

  #submit<R>(target: TargetInfo, args: unknown[], options: TaskOptions | undefined, chunk = 0): Future<R> {
    if (exiting) throw new ShutDownError(`${this.#name}: cannot schedule new futures after the process began exiting`);
    return this.engine.submit(target, args, options, chunk);
  }

  /**
   * Runs `task` over the inputs — one call per element, or per set of
   * elements in step when several iterables are given — and yields the
   * results in input order. The first `prefetch` tasks are submitted at
   * once (so a map nobody iterates still runs, as in Python), one more as
   * each result is taken, so an endless generator works. A task's error is
   * thrown at its position and the iteration goes on (as in Python since
   * gh-108518), with `chunksize` > 1 too: every input of a chunk gets its
   * own outcome (only a chunk whose worker died fails at each of its
   * positions). Leaving the loop early cancels what has not started.
   * Options go last.
   *
   * @throws TimeoutError (from the iteration, which then ends) if `timeout` passes before a result is ready.
   * @throws the task's error, at its position.
   * @throws RangeError / TypeError (from the call) for a bad `chunksize` or `prefetch`.
   */
  map<A, R>(task: Target<(a: A) => R>, items: Input<A>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map<A, B, R>(task: Target<(a: A, b: B) => R>, a: Input<A>, b: Input<B>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map<A, B, C, R>(task: Target<(a: A, b: B, c: C) => R>, a: Input<A>, b: Input<B>, c: Input<C>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map(task: Target<AnyFunction>, ...rest: unknown[]): AsyncIterableIterator<unknown>;
  map(task: Target<AnyFunction>, ...rest: unknown[]): AsyncIterableIterator<unknown> {
    const options = (rest.length > 0 && isOptions(rest[rest.length - 1]) ? rest.pop() : {}) as MapOptions;
    // No iterable: nothing to call (Python's Executor.map yields nothing).
    return this.#map(task, rest as Input<unknown>[], options, rest.length === 1 ? 'items' : 'lists');
  }

  /**
   * `inputs` says what each step of the zipped iterables is: the argument of
   * one call from one iterable ('items'), or the arguments from several
   * ('lists').
   */
  #map(task: Target<AnyFunction>, iterables: Input<unknown>[], options: MapOptions, inputs: 'items' | 'lists'): MapResults {
    const chunksize = options.chunksize ?? 1;
    if (!Number.isInteger(chunksize) || chunksize < 1) throw new RangeError(`${this.#name}.map(): chunksize must be an integer >= 1, got ${String(chunksize)}`);
    const prefetch = options.prefetch ?? Math.max(16, 64 * this.#maxWorkers);
    if (typeof prefetch !== 'number' || !(Number.isInteger(prefetch) || prefetch === Infinity)) {
      throw new TypeError(`${this.#name}.map(): prefetch must be an integer or Infinity, got ${String(prefetch)}`);
    }
    if (prefetch < 1) throw new RangeError(`${this.#name}.map(): prefetch must be >= 1, got ${prefetch}`);
    const target = this.engine.target(task, `${this.#name}.map() task`);
    const taskOptions: TaskOptions = { priority: options.priority, signal: options.signal };
    const submit = (chunk: unknown[][]): Future<unknown> => {
      if (chunksize === 1) return this.#submit(target, chunk[0]!, taskOptions);
      if (inputs === 'lists') return this.#submit(target, chunk, taskOptions, CHUNK);
      return this.#submit(target, chunk.map((step) => step[0]), taskOptions, CHUNK | ITEMS);
    };
    return new MapResults({
      name: this.#name, submit, chunksize, prefetch, timeout: options.timeout, signal: options.signal, onProgress: options.onProgress,
      deadline: options.timeout === undefined ? Infinity : performance.now() + options.timeout,
    }, iterables);
  }

  /**
   * @internal Runs `task` on each element of `chunk` in one worker — an
   * argument list, or with `items` the one argument; the future holds the list of results.
   */
  submitChunk(task: Target<AnyFunction>, chunk: unknown[], items = false): Future<unknown[]> {
    return this.#submit(this.engine.target(task, `${this.#name} task`), chunk, undefined, items ? CHUNK | ITEMS : CHUNK);
  }

  /** @internal Ends every worker now; unfinished tasks fail with `error` (Pool.terminate()). */
  terminateNow(error: unknown): void {
    this.engine.terminate(error);
  }

  /** @internal Resolves once every worker has exited. */
  joined(): Promise<void> {
    return this.engine.joined();
  }

  /**
   * Submits `task` once per argument list in `inputs`, `batchSize` at a
   * time (the next batch when the current one is done), calling
   * `onComplete(future, index)` as each finishes. Resolves to every future,
   * in input order, once all are done; task errors stay in their futures.
   */
  async batch<F extends AnyFunction>(task: Target<F>, inputs: Input<Parameters<F>>, options: BatchOptions<F> = {}): Promise<Future<Result<F>>[]> {
    const { batchSize = 100, onComplete, ...taskOptions } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${this.#name}.batch(): batchSize must be an integer >= 1, got ${String(batchSize)}`);
    const target = this.engine.target(task, `${this.#name}.batch() task`);
    const all: Future<Result<F>>[] = [];
    let current: Future<Result<F>>[] = [];
    const settle = async () => {
      await Promise.allSettled(current.map((future) => future.exception().catch(() => undefined)));
      current = [];
    };
    for await (const args of inputs as AsyncIterable<Parameters<F>>) {
      if (!Array.isArray(args)) throw new TypeError(`${this.#name}.batch(): each input must be an array of arguments, got ${typeof args}`);
      const index = all.length;
      const future = this.#submit<Result<F>>(target, args, taskOptions);
      if (onComplete !== undefined) future.addDoneCallback((done) => onComplete(done, index));
      all.push(future);
      current.push(future);
      if (current.length >= batchSize) await settle();
    }
    await settle();
    return all;
  }

  /**
   * Queued, running, completed and failed counts, each worker's tasks and
   * utilization (busy time over its lifetime), and wait- and run-time
   * percentiles in milliseconds.
   */
  stats(): PoolStats {
    return this.engine.stats();
  }

  /**
   * Refuses new tasks. With `cancelFutures`, cancels those not started.
   * With `wait` (the default) resolves once every task is done and every
   * worker has exited; otherwise at once, the workers exiting when their work
   * is done.
   */
  async shutdown(options: { wait?: boolean; cancelFutures?: boolean } = {}): Promise<void> {
    // Hand out what was submitted first: Python's workers take tasks as they
    // are submitted, so the ones a worker would have taken are not cancelled.
    this.engine.dispatch();
    await this.engine.shutdown(options.wait ?? true, options.cancelFutures ?? false);
  }

  /** `await using executor = new ThreadPoolExecutor()` shuts it down, waiting. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown({ wait: true });
  }

  /** @internal */
  protected static checkMaxWorkers(name: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || (value as number) < 1) throw new RangeError(`${name}: maxWorkers must be an integer >= 1, got ${String(value)}`);
    return value as number;
  }

}
