/**
 * `Pool` and `ThreadPool`: Python's `multiprocessing.Pool` API (apply, map,
 * imap, starmap and their async forms, close / terminate / join) over the
 * same engine as the executors — `Pool` on child processes, `ThreadPool` on
 * worker threads (Python's `multiprocessing.pool.ThreadPool`).
 */

import { InvalidStateError, TimeoutError } from '../errors.js';
import { Executor } from '../futures/executor.js';
import type { Future } from '../futures/future.js';
import { remaining } from '../memory/deadline.js';
import type { Target } from '../run/task.js';
import { ProcessPoolExecutor, type ProcessPoolTransport } from './process-pool.js';
import { ThreadPoolExecutor } from './thread-pool.js';
import { chunkValues } from './worker-side.js';

type AnyFunction = (...args: any[]) => any;
type Input<T> = Iterable<T> | AsyncIterable<T>;

/** Options of {@link Pool} and {@link ThreadPool} (Python's names). */
export interface PoolOptions<I extends AnyFunction = AnyFunction> {
  /** Number of workers; default the number of CPUs. */
  readonly processes?: number;
  /** Runs once in each worker before its first task. */
  readonly initializer?: Target<I>;
  readonly initargs?: Parameters<I>;
  /** A worker is replaced after this many tasks (Python's `maxtasksperchild`). */
  readonly maxtasksperchild?: number;
  /**
   * `Pool` only: how tasks reach the child processes — `'shared-memory'`
   * rings (the default where the processes scope's addon loads) or Node's
   * `'ipc'` channel (see `ProcessPoolExecutor`'s option of that name).
   */
  readonly transport?: ProcessPoolTransport;
}

/** Callbacks of the `…Async` methods, run on this thread when the result is ready. */
export interface AsyncCallbacks<T> {
  readonly callback?: (result: T) => void;
  readonly errorCallback?: (error: unknown) => void;
}

/**
 * The result of `applyAsync`, `mapAsync` and `starmapAsync` (Python's
 * `AsyncResult`).
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'weft';
 * await using pool = new ThreadPool({ processes: 2 });
 * const result = pool.applyAsync((a: number, b: number) => a + b, [2, 3]);
 * await result.wait();
 * console.log(result.ready(), result.successful(), await result.get()); // true true 5
 * ```
 */
export class AsyncResult<T> {
  readonly #promise: Promise<T>;
  #state: 'pending' | 'ok' | 'failed' = 'pending';

  /** @internal */
  constructor(promise: Promise<T>, callbacks: AsyncCallbacks<T> | undefined) {
    this.#promise = promise;
    promise.then(
      (value) => {
        this.#state = 'ok';
        report(() => callbacks?.callback?.(value));
      },
      (error) => {
        this.#state = 'failed';
        report(() => callbacks?.errorCallback?.(error));
      },
    );
  }

  /**
   * The result once ready.
   *
   * @throws TimeoutError (rejection) if it is not ready within `timeout` ms.
   * @throws the task's error (rejection).
   */
  async get(options: { timeout?: number } = {}): Promise<T> {
    if (options.timeout !== undefined && this.#state === 'pending') {
      await this.wait(options);
      if (this.#state === 'pending') throw new TimeoutError(`AsyncResult.get(): not ready after ${options.timeout} ms`);
    }
    return this.#promise;
  }

  /** Waits until the result is ready, or `timeout` ms pass. */
  async wait(options: { timeout?: number } = {}): Promise<void> {
    const settled = this.#promise.then(() => undefined, () => undefined);
    if (options.timeout === undefined) return settled;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeout)))]);
    clearTimeout(timer);
  }

  /** Whether the call has completed. */
  ready(): boolean {
    return this.#state !== 'pending';
  }

  /**
   * Whether the call completed without an error.
   *
   * @throws InvalidStateError if it is not ready (Python's `ValueError`).
   */
  successful(): boolean {
    if (this.#state === 'pending') throw new InvalidStateError('AsyncResult.successful(): the result is not ready');
    return this.#state === 'ok';
  }
}

function report(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    console.error('exception in a Pool callback', error);
  }
}

async function toArray<T>(input: Input<T>): Promise<T[]> {
  if (Array.isArray(input)) return input;
  const out: T[] = [];
  for await (const item of input as AsyncIterable<T>) out.push(item);
  return out;
}

/** Copies `values` into `out` from `at` on; returns the index after them. (A function of its own, so the loop is optimized early.) */
function copyInto(out: unknown[], at: number, values: unknown[]): number {
  for (let i = 0; i < values.length; i++) out[at++] = values[i];
  return at;
}

