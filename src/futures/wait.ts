import { TimeoutError } from '../errors.js';
import { expired, throwIfAborted, waitDeadline } from '../memory/deadline.js';
import type { AsyncTimeoutOptions } from '../memory/deadline.js';
import { Future, internals, park, type Waiter } from './future.js';

/**
 * `wait()` returns as soon as any future finishes or is cancelled.
 *
 * @example
 * ```ts
 * import { Future, wait, FIRST_COMPLETED } from 'weft';
 * const fast = new Future<string>();
 * const slow = new Future<string>();
 * setTimeout(() => fast.setResult('fast'), 10);
 * const { done, notDone } = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 * console.log(done.has(fast), notDone.has(slow)); // true true
 * ```
 */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';

/**
 * `wait()` returns as soon as any future finishes by raising an exception,
 * or when all are done. A cancelled future is done but raised nothing.
 *
 * @example
 * ```ts
 * import { Future, wait, FIRST_EXCEPTION } from 'weft';
 * const ok = new Future<number>();
 * const failing = new Future<number>();
 * const running = new Future<number>();
 * ok.setResult(1);
 * setTimeout(() => failing.setException(new RangeError('out of range')), 10);
 * const { done, notDone } = await wait([ok, failing, running], { returnWhen: FIRST_EXCEPTION });
 * console.log(done.size, notDone.has(running)); // 2 true
 * ```
 */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';

/**
 * `wait()` returns when every future is done (the default).
 *
 * @example
 * ```ts
 * import { Future, wait, ALL_COMPLETED } from 'weft';
 * const futures = [new Future<number>(), new Future<number>()];
 * futures.forEach((f, i) => setTimeout(() => f.setResult(i), 5 * i));
 * const { done } = await wait(futures, { returnWhen: ALL_COMPLETED });
 * console.log(done.size); // 2
 * ```
 */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/** When `wait()` returns: {@link FIRST_COMPLETED}, {@link FIRST_EXCEPTION} or {@link ALL_COMPLETED}. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@link wait}. */
export interface WaitOptions extends AsyncTimeoutOptions {
  /** When to return. Default {@link ALL_COMPLETED}. */
  returnWhen?: ReturnWhen;
}

/** What {@link wait} resolves to (Python's `DoneAndNotDoneFutures`). */
export interface DoneAndNotDoneFutures<F> {
  /** The futures that finished or were cancelled (and noticed by their executor). */
  done: Set<F>;
  /** The others. */
  notDone: Set<F>;
}

type Policy = ReturnWhen | 'AS_COMPLETED';

/** Finished, as `wait()` and `asCompleted()` count it: a cancellation counts once its executor has noticed it. */
function isFinished(future: Future<unknown>): boolean {
  const state = internals.state(future);
  return state === 'FINISHED' || state === 'CANCELLED_AND_NOTIFIED';
}

/**
 * Collects the futures that finish while installed and fires once its policy
 * is met: at the first completion (FIRST_COMPLETED, AS_COMPLETED), the first
 * exception or the last completion (FIRST_EXCEPTION), the last completion
 * (ALL_COMPLETED). Python's `_Waiter` subclasses in one.
 */
class Collector implements Waiter {
  finished: Future<unknown>[] = [];
  #fired = false;
  #wake: (() => void) | undefined;
  #pending: number;
  readonly #policy: Policy;

  constructor(policy: Policy, pending: number) {
    this.#policy = policy;
    this.#pending = pending;
  }

  get fired(): boolean {
    return this.#fired;
  }

  addResult(future: Future<unknown>): void {
    this.#add(future, false);
  }

  addException(future: Future<unknown>): void {
    this.#add(future, this.#policy === FIRST_EXCEPTION);
  }

  addCancelled(future: Future<unknown>): void {
    this.#add(future, false);
  }

