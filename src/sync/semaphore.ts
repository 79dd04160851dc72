import { acquireDeadline, expired, FOREVER, throwIfAborted } from '../memory/deadline.js';
import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { SEM_BOUND, SEM_VALUE, SEM_WAITERS, SEMAPHORE_WORDS, SPINS, UNBOUNDED } from './layout.js';
import { Hold, notAcquired } from './lock-like.js';

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);
const MAX_VALUE = 0x7fffffff;

/** Takes one unit if the counter is positive. */
function tryTake(words: Int32Array): boolean {
  let value = Atomics.load(words, SEM_VALUE);
  while (value > 0) {
    const seen = Atomics.compareExchange(words, SEM_VALUE, value, value - 1);
    if (seen === value) return true;
    value = seen;
  }
  return false;
}

function spinTake(words: Int32Array): boolean {
  for (let i = 0; i < SPINS; i++) if (tryTake(words)) return true;
  return false;
}

function checkInitial(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what}: initial value must be an integer, got ${String(value)}`);
  }
  if (value < 0) throw new RangeError(`${what}: initial value must be >= 0, got ${value}`);
  if (value > MAX_VALUE) throw new RangeError(`${what}: initial value must be <= ${MAX_VALUE}, got ${value}`);
}

/**
 * A counting semaphore (Python's `threading.Semaphore`): `acquire` takes one
 * unit, waiting while the counter is zero; `release(n)` adds `n` and wakes up
 * to `n` waiters. Nobody owns a unit — any thread may release.
 *
 * The counter is one shared word; waiters register in a second word before
 * parking, so `release` only calls notify when somebody may be parked.
 *
 * @example
 * ```ts
 * import { Semaphore } from 'weft';
 * const slots = new Semaphore(2);
 * await slots.acquire();
 * await slots.acquire();
 * console.log(await slots.acquire({ timeout: 10 })); // false: both taken
 * slots.release();
 * console.log(slots.value); // 1
 * ```
 * @see Python's `threading.Semaphore`
 */
export class Semaphore {
  readonly #words: Int32Array;
  readonly #memory: Memory;

  /**
   * @param value the initial counter, an integer >= 0 (default 1).
   * @throws RangeError if `value` is negative; TypeError if it is not an integer.
   */
  constructor(value = 1) {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, SEMAPHORE_WORDS, (words) => {
      checkInitial(`${new.target.name}()`, value);
      words[SEM_VALUE] = value;
      words[SEM_BOUND] = this.bounded ? value : UNBOUNDED;
    });
  }

  /** Whether `release` refuses to raise the counter past its initial value. */
  protected get bounded(): boolean {
    return false;
  }

  /** The current counter (a snapshot; others may change it at once). */
  get value(): number {
    return Atomics.load(this.#words, SEM_VALUE);
  }

  #parkSync(deadline: number): boolean {
    const words = this.#words;
    Atomics.add(words, SEM_WAITERS, 1);
    try {
      // Registered as a waiter before re-checking: a release that raced
      // with us either left a unit we take here or will notify us.
      for (;;) {
        if (tryTake(words)) return true;
        if (expired(deadline)) return false;
        this.#memory.waiter.wait(words, SEM_VALUE, 0, deadline);
      }
    } finally {
      Atomics.sub(words, SEM_WAITERS, 1);
    }
  }

  async #parkAsync(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    const words = this.#words;
    Atomics.add(words, SEM_WAITERS, 1);
    try {
      for (;;) {
        if (tryTake(words)) return true;
        if (expired(deadline)) return false;
        const outcome = await this.#memory.waiter.waitAsync(words, SEM_VALUE, 0, deadline, signal);
        if (outcome === 'aborted') throw signal!.reason;
      }
    } finally {
      Atomics.sub(words, SEM_WAITERS, 1);
    }
  }

  /**
   * Takes one unit without blocking the event loop. Resolves `true` once
   * taken; `false` on timeout or, with `blocking: false`, if none is free.
   */
  acquire(options?: AsyncBlockingOptions): Promise<boolean> {
    try {
      throwIfAborted(options?.signal);
      const deadline = options === undefined ? FOREVER : acquireDeadline(`${this.constructor.name}.acquire()`, options);
      if (tryTake(this.#words)) return TRUE;
      if (deadline === undefined) return FALSE;
      if (spinTake(this.#words)) return TRUE;
      return this.#parkAsync(deadline, options?.signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Takes one unit, blocking the calling thread; `false` on timeout. */
  acquireSync(options?: BlockingOptions): boolean {
    const deadline = options === undefined ? FOREVER : acquireDeadline(`${this.constructor.name}.acquireSync()`, options);
    if (tryTake(this.#words)) return true;
    if (deadline === undefined) return false;
    return spinTake(this.#words) || this.#parkSync(deadline);
  }

  /**
   * Adds `n` units (default 1) and wakes up to `n` waiters.
   *
   * @throws RangeError if `n` is not a positive integer, or (BoundedSemaphore)
   *   if the counter would pass its initial value.
   */
  release(n = 1): void {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`${this.constructor.name}.release(): n must be an integer >= 1, got ${n}`);
    }
    const words = this.#words;
    const bound = words[SEM_BOUND]!;
    let value = Atomics.load(words, SEM_VALUE);
    for (;;) {
      const limit = bound === UNBOUNDED ? MAX_VALUE : bound;
      if (value + n > limit) {
        throw new RangeError(
          bound === UNBOUNDED
            ? `${this.constructor.name}.release(): the counter would overflow`
            : `${this.constructor.name}.release(): released too many times (value ${value} + ${n} > initial ${bound})`,
        );
      }
      const seen = Atomics.compareExchange(words, SEM_VALUE, value, value + n);
      if (seen === value) break;
      value = seen;
    }
    if (Atomics.load(words, SEM_WAITERS) > 0) this.#memory.waiter.notify(words, SEM_VALUE, n);
  }

  /** Takes a unit and returns a {@link Hold} that gives it back, for `await using`. */
  async hold(options?: AsyncBlockingOptions): Promise<Hold> {
    if (!(await this.acquire(options))) throw notAcquired(`${this.constructor.name}.hold()`, options);
    return new Hold(() => this.release());
  }

  /** Takes a unit (blocking) and returns a {@link Hold}, for `using`. */
  holdSync(options?: BlockingOptions): Hold {
    if (!this.acquireSync(options)) throw notAcquired(`${this.constructor.name}.holdSync()`, options);
    return new Hold(() => this.release());
  }

  get [Symbol.toStringTag](): string {
    const bound = this.#words[SEM_BOUND]!;
    return `${this.constructor.name} value=${this.value}${bound === UNBOUNDED ? '' : `/${bound}`}`;
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /** @internal */
  [describe](): Int32Array {
    return this.#words;
  }

  /** @internal */
  static [revive](words: Int32Array): Semaphore {
    return constructAttached(words, () => new this());
  }
}

registerShareable('Semaphore', Semaphore, { module: import.meta.url });