/** Python's default `chunksize` for `map`: about four chunks per worker. */
function defaultChunksize(length: number, workers: number): number {
  if (length === 0) return 1;
  const size = Math.floor(length / (workers * 4));
  return length % (workers * 4) === 0 ? Math.max(1, size) : size + 1;
}

/** What Pool and ThreadPool share; only the executor under them differs. */
abstract class BasePool {
  readonly #executor: Executor;
  readonly #workers: number;
  #state: 'running' | 'closed' | 'terminated' = 'running';
  readonly #name: string;

  /** @internal */
  protected constructor(name: string, executor: Executor) {
    this.#name = name;
    this.#executor = executor;
    this.#workers = executor.maxWorkers;
  }

  #check(what: string): void {
    if (this.#state !== 'running') throw new InvalidStateError(`${this.#name}.${what}: the pool is not running`);
  }

  /** Runs `fn(...args)` in a worker and resolves to its result (Python's `apply`). */
  async apply<F extends AnyFunction>(fn: Target<F>, args?: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    return this.applyAsync(fn, args).get();
  }

  /** {@link apply} returning an {@link AsyncResult}. */
  applyAsync<F extends AnyFunction>(fn: Target<F>, args?: Parameters<F>, callbacks?: AsyncCallbacks<Awaited<ReturnType<F>>>): AsyncResult<Awaited<ReturnType<F>>> {
    this.#check('applyAsync()');
    const future = this.#executor.submit(fn, ...((args ?? []) as Parameters<F>));
    return new AsyncResult(Promise.resolve(future as Future<Awaited<ReturnType<F>>>).then((value) => value), callbacks);
  }

  /**
   * `fn` over every item, in order, resolving to the array of results — as
   * Python's `map` returns a list. Items go to workers in chunks (Python's
   * default size: about four chunks per worker).
   */
  async map<T, R>(fn: Target<(item: T) => R>, items: Input<T>, chunksize?: number): Promise<Awaited<R>[]> {
    return this.mapAsync(fn, items, { chunksize }).get();
  }

