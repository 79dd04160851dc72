import { acquireDeadline, FOREVER, throwIfAborted } from '../memory/deadline.js';
import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { InvalidStateError } from '../errors.js';
import { HOLDER, LOCK_WORDS } from './layout.js';
import { lockAsync, lockSync, ownerDied, partyOf, setOwnerDied, tryLock, tryLockOrTakeOver, unlock, type Party } from './robust-mutex.js';
import { acquireRestore, acquireRestoreAsync, Hold, isOwned, notAcquired, releaseSave } from './lock-like.js';

const TRUE = Promise.resolve(true);
const FALSE = Promise.resolve(false);

/**
 * A primitive lock: locked or unlocked, owned by nobody in particular — any
 * thread may release it (Python's `threading.Lock`). Its state is one shared
 * word, so passing it to another thread gives that thread the same lock.
 *
 * Not fair: a releasing thread that re-acquires at once may win over a parked
 * waiter, as with Python's lock. An uncontended acquire/release is one CAS
 * and one swap, allocates nothing and never wakes anybody.
 *
 * Robust: the lock records who acquired it. If that party dies holding it —
 * a process killed (even by SIGKILL; a zombie counts as dead), a `Thread` or
 * pool worker that exited — a waiter takes it over instead of waiting
 * forever, and {@link Lock.ownerDied} is `true` until it is released: the
 * data the lock protects may be half updated. (A waiter checks on the holder
 * every 50 ms, and before a non-blocking or timed-out acquire gives up.) This
 * is pthread's robust mutex (`EOWNERDEAD`); Python has no equivalent.
 *
 * @example
 * ```ts
 * import { Lock } from 'weft';
 * const lock = new Lock();
 * await lock.acquire();
 * console.log(lock.locked()); // true
 * console.log(await lock.acquire({ timeout: 10 })); // false: already held
 * lock.release();
 * {
 *   await using held = await lock.hold();
 *   console.log(lock.locked()); // true
 * }
 * console.log(lock.locked()); // false
 * ```
 * @see Python's `threading.Lock`
 */
export class Lock {
  readonly #words: Int32Array;
  readonly #memory: Memory;
  readonly #self: Party;

  constructor() {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, LOCK_WORDS);
    this.#self = partyOf(this.#memory);
  }

  /**
   * Acquires the lock without blocking the event loop. Resolves `true` once
   * acquired, `false` if `timeout` ms passed first or, with `blocking: false`,
   * at once if the lock is taken.
   *
   * @throws TypeError / RangeError for a timeout with `blocking: false`, or a negative timeout.
   * @throws `signal.reason` (rejection) if the signal aborts before the lock is acquired.
   */
  acquire(options?: AsyncBlockingOptions): Promise<boolean> {
    if (options === undefined) {
      return tryLock(this.#words, this.#self) ? TRUE : lockAsync(this.#words, this.#self, FOREVER, undefined);
    }
    try {
      throwIfAborted(options.signal);
      const deadline = acquireDeadline('Lock.acquire()', options);
      if (deadline === undefined) return tryLockOrTakeOver(this.#words, this.#self) ? TRUE : FALSE;
      if (tryLock(this.#words, this.#self)) return TRUE;
      return lockAsync(this.#words, this.#self, deadline, options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Acquires the lock, blocking the calling thread (meant for worker threads;
   * on the main thread it blocks the event loop). Returns `false` on timeout
   * or, with `blocking: false`, if the lock is taken.
   */
  acquireSync(options?: BlockingOptions): boolean {
    if (options === undefined) {
      return tryLock(this.#words, this.#self) || lockSync(this.#words, this.#self, FOREVER);
    }
    const deadline = acquireDeadline('Lock.acquireSync()', options);
    if (deadline === undefined) return tryLockOrTakeOver(this.#words, this.#self);
    return tryLock(this.#words, this.#self) || lockSync(this.#words, this.#self, deadline);
  }

  /**
   * `true` while the lock is held by a party that took it over from a holder
   * that had died holding it (see the class comment) — whatever the dead
   * holder was updating under the lock may be half done: repair it, then
   * release. Release clears it; if the repairer dies too, the next party to
   * take the lock over sees it again. Every handle on the lock reads the same
   * flag.
   *
   * @example
   * ```ts
   * import { Lock } from 'weft';
   * const lock = new Lock();
   * lock.acquireSync();
   * console.log(lock.ownerDied); // false: acquired from a live holder (or a free lock)
   * lock.release();
   * ```
   */
  get ownerDied(): boolean {
    return ownerDied(this.#words);
  }

  /**
   * Releases the lock. Any thread may release it, not only the acquirer.
   *
   * @throws InvalidStateError if the lock is not locked.
   */
  release(): void {
    if (!unlock(this.#words, this.#memory)) {
      throw new InvalidStateError('Lock.release(): the lock is not locked');
    }
  }

  /** Whether the lock is held by anybody. */
  locked(): boolean {
    return Atomics.load(this.#words, HOLDER) !== 0;
  }

  /**
   * Acquires and returns a {@link Hold} for `await using`.
   *
   * @throws TimeoutError if not acquired within `timeout` (or at once with `blocking: false`).
   */
  async hold(options?: AsyncBlockingOptions): Promise<Hold> {
    if (!(await this.acquire(options))) throw notAcquired('Lock.hold()', options);
    return new Hold(() => this.release());
  }

  /**
   * Acquires (blocking) and returns a {@link Hold} for `using`.
   *
   * @throws TimeoutError if not acquired within `timeout` (or at once with `blocking: false`).
   */
  holdSync(options?: BlockingOptions): Hold {
    if (!this.acquireSync(options)) throw notAcquired('Lock.holdSync()', options);
    return new Hold(() => this.release());
  }

  /** @internal Returns whether the holding began with a take-over, for `[acquireRestore]` to carry on. */
  [releaseSave](): boolean {
    const died = this.ownerDied;
    this.release();
    return died;
  }

  /** @internal */
  [acquireRestore](died: boolean): void {
    this.acquireSync();
    if (died) setOwnerDied(this.#words);
  }

  /** @internal */
  async [acquireRestoreAsync](died: boolean): Promise<void> {
    await this.acquire();
    if (died) setOwnerDied(this.#words);
  }

  /** @internal A plain lock has no owner: "owned" means locked by anybody. */
  [isOwned](): boolean {
    return this.locked();
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
  static [revive](words: Int32Array): Lock {
    return constructAttached(words, () => new this());
  }

  get [Symbol.toStringTag](): string {
    return `Lock ${this.locked() ? 'locked' : 'unlocked'}`;
  }
}

registerShareable('Lock', Lock, { module: import.meta.url });
