import { acquireDeadline, FOREVER, throwIfAborted } from '../memory/deadline.js';
import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { InvalidStateError } from '../errors.js';
import { RLOCK_COUNT, RLOCK_OWNER, RLOCK_STATE, RLOCK_WORDS } from './layout.js';
import { lockAsync, lockSync, tryLock, unlock } from './mutex-word.js';
import { acquireRestore, acquireRestoreAsync, Hold, isOwned, notAcquired, releaseSave } from './lock-like.js';

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);

/**
 * A reentrant lock: the thread that holds it may acquire it again, and must
 * release it as many times (Python's `threading.RLock`).
 *
 * Ownership is per thread, as in Python: async tasks running on the same
 * thread count as the same owner, so an `RLock` does not exclude two async
 * tasks of one thread from each other — use a {@link Lock} for that.
 *
 * @example
 * ```ts
 * import { RLock } from 'weft';
 * const rlock = new RLock();
 * rlock.acquireSync();
 * rlock.acquireSync(); // the owner may re-enter
 * rlock.release();
 * console.log(rlock.locked()); // true: still held once
 * rlock.release();
 * console.log(rlock.locked()); // false
 * ```
 * @see Python's `threading.RLock`
 */
export class RLock {
  readonly #words: Int32Array;
  readonly #memory: Memory;

  constructor() {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, RLOCK_WORDS);
  }

  // The owner word is written with plain stores: only the owning thread ever
  // finds its own id there, and its own writes are always visible to it; the
  // lock word's atomic swap orders them for everyone else.
  #reenter(): boolean {
    if (this.#words[RLOCK_OWNER] !== this.#memory.selfId()) return false;
    this.#words[RLOCK_COUNT]!++;
    return true;
  }

  #own(): void {
    this.#words[RLOCK_OWNER] = this.#memory.selfId();
    this.#words[RLOCK_COUNT] = 1;
  }

  /**
   * Acquires without blocking the event loop; re-entering when this thread
   * already owns it resolves `true` at once. `false` on timeout.
   */
  acquire(options?: AsyncBlockingOptions): Promise<boolean> {
    try {
      throwIfAborted(options?.signal);
      const deadline = options === undefined ? FOREVER : acquireDeadline('RLock.acquire()', options);
      if (this.#reenter()) return TRUE;
      if (tryLock(this.#words, RLOCK_STATE)) {
        this.#own();
        return TRUE;
      }
      if (deadline === undefined) return FALSE;
      return lockAsync(this.#words, RLOCK_STATE, this.#memory.waiter, deadline, options?.signal).then((got) => {
        if (got) this.#own();
        return got;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Acquires, blocking the calling thread; `false` on timeout. */
  acquireSync(options?: BlockingOptions): boolean {
    const deadline = options === undefined ? FOREVER : acquireDeadline('RLock.acquireSync()', options);
    if (this.#reenter()) return true;
    const got =
      tryLock(this.#words, RLOCK_STATE) ||
      (deadline !== undefined && lockSync(this.#words, RLOCK_STATE, this.#memory.waiter, deadline));
    if (got) this.#own();
    return got;
  }

  /**
   * Releases one level; the lock is free when the owner has released as many
   * times as it acquired.
   *
   * @throws InvalidStateError if the calling thread does not own the lock.
   */
  release(): void {
    if (!this[isOwned]()) throw new InvalidStateError('RLock.release(): cannot release un-acquired lock');
    if (--this.#words[RLOCK_COUNT]! > 0) return;
    this.#words[RLOCK_OWNER] = 0;
    unlock(this.#words, RLOCK_STATE, this.#memory.waiter);
  }

  /** Whether any thread holds the lock. */
  locked(): boolean {
    return Atomics.load(this.#words, RLOCK_OWNER) !== 0;
  }

  /** @see Lock.hold */
  async hold(options?: AsyncBlockingOptions): Promise<Hold> {
    if (!(await this.acquire(options))) throw notAcquired('RLock.hold()', options);
    return new Hold(() => this.release());
  }

  /** @see Lock.holdSync */
  holdSync(options?: BlockingOptions): Hold {
    if (!this.acquireSync(options)) throw notAcquired('RLock.holdSync()', options);
    return new Hold(() => this.release());
  }

  /** @internal Releases every level; returns the depth to restore. */
  [releaseSave](): number {
    if (!this[isOwned]()) throw new InvalidStateError('RLock: cannot release un-acquired lock');
    const count = this.#words[RLOCK_COUNT]!;
    this.#words[RLOCK_COUNT] = 0;
    Atomics.store(this.#words, RLOCK_OWNER, 0);
    unlock(this.#words, RLOCK_STATE, this.#memory.waiter);
    return count;
  }

  /** @internal */
  [acquireRestore](count: number): void {
    lockSync(this.#words, RLOCK_STATE, this.#memory.waiter, FOREVER);
    this.#own();
    this.#words[RLOCK_COUNT] = count;
  }

  /** @internal */
  async [acquireRestoreAsync](count: number): Promise<void> {
    await lockAsync(this.#words, RLOCK_STATE, this.#memory.waiter, FOREVER, undefined);
    this.#own();
    this.#words[RLOCK_COUNT] = count;
  }

  /** @internal */
  [isOwned](): boolean {
    return this.#words[RLOCK_OWNER] === this.#memory.selfId();
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
  static [revive](words: Int32Array): RLock {
    return constructAttached(words, () => new this());
  }

  get [Symbol.toStringTag](): string {
    const owner = Atomics.load(this.#words, RLOCK_OWNER);
    return owner === 0 ? 'RLock unlocked' : `RLock locked by thread ${owner - 1} (depth ${this.#words[RLOCK_COUNT]})`;
  }
}

registerShareable('RLock', RLock, { module: import.meta.url });