  /** {@link map} returning an {@link AsyncResult}. */
  mapAsync<T, R>(fn: Target<(item: T) => R>, items: Input<T>, options: { chunksize?: number } & AsyncCallbacks<Awaited<R>[]> = {}): AsyncResult<Awaited<R>[]> {
    this.#check('mapAsync()');
    return new AsyncResult(this.#collect(fn as Target<AnyFunction>, items, options.chunksize, false) as Promise<Awaited<R>[]>, options);
  }

  /** Like {@link map} with each item an array of arguments: `fn(...item)`. */
  async starmap<A extends unknown[], R>(fn: Target<(...args: A) => R>, items: Input<A>, chunksize?: number): Promise<Awaited<R>[]> {
    return this.starmapAsync(fn, items, { chunksize }).get();
  }

  /** {@link starmap} returning an {@link AsyncResult}. */
  starmapAsync<A extends unknown[], R>(fn: Target<(...args: A) => R>, items: Input<A>, options: { chunksize?: number } & AsyncCallbacks<Awaited<R>[]> = {}): AsyncResult<Awaited<R>[]> {
    this.#check('starmapAsync()');
    return new AsyncResult(this.#collect(fn as Target<AnyFunction>, items, options.chunksize, true) as Promise<Awaited<R>[]>, options);
  }

  async #collect(fn: Target<AnyFunction>, items: Input<unknown>, chunksize: number | undefined, star: boolean): Promise<unknown[]> {
    const list = await toArray(items);
    const size = chunksize ?? defaultChunksize(list.length, this.#workers);
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`${this.#name}.map(): chunksize must be an integer >= 1, got ${String(size)}`);
    if (star) {
      const at = list.findIndex((item) => !Array.isArray(item));
      if (at >= 0) throw new TypeError(`${this.#name}.starmap(): item ${at} is not an array of arguments`);
    }
    // The whole input is at hand: cut it into chunks and submit them all at
    // once, with no per-item iterator between the list and the workers.
    const futures: Future<unknown[]>[] = [];
    for (let start = 0; start < list.length; start += size) {
      futures.push(this.#executor.submitChunk(fn, list.slice(start, start + size), !star));
    }
    const out: unknown[] = new Array(list.length);
    let at = 0;
    try {
      for (const future of futures) at = copyInto(out, at, chunkValues(await future));
    } catch (error) {
      for (const future of futures) future.cancel();
      throw error;
    }
    return out;
  }

  /** Results of `fn` over the items, lazily and in order, as they come (Python's `imap`). */
  imap<T, R>(fn: Target<(item: T) => R>, items: Input<T>, chunksize = 1): AsyncIterableIterator<Awaited<R>> {
    this.#check('imap()');
    return this.#executor.map(fn, items, { chunksize });
  }

  /** Like {@link imap}, in the order the results complete (Python's `imap_unordered`). */
  async *imapUnordered<T, R>(fn: Target<(item: T) => R>, items: Input<T>, chunksize = 1): AsyncGenerator<Awaited<R>> {
    this.#check('imapUnordered()');
    // Chunks go out as the items are read; each chunk's results come back together.
    const done: Future<unknown[]>[] = [];
    const submitted: Future<unknown[]>[] = [];
    let wake: (() => void) | undefined;
    let exhausted = false;
    let inputError: { error: unknown } | undefined;
    const submit = (chunk: unknown[]) => {
      const future = this.#executor.submitChunk(fn, chunk.map((item) => [item]));
      submitted.push(future);
      future.addDoneCallback(() => {
        done.push(future);
        wake?.();
      });
    };
    void (async () => {
      let chunk: unknown[] = [];
      for await (const item of items as AsyncIterable<T>) {
        chunk.push(item);
        if (chunk.length === chunksize) {
          submit(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) submit(chunk);
    })().then(
      () => (exhausted = true),
      (error) => (inputError = { error }),
    ).finally(() => wake?.());
    let yielded = 0;
    try {
      for (;;) {
        while (done.length > 0) {
          yielded++;
          for (const value of chunkValues(await done.shift()!)) yield value as Awaited<R>;
        }
        if (inputError !== undefined) throw inputError.error;
        if (exhausted && yielded === submitted.length) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      for (const future of submitted) future.cancel();
    }
  }

  /** Accepts no more tasks; the workers exit once the submitted ones are done. */
  close(): void {
    if (this.#state === 'running') {
      this.#state = 'closed';
      void this.#executor.shutdown({ wait: false });
    }
  }

  /** Stops the workers now; what has not finished fails. */
  terminate(): void {
    this.#state = 'terminated';
    this.#executor.terminateNow(new InvalidStateError(`${this.#name}: terminated`));
  }

  /**
   * Waits for the workers to exit. Call {@link close} or {@link terminate} first.
   *
   * @throws InvalidStateError if the pool is still running (Python's `ValueError`).
   */
  async join(options: { timeout?: number } = {}): Promise<void> {
    if (this.#state === 'running') throw new InvalidStateError(`${this.#name}.join(): the pool is still running; call close() or terminate() first`);
    const joined = this.#executor.joined();
    if (options.timeout === undefined) return joined;
    const deadline = performance.now() + options.timeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([joined, new Promise<void>((resolve) => (timer = setTimeout(resolve, remaining(deadline))))]);
    clearTimeout(timer);
  }

  /** `await using pool = new Pool()` terminates it at the end of the block, as Python's `with Pool()` does. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.#executor.joined();
  }
}

/**
 * Python's `multiprocessing.Pool`: a pool of child processes with `map`,
 * `imap`, `starmap`, `apply` and their async forms.
 *
 * @example
 * ```ts
 * import { Pool } from 'weft';
 * await using pool = new Pool({ processes: 2 });
 * console.log(await pool.map((x: number) => x * x, [0, 1, 2, 3])); // [ 0, 1, 4, 9 ]
 * console.log(await pool.starmap((a: number, b: number) => a ** b, [[2, 3], [3, 2]])); // [ 8, 9 ]
 * ```
 * @see Python's `multiprocessing.pool.Pool`
 */
export class Pool extends BasePool {
  constructor(options: PoolOptions = {}) {
    super('Pool', new ProcessPoolExecutor({
      maxWorkers: options.processes, initializer: options.initializer, initargs: options.initargs, maxTasksPerChild: options.maxtasksperchild,
      transport: options.transport,
    }));
  }
}

/**
 * Python's `multiprocessing.pool.ThreadPool`: {@link Pool}'s API on worker threads.
 *
 * @example
 * ```ts
 * import { ThreadPool } from 'weft';
 * await using pool = new ThreadPool({ processes: 2 });
 * const lengths = [];
 * for await (const n of pool.imap((s: string) => s.length, ['a', 'bb', 'ccc'])) lengths.push(n);
 * console.log(lengths); // [ 1, 2, 3 ]
 * ```
 * @see Python's `multiprocessing.pool.ThreadPool`
 */
export class ThreadPool extends BasePool {
  constructor(options: PoolOptions = {}) {
    super('ThreadPool', new ThreadPoolExecutor({
      maxWorkers: options.processes, initializer: options.initializer, initargs: options.initargs, maxTasksPerChild: options.maxtasksperchild,
    }));
  }
}
