/**
 * `Executor`: what `ThreadPoolExecutor` and `ProcessPoolExecutor` share —
 * Python's `concurrent.futures.Executor` (`submit`, `map`, `shutdown`), with
 * per-task options, `batch`, `stats()` and `await using`.
 */

import { TimeoutError } from '../errors.js';
import { remaining } from '../memory/deadline.js';
import type { Engine, PoolStats, TaskOptions } from '../pool/engine.js';
import { CHUNK, ITEMS } from '../pool/transport/wire.js';
import type { Target } from '../run/task.js';
import { Future } from './future.js';

type AnyFunction = (...args: any[]) => any;
type Input<T> = Iterable<T> | AsyncIterable<T>;
type Result<F extends AnyFunction> = Awaited<ReturnType<F>>;

/** Progress of a `map`: `done` results of `total` inputs read so far (`final` once the inputs are exhausted). */
export interface MapProgress {
  readonly done: number;
  readonly total: number;
  readonly final: boolean;
}

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
  /** Tasks (chunks) submitted ahead of the result being read; inputs are read lazily. Default 64 per worker. */
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

/** Reads the inputs of `map` in step: one argument list per step, ending with the shortest input (as Python's `map`). */
async function* zip(iterables: Input<unknown>[]): AsyncGenerator<unknown[]> {
  const iterators = iterables.map((input) => {
    if (input !== null && typeof input === 'object' && Symbol.asyncIterator in input) return (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    if (input !== null && input !== undefined && typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') return (input as Iterable<unknown>)[Symbol.iterator]();
    throw new TypeError(`Executor.map(): expected iterables after the task, got ${input === null ? 'null' : typeof input}`);
  });
  try {
    for (;;) {
      const args: unknown[] = [];
      for (const iterator of iterators) {
        let step = iterator.next();
        if (step instanceof Promise) step = await step;
        const { done, value } = step as IteratorResult<unknown>;
        if (done) return;
        args.push(value);
      }
      yield args;
    }
  } finally {
    for (const iterator of iterators) await iterator.return?.();
  }
}

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
  readonly #maxWorkers: number;

  /** @internal */
  protected constructor(engine: Engine, name: string, maxWorkers: number) {
    this.engine = engine;
    this.#name = name;
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
    const target = this.engine.target(task, `${this.#name}.submit() task`);
    return this.engine.submit(target, all, options);
  }

  /**
   * Runs `task` over the inputs — one call per element, or per set of
   * elements in step when several iterables are given — and yields the
   * results in input order. Inputs are read lazily with bounded prefetch, so
   * an endless generator works. Leaving the loop early cancels what has not
   * started. Options go last.
   *
   * @throws TimeoutError (from the iteration) if `timeout` passes before a result is ready.
   * @throws the task's error, at its position.
   */
  map<A, R>(task: Target<(a: A) => R>, items: Input<A>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map<A, B, R>(task: Target<(a: A, b: B) => R>, a: Input<A>, b: Input<B>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map<A, B, C, R>(task: Target<(a: A, b: B, c: C) => R>, a: Input<A>, b: Input<B>, c: Input<C>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map(task: Target<AnyFunction>, ...rest: unknown[]): AsyncIterableIterator<unknown>;
  map(task: Target<AnyFunction>, ...rest: unknown[]): AsyncIterableIterator<unknown> {
    const options = (rest.length > 0 && isOptions(rest[rest.length - 1]) ? rest.pop() : {}) as MapOptions;
    if (rest.length === 0) throw new TypeError(`${this.#name}.map(): give at least one iterable after the task`);
    const chunksize = options.chunksize ?? 1;
    if (!Number.isInteger(chunksize) || chunksize < 1) throw new RangeError(`${this.#name}.map(): chunksize must be an integer >= 1, got ${String(chunksize)}`);
    const target = this.engine.target(task, `${this.#name}.map() task`);
    const deadline = options.timeout === undefined ? Infinity : performance.now() + options.timeout;
    return this.#mapResults(target, zip(rest as Input<unknown>[]), options, chunksize, deadline, rest.length === 1 ? 'items' : 'lists');
  }

  /** @internal `map` over argument lists (Pool's `starmap`). */
  starmapIterator(task: Target<AnyFunction>, argLists: Input<unknown[]>, options: MapOptions): AsyncIterableIterator<unknown> {
    const target = this.engine.target(task, `${this.#name}.starmap() task`);
    const chunksize = options.chunksize ?? 1;
    if (!Number.isInteger(chunksize) || chunksize < 1) throw new RangeError(`${this.#name}.starmap(): chunksize must be an integer >= 1, got ${String(chunksize)}`);
    return this.#mapResults(target, zip([argLists]), options, chunksize, Infinity, 'star');
  }

  /**
   * @internal Runs `task` on each element of `chunk` in one worker — an
   * argument list, or with `items` the one argument; the future holds the list of results.
   */
  submitChunk(task: Target<AnyFunction>, chunk: unknown[], items = false): Future<unknown[]> {
    return this.engine.submit(this.engine.target(task, `${this.#name} task`), chunk, undefined, items ? CHUNK | ITEMS : CHUNK);
  }

  /** @internal Ends every worker now; unfinished tasks fail with `error` (Pool.terminate()). */
  terminateNow(error: unknown): void {
    this.engine.terminate(error);
  }

  /** @internal Resolves once every worker has exited. */
  joined(): Promise<void> {
    return this.engine.joined();
  }

  async *#mapResults(
    target: ReturnType<Engine['target']>, source: AsyncGenerator<unknown[]>, options: MapOptions, chunksize: number, deadline: number,
    // What each input is: arguments of one call zipped from one iterable ('items') or several ('lists'), or a list of them ('star').
    inputs: 'items' | 'lists' | 'star',
  ): AsyncGenerator<unknown> {
    const engine = this.engine;
    const prefetch = options.prefetch ?? Math.max(16, 64 * this.#maxWorkers);
    const taskOptions: TaskOptions = { priority: options.priority, signal: options.signal };
    const futures: Future<unknown>[] = [];
    let exhausted = false;
    let total = 0;
    let done = 0;
    const progress = options.onProgress;
    const report = (n: number) => () => {
      done += n;
      progress!({ done, total, final: exhausted });
    };
    const fill = async () => {
      while (!exhausted && futures.length < prefetch) {
        options.signal?.throwIfAborted();
        const chunk: unknown[] = [];
        while (chunk.length < chunksize) {
          const step = await source.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          chunk.push(inputs === 'lists' ? step.value : step.value[0]);
        }
        if (chunk.length === 0) break;
        total += chunk.length;
        const future = chunksize > 1
          ? engine.submit(target, chunk, taskOptions, inputs === 'items' ? CHUNK | ITEMS : CHUNK)
          : engine.submit(target, inputs === 'items' ? chunk : (chunk[0] as unknown[]), taskOptions);
        if (progress !== undefined) future.addDoneCallback(report(chunk.length));
        futures.push(future);
      }
      if (exhausted && progress !== undefined && futures.length === 0) progress({ done, total, final: true });
    };
    try {
      await fill();
      while (futures.length > 0) {
        const future = futures.shift()!;
        let value: unknown;
        if (deadline === Infinity && options.signal === undefined) {
          value = await future;
        } else {
          try {
            value = await future.result({ timeout: deadline === Infinity ? undefined : remaining(deadline), signal: options.signal });
          } catch (error) {
            if (!(error instanceof TimeoutError) || future.done()) throw error;
            throw new TimeoutError(`${this.#name}.map(): a result was not ready within the map's timeout of ${options.timeout} ms`);
          }
        }
        if (chunksize === 1) yield value;
        else yield* value as unknown[];
        await fill();
      }
    } finally {
      for (const future of futures) future.cancel();
      await source.return(undefined);
    }
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
      const future = this.engine.submit<Result<F>>(target, args, taskOptions);
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
