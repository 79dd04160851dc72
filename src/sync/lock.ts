import { acquireDeadline, FOREVER, throwIfAborted } from '../memory/deadline.js';
import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { InvalidStateError } from '../errors.js';
import { LOCK_WORDS, UNLOCKED } from './layout.js';
import { lockAsync, lockSync, tryLock, unlock } from './mutex-word.js';
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

  constructor() {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, LOCK_WORDS);
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
      return tryLock(this.#words, 0) ? TRUE : lockAsync(this.#words, 0, this.#memory.waiter, FOREVER, undefined);
    }
    try {
      throwIfAborted(options.signal);
      const deadline = acquireDeadline('Lock.acquire()', options);
      if (tryLock(this.#words, 0)) return TRUE;
      if (deadline === undefined) return FALSE;
      return lockAsync(this.#words, 0, this.#memory.waiter, deadline, options.signal);
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
      return tryLock(this.#words, 0) || lockSync(this.#words, 0, this.#memory.waiter, FOREVER);
    }
    const deadline = acquireDeadline('Lock.acquireSync()', options);
    if (tryLock(this.#words, 0)) return true;
    if (deadline === undefined) return false;
    return lockSync(this.#words, 0, this.#memory.waiter, deadline);
  }

  /**
   * Releases the lock. Any thread may release it, not only the acquirer.
   *
   * @throws InvalidStateError if the lock is not locked.
   */
  release(): void {
    if (!unlock(this.#words, 0, this.#memory.waiter)) {
      throw new InvalidStateError('Lock.release(): the lock is not locked');
    }
  }

  /** Whether the lock is held by anybody. */
  locked(): boolean {
    return Atomics.load(this.#words, 0) !== UNLOCKED;
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

  /** @internal */
  [releaseSave](): undefined {
    this.release();
    return undefined;
  }

  /** @internal */
  [acquireRestore](): void {
    this.acquireSync();
  }

  /** @internal */
  async [acquireRestoreAsync](): Promise<void> {
    await this.acquire();
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
