/**
 * What `Condition` needs from its lock, and the disposable holds every lock
 * hands out. `Lock` and `RLock` implement this; so can any user lock.
 */

import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { TimeoutError } from '../errors.js';

/** Fully releases a lock the caller owns; returns what `[acquireRestore]` needs to undo it. */
export const releaseSave: unique symbol = Symbol.for('weft.releaseSave');
/** Re-acquires after `[releaseSave]`, restoring its state (an RLock's depth), blocking. */
export const acquireRestore: unique symbol = Symbol.for('weft.acquireRestore');
/** The same without blocking the event loop. */
export const acquireRestoreAsync: unique symbol = Symbol.for('weft.acquireRestoreAsync');
/** Whether the calling thread owns the lock (for a plain Lock: whether it is locked at all). */
export const isOwned: unique symbol = Symbol.for('weft.isOwned');

/** A lock a `Condition` can wait on. */
export interface LockLike {
  acquire(options?: AsyncBlockingOptions): Promise<boolean>;
  acquireSync(options?: BlockingOptions): boolean;
  release(): void;
  [releaseSave](): unknown;
  [acquireRestore](state: unknown): void;
  [acquireRestoreAsync](state: unknown): Promise<void>;
  [isOwned](): boolean;
}

/**
 * An acquired lock (or semaphore slot) that releases itself when disposed:
 * `using held = lock.holdSync()` / `await using held = await lock.hold()`.
 * Disposing twice releases once.
 */
export class Hold implements Disposable, AsyncDisposable {
  #release: (() => void) | undefined;

  /** @internal */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Whether the hold has not been released yet. */
  get held(): boolean {
    return this.#release !== undefined;
  }

  /** Releases now; later calls and disposal do nothing. */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

/** The error a `hold()` that could not acquire throws. */
export function notAcquired(what: string, options: BlockingOptions | undefined): TimeoutError {
  return options?.blocking === false
    ? new TimeoutError(`${what}: not acquired (non-blocking call and it was taken)`)
    : new TimeoutError(`${what}: not acquired within ${options?.timeout} ms`);
}
