import { CancelledError, InvalidStateError, TimeoutError } from '../errors.js';
import { expired, FOREVER, remaining, throwIfAborted, waitDeadline } from '../memory/deadline.js';
import type { AsyncTimeoutOptions } from '../memory/deadline.js';
import { hold, release } from '../memory/keep-alive.js';

/**
 * Python's five future states. `CANCELLED` means `cancel()` was called;
 * `CANCELLED_AND_NOTIFIED` that the executor has since seen it (in
 * `setRunningOrNotifyCancel()`) and told `wait()` / `asCompleted()`. Both read
 * as `'cancelled'`, and both are `done()`; only the second counts as finished
 * for `wait()` and `asCompleted()`, as in Python.
 */
export type FutureState = 'PENDING' | 'RUNNING' | 'CANCELLED' | 'CANCELLED_AND_NOTIFIED' | 'FINISHED';

const DESCRIPTION: Record<FutureState, string> = {
  PENDING: 'pending',
  RUNNING: 'running',
  CANCELLED: 'cancelled',
  CANCELLED_AND_NOTIFIED: 'cancelled',
  FINISHED: 'finished',
};

/**
 * How `wait()` and `asCompleted()` hear of completions (Python's `_Waiter`):
 * a future calls one method of each waiter installed on it when it finishes,
 * or when the executor notices that it was cancelled.
 *
 * @internal
 */
export interface Waiter {
  addResult(future: Future<unknown>): void;
  addException(future: Future<unknown>): void;
  addCancelled(future: Future<unknown>): void;
}

/**
 * The parts of a future that `wait()`, `asCompleted()` and tests reach and
 * users do not (Python's `_state`, `_waiters`).
 *
 * @internal
 */
export interface FutureInternals {
  state(future: Future<unknown>): FutureState;
  /** Finished by `setException` (the exception may be any value, even `undefined`). */
  failed(future: Future<unknown>): boolean;
  addWaiter(future: Future<unknown>, waiter: Waiter): void;
  removeWaiter(future: Future<unknown>, waiter: Waiter): void;
  /**
   * For an executor that sends tasks ahead to a worker which may not have
   * started them: while the future is pending, `cancel()` and `running()`
   * call `prober.probe(task, withdraw)` to ask whether the worker has taken
   * the task — `cancel()` with `withdraw` true, so the executor takes the
   * task back if it can. `true` means taken: the future becomes running.
   * `undefined` removes the probe. (One prober per executor and the task as
   * its argument: nothing is allocated per future.)
   */
  setProbe(future: Future<unknown>, prober: Prober | undefined, task?: unknown): void;
}

/** @internal See {@link FutureInternals.setProbe}. */
export interface Prober {
  probe(task: unknown, withdraw: boolean): boolean;
}

/** @internal Assigned in `Future`'s static block, the one place that sees its private fields. */
export let internals: FutureInternals;

// setTimeout overflows past 2^31 - 1 ms (it fires after 1 ms); longer waits re-arm.
const MAX_DELAY = 0x7fffffff;

/**
 * Waits without blocking the event loop until `subscribe`'s `wake` is called
 * (resolves `true`), the deadline passes (`false`) or the signal aborts
 * (rejects with `signal.reason`). `subscribe` returns its unsubscribe. Holds
 * the event loop open while parked, as every async wait in weft does, and
 * leaves no timer or listener behind once settled.
 *
 * @internal
 */
export function park(deadline: number, signal: AbortSignal | undefined, subscribe: (wake: () => void) => () => void): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;
    const onAbort = (): void => finish(() => reject(signal!.reason));
    const onTimer = (): void => (expired(deadline) ? finish(() => resolve(false)) : arm());
    const arm = (): void => {
      timer = setTimeout(onTimer, Math.min(Math.ceil(remaining(deadline)), MAX_DELAY));
    };
    function finish(settle: () => void): void {
      if (settled) return;
      settled = true;
      unsubscribe?.();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      release();
      settle();
    }
    if (signal?.aborted) return reject(signal.reason);
    hold();
    unsubscribe = subscribe(() => finish(() => resolve(true)));
    if (settled) {
      unsubscribe();
      return;
    }
    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
    if (deadline !== FOREVER) arm();
  });
}

