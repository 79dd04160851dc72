import { expired, FOREVER, remaining, throwIfAborted, waitDeadline } from '../memory/deadline.js';
import type { AsyncBlockingOptions, AsyncTimeoutOptions, BlockingOptions, TimeoutOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { scopedClass } from '../memory/scoped-classes.js';
import { describe, registerShareable, revive, SCOPE, scopeOf } from '../share/protocol.js';
import { InvalidStateError } from '../errors.js';
import { COND_SEQ, COND_TOKENS, COND_WAITERS, CONDITION_WORDS } from './layout.js';
import { acquireRestore, acquireRestoreAsync, Hold, isOwned, notAcquired, releaseSave, type LockLike } from './lock-like.js';
import { RLock } from './rlock.js';

/**
 * A condition variable (Python's `threading.Condition`): threads wait on it
 * while holding its lock and are woken by `notify` / `notifyAll`.
 *
 * Wake-ups are exact, as in Python: `notify(n)` wakes at most `n` of the
 * threads waiting at that moment, and `wait` never returns `true` without a
 * notify (no spurious wake-ups leak out). Protocol: `notify` grants *tokens*
 * under the lock and bumps a sequence word the waiters park on; a woken waiter
 * re-takes the lock and consumes a token, or parks again if others took them
 * all. Both counters only change under the lock.
 *
 * @example
 * ```ts
 * import { Condition } from 'weft';
 * const cond = new Condition();
 * let ready = false;
 * setTimeout(async () => {
 *   await cond.acquire();
 *   ready = true;
 *   cond.notifyAll();
 *   cond.release();
 * }, 10);
 * await cond.acquire();
 * console.log(await cond.waitFor(() => ready, { timeout: 1000 })); // true
 * cond.release();
 * ```
 * @see Python's `threading.Condition`
 */
export class Condition {
  readonly #words: Int32Array;
  readonly #memory: Memory;
  readonly #lock: LockLike;

  /** @param lock the lock to use; by default a new {@link RLock}, as in Python. */
  constructor(lock?: LockLike) {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, CONDITION_WORDS);
    if (lock !== undefined && (typeof lock !== 'object' || typeof lock[isOwned] !== 'function')) {
      throw new TypeError('Condition(): lock must be a weft Lock or RLock');
    }
    if (lock !== undefined && scopeOf(lock) !== this.#memory.scope) {
      throw new TypeError(`Condition(): a ${this.#memory.scope}-scope condition needs a lock of the same scope`);
    }
    this.#lock = lock ?? new (scopedClass(this.#memory, RLock))();
  }

  /** Acquires the underlying lock. @see Lock.acquire */
  acquire(options?: AsyncBlockingOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /** Acquires the underlying lock, blocking. @see Lock.acquireSync */
  acquireSync(options?: BlockingOptions): boolean {
    return this.#lock.acquireSync(options);
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /** Acquires the underlying lock for `await using`. */
  async hold(options?: AsyncBlockingOptions): Promise<Hold> {
    if (!(await this.#lock.acquire(options))) throw notAcquired('Condition.hold()', options);
    return new Hold(() => this.#lock.release());
  }

  /** Acquires the underlying lock (blocking) for `using`. */
  holdSync(options?: BlockingOptions): Hold {
    if (!this.#lock.acquireSync(options)) throw notAcquired('Condition.holdSync()', options);
    return new Hold(() => this.#lock.release());
  }

  #checkOwned(what: string): void {
    if (!this.#lock[isOwned]()) throw new InvalidStateError(`Condition.${what}: cannot ${what.replace(/\(.*/, '')} on un-acquired lock`);
  }

  /** Takes a granted wake-up if there is one (caller holds the lock). */
  #takeToken(): boolean {
    const words = this.#words;
    if (words[COND_TOKENS]! === 0) return false;
    words[COND_TOKENS]!--;
    return true;
  }

  /** Leaves the waiter set (caller holds the lock), keeping tokens <= waiters. */
  #leave(): void {
    const words = this.#words;
    const waiters = --words[COND_WAITERS]!;
    if (words[COND_TOKENS]! > waiters) words[COND_TOKENS] = waiters;
  }

  /**
   * Releases the lock, blocks until notified or `timeout` ms pass, then
   * re-acquires the lock (always, even on timeout). Returns `false` if it
   * timed out.
   *
   * @throws InvalidStateError if the calling thread does not hold the lock.
   */
  waitSync(options?: TimeoutOptions): boolean {
    this.#checkOwned('waitSync()');
    const deadline = waitDeadline('Condition.waitSync()', options?.timeout);
    const words = this.#words;
    const waiter = this.#memory.waiter;
    words[COND_WAITERS]!++;
    for (;;) {
      const seq = Atomics.load(words, COND_SEQ);
      const saved = this.#lock[releaseSave]();
      waiter.wait(words, COND_SEQ, seq, deadline);
      this.#lock[acquireRestore](saved);
      if (this.#takeToken()) {
        words[COND_WAITERS]!--;
        return true;
      }
      if (expired(deadline)) {
        this.#leave();
        return false;
      }
    }
  }

  /**
   * {@link waitSync} without blocking the event loop.
   *
   * @throws InvalidStateError if the calling thread does not hold the lock.
   * @throws `signal.reason` on abort — after the lock has been re-acquired.
   */
  async wait(options?: AsyncTimeoutOptions): Promise<boolean> {
    this.#checkOwned('wait()');
    throwIfAborted(options?.signal);
    const deadline = waitDeadline('Condition.wait()', options?.timeout);
    const words = this.#words;
    const waiter = this.#memory.waiter;
    words[COND_WAITERS]!++;
    for (;;) {
      const seq = Atomics.load(words, COND_SEQ);
      const saved = this.#lock[releaseSave]();
      const outcome = await waiter.waitAsync(words, COND_SEQ, seq, deadline, options?.signal);
      await this.#lock[acquireRestoreAsync](saved);
      if (this.#takeToken()) {
        words[COND_WAITERS]!--;
        return true;
      }
      if (outcome === 'aborted') {
        this.#leave();
        throw options!.signal!.reason;
      }
      if (expired(deadline)) {
        this.#leave();
        return false;
      }
    }
  }

  /**
   * Waits until `predicate()` is truthy, re-checking after each wake-up;
   * returns the predicate's last value (falsy if `timeout` ms passed first).
   */
  waitForSync<T>(predicate: () => T, options?: TimeoutOptions): T {
    const deadline = waitDeadline('Condition.waitForSync()', options?.timeout);
    let result = predicate();
    while (!result) {
      if (deadline !== FOREVER && expired(deadline)) break;
      this.waitSync({ timeout: remaining(deadline) });
      result = predicate();
    }
    return result;
  }

  /** {@link waitForSync} without blocking the event loop. */
  async waitFor<T>(predicate: () => T, options?: AsyncTimeoutOptions): Promise<T> {
    const deadline = waitDeadline('Condition.waitFor()', options?.timeout);
    let result = predicate();
    while (!result) {
      if (deadline !== FOREVER && expired(deadline)) break;
      await this.wait({ timeout: remaining(deadline), signal: options?.signal });
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` threads waiting on this condition (default 1). Does
   * nothing if none wait.
   *
   * @throws InvalidStateError if the calling thread does not hold the lock.
   */
  notify(n = 1): void {
    this.#checkOwned('notify()');
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Condition.notify(): n must be an integer >= 0, got ${n}`);
    const words = this.#words;
    const grantable = words[COND_WAITERS]! - words[COND_TOKENS]!;
    const k = n < grantable ? n : grantable;
    if (k <= 0) return;
    words[COND_TOKENS]! += k;
    Atomics.add(words, COND_SEQ, 1);
    this.#memory.waiter.notify(words, COND_SEQ, k);
  }

  /** Wakes every thread waiting on this condition. */
  notifyAll(): void {
    this.notify(Math.max(0, this.#words[COND_WAITERS]!));
  }

  get [Symbol.toStringTag](): string {
    return `Condition waiters=${Math.max(0, this.#words[COND_WAITERS]! - this.#words[COND_TOKENS]!)}`;
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /** @internal */
  [describe](): { words: Int32Array; lock: LockLike } {
    return { words: this.#words, lock: this.#lock };
  }

  /** @internal */
  static [revive](data: { words: Int32Array; lock: LockLike }): Condition {
    return constructAttached(data.words, () => new this(data.lock));
  }
}

registerShareable('Condition', Condition, { module: import.meta.url });