  /** Calls `wake` when the policy is met (at once if it already is); returns the unsubscribe. */
  subscribe(wake: () => void): () => void {
    if (this.#fired) wake();
    else this.#wake = wake;
    return () => (this.#wake = undefined);
  }

  /** For asCompleted: takes the futures finished since the last take, in finishing order. */
  take(): Future<unknown>[] {
    const finished = this.finished;
    this.finished = [];
    this.#fired = false;
    return finished;
  }

  #add(future: Future<unknown>, stop: boolean): void {
    this.finished.push(future);
    const counts = this.#policy === ALL_COMPLETED || this.#policy === FIRST_EXCEPTION;
    if (stop || !counts || --this.#pending === 0) {
      this.#fired = true;
      this.#wake?.();
    }
  }
}

function uniqueFutures<F extends Future<unknown>>(what: string, futures: Iterable<F>): Set<F> {
  const unique = new Set(futures);
  for (const future of unique) {
    if (!(future instanceof Future)) throw new TypeError(`${what}: expected Futures, got ${String(future)}`);
  }
  return unique;
}

/**
 * Waits until the futures are done as `returnWhen` says, or `timeout` ms
 * pass, and resolves to the futures that are done and those that are not
 * (duplicates counted once). A timeout does not throw: it resolves to what is
 * done by then. Python's rules: {@link FIRST_COMPLETED} returns at once if any
 * is already done; {@link FIRST_EXCEPTION} at once if a done one raised; a
 * future whose cancellation its executor has not yet noticed (see
 * {@link Future.setRunningOrNotifyCancel}) is still waited for.
 *
 * @throws `TypeError` for a `returnWhen` that is not one of the three, or an item that is not a {@link Future}.
 * @throws `signal.reason` (rejection) if the signal aborts first.
 * @example
 * ```ts
 * import { Future, wait } from 'weft';
 * const a = new Future<number>();
 * const b = new Future<number>();
 * setTimeout(() => a.setResult(1), 5);
 * const { done, notDone } = await wait([a, b], { timeout: 50 });
 * console.log(done.has(a), notDone.has(b)); // true true: the timeout returns what is done
 * ```
 * @see Python's `concurrent.futures.wait`
 */
export async function wait<F extends Future<unknown>>(futures: Iterable<F>, options?: WaitOptions): Promise<DoneAndNotDoneFutures<F>> {
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  if (returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED) {
    throw new TypeError(`wait(): returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${String(returnWhen)}`);
  }
  const deadline = waitDeadline('wait()', options?.timeout);
  const fs = uniqueFutures('wait()', futures);
  throwIfAborted(options?.signal);

  const done = new Set([...fs].filter(isFinished));
  const notDone = (): Set<F> => new Set([...fs].filter((future) => !done.has(future)));
  if (done.size === fs.size) return { done, notDone: notDone() };
  if (returnWhen === FIRST_COMPLETED && done.size > 0) return { done, notDone: notDone() };
  if (returnWhen === FIRST_EXCEPTION && [...done].some((future) => internals.failed(future))) return { done, notDone: notDone() };

  const pending = [...fs].filter((future) => !done.has(future));
  const collector = new Collector(returnWhen, pending.length);
  for (const future of pending) internals.addWaiter(future, collector);
  try {
    if (!expired(deadline)) await park(deadline, options?.signal, (wake) => collector.subscribe(wake));
  } finally {
    for (const future of pending) internals.removeWaiter(future, collector);
  }
  // Everything that finished before this line ran counts, as in Python.
  for (const future of collector.finished) done.add(future as F);
  return { done, notDone: notDone() };
}

/** One step of {@link asCompleted}: a future that has completed, and where it was in the futures given. */
export interface Completion<F> {
  /** The future, done. */
  readonly future: F;
  /** Its position in the iterable given to `asCompleted` (first occurrence; duplicates are dropped). */
  readonly index: number;
}

/**
 * Yields the futures as they complete (finish, or are cancelled and noticed),
 * each once: those already done first, in the order given, then each as it
 * completes. Waiting never polls; breaking out of the loop unhooks it from
 * the futures, and it holds no reference to a future it has yielded.
 *
 * Each step is `{ future, index }` rather than the bare future, because a
 * future is thenable: an async iterator cannot hand one over without it being
 * awaited (an async generator's `yield` awaits it, and TypeScript types
 * `for await` as if every value were awaited), which would give its result
 * instead of the future. Destructure: `for await (const { future } of …)`.
 *
 * With a `timeout` (ms, counted from the call), a `next()` that finds nothing
 * completed once it has passed throws `TimeoutError` saying how many futures
 * are unfinished, like Python: `2 (of 4) futures unfinished`.
 *
 * @throws `TypeError` (at once) for an item that is not a {@link Future}.
 * @throws `TimeoutError` from `next()` once `timeout` ms have passed.
 * @throws `signal.reason` from `next()` if the signal aborts while it waits.
 * @example
 * ```ts
 * import { Future, asCompleted } from 'weft';
 * const slow = new Future<string>();
 * const fast = new Future<string>();
 * const ready = new Future<string>();
 * ready.setResult('ready');
 * setTimeout(() => slow.setResult('slow'), 20);
 * setTimeout(() => fast.setResult('fast'), 5);
 * const order: string[] = [];
 * for await (const { future, index } of asCompleted([slow, fast, ready, fast])) {
 *   order.push(`${index}=${await future}`);
 * }
 * console.log(order.join(' ')); // 2=ready 1=fast 0=slow
 * ```
 * @see Python's `concurrent.futures.as_completed`
 */
export function asCompleted<F extends Future<unknown>>(futures: Iterable<F>, options?: AsyncTimeoutOptions): AsyncGenerator<Completion<F>, void, undefined> {
  const deadline = waitDeadline('asCompleted()', options?.timeout);
  const indexes = new Map<F, number>();
  for (const future of uniqueFutures('asCompleted()', futures)) indexes.set(future, indexes.size);
  return completions(indexes, deadline, options?.signal);
}

async function* completions<F extends Future<unknown>>(
  indexes: Map<F, number>,
  deadline: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Completion<F>, void, undefined> {
  // No future may sit in a variable of this frame while it is suspended (a
  // generator keeps its variables): loops over futures live in the helpers.
  // This body runs at the first next(), as Python's generator does, so an
  // iterator never used hooks nothing.
  const total = indexes.size;
  const collector = new Collector('AS_COMPLETED', 0);
  const pending = hook(indexes, collector);
  // Completed, not yet yielded, taken from the end: the already done first, in the order given.
  let batch = [...indexes.keys()].filter((future) => !pending.has(future)).reverse();
  try {
    for (;;) {
      while (batch.length > 0) yield forget(batch, indexes, pending, collector);
      if (pending.size === 0) return;
      if (!collector.fired) {
        if (expired(deadline)) throw new TimeoutError(`${pending.size} (of ${total}) futures unfinished`);
        throwIfAborted(signal);
        await park(deadline, signal, (wake) => collector.subscribe(wake));
      }
      batch = collector.take().reverse() as F[];
    }
  } finally {
    // A finished iterator lets go of every future, yielded or not.
    unhook(pending, collector);
    indexes.clear();
    batch = [];
  }
}

/** Installs `collector` on the futures not yet finished; returns them. */
function hook<F extends Future<unknown>>(indexes: Map<F, number>, collector: Collector): Set<F> {
  const pending = new Set<F>();
  for (const future of indexes.keys()) {
    if (isFinished(future)) continue;
    pending.add(future);
    internals.addWaiter(future, collector);
  }
  return pending;
}

function unhook<F extends Future<unknown>>(pending: Set<F>, collector: Collector): void {
  for (const future of pending) internals.removeWaiter(future, collector);
  pending.clear();
}

/** The step for the last future of `batch`, after dropping every reference to it, so a consumer that drops it lets it be collected. */
function forget<F extends Future<unknown>>(batch: F[], indexes: Map<F, number>, pending: Set<F>, collector: Collector): Completion<F> {
  const future = batch.pop()!;
  const index = indexes.get(future)!;
  indexes.delete(future);
  pending.delete(future);
  internals.removeWaiter(future, collector);
  return { future, index };
}
