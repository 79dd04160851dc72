import { acquireDeadline, FOREVER, throwIfAborted } from '../memory/deadline.js';
import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { InvalidStateError } from '../errors.js';
import { HOLDER, RLOCK_COUNT, RLOCK_WORDS } from './layout.js';
import {
  holderOf, lockAsync, lockSync, ownerDied, partyOf, setOwnerDied, tryLock, tryLockOrTakeOver, unlock, type Party,
} from './robust-mutex.js';
import { acquireRestore, acquireRestoreAsync, Hold, isOwned, notAcquired, releaseSave } from './lock-like.js';

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);

/** What `[releaseSave]` hands `[acquireRestore]`. */
interface SavedRLock {
  readonly count: number;
  readonly ownerDied: boolean;
}

/**
 * A reentrant lock: the thread that holds it may acquire it again, and must
 * release it as many times (Python's `threading.RLock`).
 *
 * Ownership is per thread, as in Python: async tasks running on the same
 * thread count as the same owner, so an `RLock` does not exclude two async
 * tasks of one thread from each other — use a {@link Lock} for that.
 *
 * Robust, as a {@link Lock} is: if the owning thread or process dies holding
 * it (at any depth), a waiter takes it over at depth 1 and
 * {@link RLock.ownerDied} is `true` until it is free again.
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
  readonly #self: Party;

  constructor() {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, RLOCK_WORDS);
    this.#self = partyOf(this.#memory);
  }

  // The count is written with plain stores: only the holder ever finds its
  // own name in the holder word, and its own writes are always visible to
  // it; the holder word's atomic swap orders them for everyone else.
  #reenter(): boolean {
    if (this.#words[HOLDER]! >>> 1 !== this.#self.name >>> 1) return false;
    this.#words[RLOCK_COUNT]!++;
    return true;
  }

  #own(got: boolean): boolean {
    if (got) this.#words[RLOCK_COUNT] = 1;
    return got;
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
      if (deadline === undefined) return this.#own(tryLockOrTakeOver(this.#words, this.#self)) ? TRUE : FALSE;
      if (this.#own(tryLock(this.#words, this.#self))) return TRUE;
      return lockAsync(this.#words, this.#self, deadline, options?.signal).then((got) => this.#own(got));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Acquires, blocking the calling thread; `false` on timeout. */
  acquireSync(options?: BlockingOptions): boolean {
    const deadline = options === undefined ? FOREVER : acquireDeadline('RLock.acquireSync()', options);
    if (this.#reenter()) return true;
    if (deadline === undefined) return this.#own(tryLockOrTakeOver(this.#words, this.#self));
    return this.#own(tryLock(this.#words, this.#self) || lockSync(this.#words, this.#self, deadline));
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
    unlock(this.#words, this.#memory);
  }

  /** Whether any thread holds the lock. */
  locked(): boolean {
    return Atomics.load(this.#words, HOLDER) !== 0;
  }

  /**
   * `true` while the lock is held by a party that took it over from a holder
   * that died holding it, at whatever depth; cleared when the lock is free
   * again. See {@link Lock.ownerDied}.
   */
  get ownerDied(): boolean {
    return ownerDied(this.#words);
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

  /** @internal Releases every level; returns the depth to restore and whether the holding began with a take-over. */
  [releaseSave](): SavedRLock {
    if (!this[isOwned]()) throw new InvalidStateError('RLock: cannot release un-acquired lock');
    const saved = { count: this.#words[RLOCK_COUNT]!, ownerDied: this.ownerDied };
    this.#words[RLOCK_COUNT] = 0;
    unlock(this.#words, this.#memory);
    return saved;
  }

  /** @internal */
  [acquireRestore](saved: SavedRLock): void {
    if (!tryLock(this.#words, this.#self)) lockSync(this.#words, this.#self, FOREVER);
    this.#restore(saved);
  }

  /** @internal */
  async [acquireRestoreAsync](saved: SavedRLock): Promise<void> {
    if (!tryLock(this.#words, this.#self)) await lockAsync(this.#words, this.#self, FOREVER, undefined);
    this.#restore(saved);
  }

  #restore({ count, ownerDied }: SavedRLock): void {
    this.#words[RLOCK_COUNT] = count;
    if (ownerDied) setOwnerDied(this.#words);
  }

  /** @internal */
  [isOwned](): boolean {
    return this.#words[HOLDER]! >>> 1 === this.#self.name >>> 1;
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
    const holder = holderOf(this.#words);
    return holder === 0 ? 'RLock unlocked' : `RLock locked by ${this.#memory.scope === 'threads' ? `thread ${holder - 1}` : `tid ${holder}`} (depth ${this.#words[RLOCK_COUNT]})`;
  }
}

registerShareable('RLock', RLock, { module: import.meta.url });
