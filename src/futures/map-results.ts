/**
 * The iterator `Executor.map` returns: Python's `Executor.map` result
 * iterator over a bounded window of submitted tasks (Python's `buffersize`,
 * weft's `prefetch`).
 */

import { TimeoutError } from '../errors.js';
import { remaining } from '../memory/deadline.js';
import type { Future } from './future.js';
import { PartialChunk } from '../pool/worker-side.js';

type Input<T> = Iterable<T> | AsyncIterable<T>;

/** Progress of a `map`: `done` results of `total` inputs read so far (`final` once the inputs are exhausted). */
export interface MapProgress {
  readonly done: number;
  readonly total: number;
  readonly final: boolean;
}

/** @internal What a {@link MapResults} needs from its executor and its caller. */
export interface MapPlan {
  /** The executor's name, for messages. */
  readonly name: string;
  /** Submits one task for `chunk`: its one element when `chunksize` is 1, else all of them; throws as `submit` does. */
  readonly submit: (chunk: unknown[][]) => Future<unknown>;
  readonly chunksize: number;
  readonly prefetch: number;
  /** `performance.now()` by which every result must be ready, or `Infinity`. */
  readonly deadline: number;
  /** The map's `timeout`, for the message when it passes. */
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((progress: MapProgress) => void) | undefined;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** A taken chunk's outcome, handed out one input at a time. */
interface TakenChunk {
  /** Undefined when the chunk failed as a whole (its worker died, its arguments could not be sent). */
  readonly values: unknown[] | undefined;
  readonly error: unknown;
  /** The errors of the calls that threw, by position in the chunk. */
  readonly failures: Map<number, unknown> | undefined;
  left: number;
}

function nothing(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Reads the inputs of `map` in step, one argument list per step, ending with
 * the shortest (Python's `zip`). Synchronous iterables are read
 * synchronously, so that `map` can submit its first tasks before it returns.
 */
class Zip {
  readonly #iterators: (Iterator<unknown> | AsyncIterator<unknown>)[];
  #finished = false;

  constructor(name: string, iterables: Input<unknown>[]) {
    this.#iterators = iterables.map((input) => {
      if (input !== null && typeof input === 'object' && Symbol.asyncIterator in input) return (input as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      if (input !== null && input !== undefined && typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') return (input as Iterable<unknown>)[Symbol.iterator]();
      throw new TypeError(`${name}.map(): expected iterables after the task, got ${input === null ? 'null' : typeof input}`);
    });
  }

  /** The next argument list, or `undefined` once an input is exhausted; a promise where an input is asynchronous. */
  next(): unknown[] | undefined | Promise<unknown[] | undefined> {
    return this.#read([], 0);
  }

  #read(args: unknown[], from: number): unknown[] | undefined | Promise<unknown[] | undefined> {
    if (this.#finished || this.#iterators.length === 0) return undefined;
    for (let i = from; i < this.#iterators.length; i++) {
      const step = this.#iterators[i]!.next();
      if (isThenable(step)) return this.#readAsync(args, i, step as Promise<IteratorResult<unknown>>);
      if (step.done) return this.#finish();
      args.push(step.value);
    }
    return args;
  }

  async #readAsync(args: unknown[], at: number, pending: Promise<IteratorResult<unknown>>): Promise<unknown[] | undefined> {
    const step = await pending;
    if (step.done) return this.#finish();
    args.push(step.value);
    return this.#read(args, at + 1);
  }

  #finish(): undefined {
    this.#finished = true;
    return undefined;
  }

  /** Closes every input (Python's generators are closed when `map` is done with them). */
  async close(): Promise<void> {
    this.#finished = true;
    for (const iterator of this.#iterators) await iterator.return?.();
  }
}

/**
 * Python's result iterator of `Executor.map`, as an async iterator:
 *
 * - It submits its first `prefetch` tasks when it is made, before the first
 *   `next()` (a `map` nobody iterates still runs, as in Python since issue
 *   11777), and one more as each result is taken; an endless input works.
 * - Results come in input order. A task's error is thrown at its position
 *   and the iteration goes on with the next (Python's gh-108518), so one
 *   failure does not cancel the rest.
 * - The map's `timeout` passing, its `signal` aborting, an input throwing or
 *   the executor refusing a task ends it: that error is thrown (at its
 *   position, for the last two) and what has not started is cancelled.
 * - `return()` (leaving a `for await` early) cancels what has not started.
 * - It keeps no reference to a result it has handed out (Python's bpo-14406).
 *
 * @internal Made by `Executor.map`.
 */
export class MapResults implements AsyncIterableIterator<unknown> {
  readonly #plan: MapPlan;
  readonly #inputs: Zip;
  /** Submitted and not yet taken, in input order, with how many inputs each covers. */
  readonly #futures: { future: Future<unknown>; size: number }[] = [];
  /** What a taken chunk's future held, handed out one at a time. */
  #chunk: TakenChunk | undefined;
  /** Why filling stopped early (an input threw, a submit was refused): thrown once the tasks before it are taken. */
  #stopped: { error: unknown } | undefined;
  #exhausted = false;
  #ended = false;
  #filling: Promise<void> | undefined;
  /** Steps run one at a time, in the order `next()` was called. */
  #tail: Promise<unknown> = Promise.resolve();
  #total = 0;
  #done = 0;
  #reportedFinal = false;

  constructor(plan: MapPlan, iterables: Input<unknown>[]) {
    this.#plan = plan;
    this.#inputs = new Zip(plan.name, iterables);
    this.#fill();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    const step = this.#tail.then(() => this.#step());
    // Settled with nothing: a tail holding the step's result would keep it alive.
    this.#tail = step.then(nothing, nothing);
    return step;
  }

  async return(): Promise<IteratorResult<unknown>> {
    const step = this.#tail.then(() => this.#end());
    this.#tail = step.then(nothing, nothing);
    await step;
    return DONE;
  }

  async #step(): Promise<IteratorResult<unknown>> {
    const chunk = this.#chunk;
    if (chunk !== undefined) return this.#fromChunk(chunk);
    if (this.#ended) return DONE;
    if (this.#futures.length === 0 && this.#filling !== undefined) await this.#filling;
    const next = this.#futures.shift();
    if (next === undefined) {
      const stopped = this.#stopped;
      await this.#end();
      if (stopped !== undefined) throw stopped.error;
      if (!this.#reportedFinal) this.#report();
      return DONE;
    }
    this.#fill();
    const { future, size } = next;
    let value: unknown;
    try {
      value = await this.#wait(future);
    } catch (error) {
      if (this.#ended || this.#plan.chunksize === 1) throw error;
      this.#chunk = { values: undefined, error, failures: undefined, left: size };
      return this.#fromChunk(this.#chunk);
    }
    if (this.#plan.chunksize === 1) return { done: false, value };
    this.#chunk = value instanceof PartialChunk
      ? { values: value.values, error: undefined, failures: new Map(value.failures), left: size }
      : { values: value as unknown[], error: undefined, failures: undefined, left: size };
    return this.#fromChunk(this.#chunk);
  }

  /**
   * The next of a chunk's results: a call that threw throws its error at its
   * position, as with `chunksize` 1. A chunk that failed as a whole (its
   * worker died, its arguments could not be sent) throws its error at each
   * of its positions, so every input still gets an outcome.
   */
  #fromChunk(chunk: TakenChunk): IteratorResult<unknown> {
    const index = chunk.values === undefined ? 0 : chunk.values.length - chunk.left;
    if (--chunk.left === 0) this.#chunk = undefined;
    if (chunk.values === undefined) throw chunk.error;
    if (chunk.failures?.has(index)) throw chunk.failures.get(index);
    const value = chunk.values[index];
    chunk.values[index] = undefined;
    return { done: false, value };
  }

  /** The future's result; throws its error, or ends the map when its signal aborts or its timeout passes. */
  async #wait(future: Future<unknown>): Promise<unknown> {
    const { deadline, signal } = this.#plan;
    if (deadline === Infinity && signal === undefined) return await future;
    try {
      return await future.result({ timeout: deadline === Infinity ? undefined : remaining(deadline), signal });
    } catch (error) {
      if (signal?.aborted) {
        await this.#end();
        throw signal.reason;
      }
      // Done: the error is the task's own (a TimeoutError it threw is not the map's, as in Python's gh-155852).
      if (future.done()) throw error;
      future.cancel();
      await this.#end();
      throw new TimeoutError(`${this.#plan.name}.map(): a result was not ready within the map's timeout of ${this.#plan.timeout} ms`);
    }
  }

  /** Submits tasks until `prefetch` are waiting or the inputs run out; synchronously while the inputs are synchronous. */
  #fill(): void {
    if (this.#filling !== undefined || this.#exhausted || this.#ended) return;
    const filling = this.#fillFrom();
    if (filling !== undefined) this.#filling = filling.finally(() => (this.#filling = undefined));
  }

  #fillFrom(): Promise<void> | undefined {
    const plan = this.#plan;
    try {
      while (!this.#exhausted && !this.#ended && this.#futures.length < plan.prefetch) {
        plan.signal?.throwIfAborted();
        const chunk: unknown[][] = [];
        while (chunk.length < plan.chunksize) {
          const args = this.#inputs.next();
          if (isThenable(args)) return this.#fillAsync(chunk, args);
          if (args === undefined) {
            this.#exhausted = true;
            break;
          }
          chunk.push(args);
        }
        this.#submit(chunk);
      }
    } catch (error) {
      this.#stop(error);
    }
    return undefined;
  }

  async #fillAsync(chunk: unknown[][], pending: Promise<unknown[] | undefined>): Promise<void> {
    try {
      const args = await pending;
      if (args === undefined) this.#exhausted = true;
      else chunk.push(args);
      if (!this.#exhausted && chunk.length < this.#plan.chunksize) {
        const more = this.#inputs.next();
        return await this.#fillAsync(chunk, Promise.resolve(more));
      }
      this.#submit(chunk);
    } catch (error) {
      this.#stop(error);
      return;
    }
    const rest = this.#fillFrom();
    if (rest !== undefined) await rest;
  }

  #submit(chunk: unknown[][]): void {
    if (chunk.length === 0 || this.#ended) return;
    const future = this.#plan.submit(chunk);
    this.#total += chunk.length;
    this.#futures.push({ future, size: chunk.length });
    if (this.#plan.onProgress !== undefined) {
      future.addDoneCallback(() => {
        this.#done += chunk.length;
        this.#report();
      });
    }
  }

  #report(): void {
    const progress = this.#plan.onProgress;
    if (progress === undefined) return;
    this.#reportedFinal = this.#exhausted;
    progress({ done: this.#done, total: this.#total, final: this.#exhausted });
  }

  #stop(error: unknown): void {
    this.#exhausted = true;
    this.#stopped = { error };
  }

  /** Ends the iteration: cancels what has not started and closes the inputs. */
  async #end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#chunk = undefined;
    for (const { future } of this.#futures.splice(0)) future.cancel();
    // A fill still waiting on an asynchronous input stops when it resumes.
    await this.#inputs.close();
  }
}