// Python's repr shows an object's id; a future gets one when first shown.
const ids = new WeakMap<object, number>();
let nextId = 1;
// A future's resolve function, as `Promise` hands it to the executor: one
// executor for every future, not a closure (and its context) each.
// Only `resolve` is kept: a future fails by resolving to a rejected promise,
// which saves every future a function for the rare failure.
const captured: { resolve: ((value: unknown) => void) | undefined } = { resolve: undefined };
function capture(resolve: (value: never) => void): void {
  captured.resolve = resolve as (value: unknown) => void;
}

// Promise.prototype.then as it was at load, for marking a failed future's promise handled.
const promiseThen = Promise.prototype.then;
const ignore = (): void => {};

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object' && typeof value !== 'function') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name || 'Object';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * The eventual result of a call (Python's `concurrent.futures.Future`), with
 * Python's state machine: pending → running → finished, or pending →
 * cancelled. An executor creates it, marks it running, and sets its result
 * or exception; everyone else waits for it.
 *
 * A future is a `Promise`: `await future` gives the result, or throws the
 * task's error, or a `CancelledError`; `then`, `catch`, `finally` and
 * `Promise.all` work as on any promise. `result()` and `exception()` do the
 * same with a `timeout` (milliseconds; `TimeoutError` when it passes) and an
 * `AbortSignal`. A future that fails with nobody listening never causes an
 * `unhandledRejection`. Waiting never polls: completion wakes the waiters.
 * A pending `result()` / `exception()` (and `wait()`, `asCompleted()`) keeps
 * the event loop alive, as Python's blocking `result()` keeps its thread; a
 * bare `await future`, like any promise, leaves that to whatever will finish
 * the future (an executor with work out, a timer).
 *
 * Being a promise, a future is unwrapped wherever JavaScript awaits on its
 * own: `return future` from an async function and `yield future` in an async
 * generator give its result, not the future (`Promise.resolve(future)` is the
 * future itself). For the same reason a future's result cannot itself be a
 * thenable. A future says its `constructor` is `Promise` (see the class's
 * static block); `future instanceof Future` holds.
 *
 * Done callbacks run synchronously, in the order they were added, when the
 * future finishes or is cancelled — or at once if it already has. A callback
 * that throws (or returns a promise that rejects) is reported with
 * `console.error('exception calling callback for <Future …>', error)` —
 * Python logs it with `LOGGER.exception` — and the other callbacks and the
 * future are unaffected.
 *
 * A future lives in the thread that created it; it is not shared memory.
 *
 * @example
 * ```ts
 * import { Future } from 'weft';
 * const future = new Future<number>();
 * future.addDoneCallback((f) => console.log('done, cancelled:', f.cancelled()));
 * setTimeout(() => {
 *   if (future.setRunningOrNotifyCancel()) future.setResult(42); // what an executor does
 * }, 10);
 * console.log(future.done()); // false
 * console.log(await future); // 42
 * console.log(String(future)); // <Future at 0x1 state=finished returned number>
 * console.log(await future.exception()); // undefined
 * console.log(future.cancel()); // false: it has finished
 * ```
 * @see Python's `concurrent.futures.Future`
 */
export class Future<T = unknown> extends Promise<T> {
  #state: FutureState = 'PENDING';
  // The result, or the exception when #failed.
  #value: unknown;
  // The exception is any thrown value, `undefined` included, so failure is its own flag.
  #failed = false;
  // Thunks, not the callbacks themselves: a `(future: Future<T>) => …` field would make Future<T> invariant in T.
  // Created on first use, as the sets below: a pool makes hundreds of thousands of futures.
  #callbacks: Array<() => void> | undefined;
  // wait() / asCompleted(): told of finishing and of a noticed cancellation.
  #waiters: Set<Waiter> | undefined;
  // result() / exception() parked on this future (Python's condition); a bare await uses the promise the future is.
  #wakers: Set<() => void> | undefined;
  // Settle the promise the future is once it is done (set while it is pending).
  #resolve: ((value: unknown) => void) | undefined;
  // Set by an executor while the task is in a worker's hands but maybe not started (see FutureInternals.setProbe).
  #prober: Prober | undefined;
  #task: unknown;

  /** A new pending future, finished by its executor through `setResult` / `setException`. */
  constructor();
  // `Promise`'s own statics (`Future.resolve()`…) construct with an executor; it is called as a promise's would be.
  constructor(executor?: (resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void) {
    super(executor === undefined ? capture : (resolve, reject) => {
      capture(resolve);
      executor(resolve, reject);
    });
    this.#resolve = captured.resolve;
    captured.resolve = undefined;
  }

  static {
    // A future is a promise, and says its constructor is `Promise`: so `await
    // future` and `Promise.all(futures)` take it as the promise it is, where
    // any other thenable (or a Promise subclass) is wrapped in a new promise
    // that calls its `then` in a job of its own — three promises and a job per
    // awaited future instead of one reaction. `future instanceof Future` holds.
    Object.defineProperty(Future.prototype, 'constructor', { value: Promise, writable: true, configurable: true });
    internals = {
      state: (future) => future.#state,
      failed: (future) => future.#failed,
      addWaiter: (future, waiter) => void (future.#waiters ??= new Set()).add(waiter),
      removeWaiter: (future, waiter) => void future.#waiters?.delete(waiter),
      setProbe: (future, prober, task) => {
        future.#prober = prober;
        future.#task = task;
      },
    };
  }

  /**
   * Cancels the future if it has not started running. Returns `true` if it is
   * now cancelled (also when it already was), `false` if it is running or
   * finished. Wakes `result()` / `exception()` waiters (with a
   * `CancelledError`) and runs the done callbacks.
   */
  cancel(): boolean {
    if (this.#state === 'PENDING' && this.#taken(true)) return false;
    const state = this.#state;
    if (state === 'RUNNING' || state === 'FINISHED') return false;
    if (state !== 'PENDING') return true;
    this.#state = 'CANCELLED';
    this.#wake();
    this.#invokeCallbacks();
    return true;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === 'CANCELLED' || this.#state === 'CANCELLED_AND_NOTIFIED';
  }

  /** Whether the call is running now (and so cannot be cancelled). */
  running(): boolean {
    if (this.#state === 'PENDING') this.#taken(false);
    return this.#state === 'RUNNING';
  }

  /** Asks the executor's probe whether a worker has taken the call; if so the future is running now. */
  #taken(withdraw: boolean): boolean {
    const prober = this.#prober;
    if (prober === undefined || !prober.probe(this.#task, withdraw)) return false;
    this.#prober = this.#task = undefined;
    this.#state = 'RUNNING';
    return true;
  }

  /** Whether the future was cancelled or has finished. */
  done(): boolean {
    return this.#state !== 'PENDING' && this.#state !== 'RUNNING';
  }

  /**
   * The call's result, once it is done.
   *
   * @throws `CancelledError` (rejection) if the future was cancelled.
   * @throws `TimeoutError` (rejection) if it is not done within `timeout` ms.
   * @throws the call's own error (rejection) if it failed.
   * @throws `signal.reason` (rejection) if the signal aborts first.
   */
  async result(options?: AsyncTimeoutOptions): Promise<T> {
    await this.#waitDone('Future.result()', options);
    return this.#outcome();
  }

  /**
   * The error the call failed with, once it is done; `undefined` if it
   * succeeded. Rejects like {@link result} on cancellation, timeout or abort.
   */
  async exception(options?: AsyncTimeoutOptions): Promise<unknown> {
    await this.#waitDone('Future.exception()', options);
    if (this.cancelled()) throw new CancelledError(`${this} was cancelled`);
    return this.#failed ? this.#value : undefined;
  }

  /**
   * Calls `fn(future)` when the future is done (finished or cancelled), or at
   * once if it already is. Callbacks run in the order they were added; one
   * that throws is reported (see the class) and does not stop the others.
   */
  addDoneCallback(fn: (future: Future<T>) => unknown): void {
    if (typeof fn !== 'function') throw new TypeError(`Future.addDoneCallback(): expected a function, got ${typeName(fn)}`);
    if (this.done()) this.#call(fn);
    else (this.#callbacks ??= []).push(() => this.#call(fn));
  }

  /**
   * For executors (and tests): marks the future running and returns `true`,
   * or, if it was cancelled, records that the cancellation has been seen —
   * waking `wait()` / `asCompleted()` — and returns `false`, meaning "do not
   * run the call".
   *
   * @throws `InvalidStateError` if the future is already running or finished.
   */
  setRunningOrNotifyCancel(): boolean {
    this.#prober = this.#task = undefined;
    if (this.#state === 'CANCELLED') {
      this.#state = 'CANCELLED_AND_NOTIFIED';
      if (this.#waiters !== undefined) for (const waiter of [...this.#waiters]) waiter.addCancelled(this);
      return false;
    }
    if (this.#state === 'PENDING') {
      this.#state = 'RUNNING';
      return true;
    }
    throw new InvalidStateError(`Future in unexpected state: ${this.#state}: ${this}`);
  }

  /**
   * For executors (and tests): finishes the future with `value`, wakes every
   * waiter and runs the done callbacks.
   *
   * @throws `InvalidStateError` if the future is already done (Python 3.8+).
   */
  setResult(value: T): void {
    this.#checkNotDone();
    this.#value = value;
    this.#state = 'FINISHED';
    if (this.#waiters !== undefined) for (const waiter of [...this.#waiters]) waiter.addResult(this);
    this.#wake();
    this.#invokeCallbacks();
  }

  /**
   * For executors (and tests): finishes the future with `error`, wakes every
   * waiter and runs the done callbacks.
   *
   * @throws `InvalidStateError` if the future is already done (Python 3.8+).
   */
  setException(error: unknown): void {
    this.#checkNotDone();
    this.#value = error;
    this.#failed = true;
    this.#state = 'FINISHED';
    if (this.#waiters !== undefined) for (const waiter of [...this.#waiters]) waiter.addException(this);
    this.#wake();
    this.#invokeCallbacks();
  }

  /** Python's repr: `<Future at 0x1 state=finished returned number>`, `… raised RangeError>`. */
  override toString(): string {
    let outcome = '';
    if (this.#state === 'FINISHED') outcome = `${this.#failed ? ' raised' : ' returned'} ${typeName(this.#value)}`;
    let id = ids.get(this);
    if (id === undefined) ids.set(this, (id = nextId++));
    return `<Future at 0x${id.toString(16)} state=${DESCRIPTION[this.#state]}${outcome}>`;
  }

  override get [Symbol.toStringTag](): string {
    return `Future ${DESCRIPTION[this.#state]}`;
  }

  /** `console.log(future)` prints the repr. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #checkNotDone(): void {
    if (this.done()) throw new InvalidStateError(`${this.#state}: ${this}`);
  }

  async #waitDone(what: string, options: AsyncTimeoutOptions | undefined): Promise<void> {
    const deadline = waitDeadline(what, options?.timeout);
    throwIfAborted(options?.signal);
    if (this.done()) return;
    const woken = !expired(deadline) && (await park(deadline, options?.signal, (wake) => this.#subscribe(wake)));
    if (!woken) throw new TimeoutError(`${what}: ${this} is not done after ${options!.timeout} ms`);
  }

  #subscribe(wake: () => void): () => void {
    const wakers = (this.#wakers ??= new Set());
    wakers.add(wake);
    return () => wakers.delete(wake);
  }

  /** The outcome of a done future: its result, or a throw. */
  #outcome(): T {
    if (this.cancelled()) throw new CancelledError(`${this} was cancelled`);
    if (this.#failed) throw this.#value;
    return this.#value as T;
  }

  #wake(): void {
    const resolve = this.#resolve;
    if (resolve !== undefined) {
      this.#resolve = undefined;
      if (this.#state === 'FINISHED' && !this.#failed) resolve(this.#value);
      else {
        // Handled by nobody yet: a future that fails with nobody listening rejects nothing.
        promiseThen.call(this, undefined, ignore);
        resolve(Promise.reject(this.#failed ? this.#value : new CancelledError(`${this} was cancelled`)));
      }
    }
    if (this.#wakers === undefined || this.#wakers.size === 0) return;
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }

  #invokeCallbacks(): void {
    const callbacks = this.#callbacks;
    if (callbacks === undefined) return;
    this.#callbacks = undefined;
    for (const callback of callbacks) callback();
  }

  #call(fn: (future: Future<T>) => unknown): void {
    const report = (error: unknown): void => console.error(`exception calling callback for ${this}`, error);
    try {
      const returned = fn(this);
      if (isThenable(returned)) returned.then(undefined, report);
    } catch (error) {
      report(error);
    }
  }
}
