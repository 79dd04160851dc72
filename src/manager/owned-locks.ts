/**
 * The lock-like objects a manager serves, owned by connections: Python's
 * manager runs each connection in its own thread, so an RLock or a
 * Condition belongs to the connection that acquired it. Here the owner is
 * the connection itself, and whatever a connection holds when it closes is
 * let go — a client that dies never leaves a lock held.
 */

import { InvalidStateError } from '../errors.js';
import { remaining, waitDeadline } from '../memory/deadline.js';
import { Lock } from '../sync/lock.js';
import type { Semaphore } from '../sync/semaphore.js';
import type { CallContext } from './type-spec.js';

/** The blocking options a caller may send: `blocking` and `timeout`, nothing else. */
export function options(raw: unknown, context: CallContext): { blocking?: boolean; timeout?: number; signal: AbortSignal } {
  const out: { blocking?: boolean; timeout?: number; signal: AbortSignal } = { signal: context.signal };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object') throw new TypeError(`options must be an object, got ${typeof raw}`);
  const { blocking, timeout } = raw as { blocking?: unknown; timeout?: unknown };
  if (blocking !== undefined) out.blocking = Boolean(blocking);
  if (timeout !== undefined) out.timeout = timeout as number;
  return out;
}

/** A lock that remembers which connection holds it, to release it if that connection goes. */
export class HeldLock {
  readonly lock = new Lock();
  holder: object | undefined;

  async acquire(raw: unknown, context: CallContext): Promise<boolean> {
    const acquired = await this.lock.acquire(options(raw, context));
    if (acquired) {
      this.holder = context.owner;
      context.onClose(this, () => {
        if (this.holder === context.owner) this.release();
      });
    }
    return acquired;
  }

  release(): void {
    this.lock.release();
    this.holder = undefined;
  }
}

/** Python's manager RLock: owned by the connection (a server thread, in Python) that acquired it. */
export class OwnedRLock {
  readonly #lock = new HeldLock();
  #count = 0;

  async acquire(raw: unknown, context: CallContext): Promise<boolean> {
    if (this.#lock.holder === context.owner) {
      this.#count++;
      return true;
    }
    const acquired = await this.#lock.acquire(raw, context);
    if (acquired) this.#count = 1;
    return acquired;
  }

  release(context: CallContext): void {
    this.check(context, 'release');
    if (--this.#count === 0) this.#lock.release();
  }

  locked(): boolean {
    return this.#lock.lock.locked();
  }

  /** @throws InvalidStateError unless the caller's connection holds the lock. */
  check(context: CallContext, what: string): void {
    if (this.#lock.holder !== context.owner) throw new InvalidStateError(`cannot ${what} un-acquired lock`);
  }

  /** Lets go however deep the caller holds it (a Condition's wait); returns the depth. */
  releaseAll(context: CallContext, what: string): number {
    this.check(context, what);
    const depth = this.#count;
    this.#count = 0;
    this.#lock.release();
    return depth;
  }

  /** Takes it back at `depth` after {@link releaseAll}. */
  async restore(depth: number, context: CallContext): Promise<void> {
    await this.#lock.acquire(undefined, context);
    this.#count = depth;
  }
}

/** A semaphore counting each connection's acquisitions, to give them back if it goes. */
export class CountedSemaphore {
  readonly semaphore: Semaphore;
  readonly #held = new Map<object, number>();

  constructor(semaphore: Semaphore) {
    this.semaphore = semaphore;
  }

  async acquire(raw: unknown, context: CallContext): Promise<boolean> {
    const acquired = await this.semaphore.acquire(options(raw, context));
    if (acquired) {
      this.#held.set(context.owner, (this.#held.get(context.owner) ?? 0) + 1);
      context.onClose(this, () => {
        const held = this.#held.get(context.owner) ?? 0;
        this.#held.delete(context.owner);
        if (held > 0) this.semaphore.release(held);
      });
    }
    return acquired;
  }

  release(n: unknown, context: CallContext): void {
    const count = n === undefined ? 1 : (n as number);
    this.semaphore.release(count);
    const held = this.#held.get(context.owner) ?? 0;
    if (held > 0) this.#held.set(context.owner, Math.max(0, held - count));
  }
}


/**
 * Python's manager Condition: its lock is a connection-owned RLock; `wait`
 * lets it go entirely, parks until notified (or the timeout), then takes it
 * back at the same depth.
 */
export class OwnedCondition {
  readonly lock = new OwnedRLock();
  readonly #waiters: (() => void)[] = [];

  async wait(raw: unknown, context: CallContext): Promise<boolean> {
    const timeout = (raw as { timeout?: number } | undefined)?.timeout;
    const deadline = waitDeadline('Condition.wait()', timeout);
    const depth = this.lock.releaseAll(context, 'wait on');
    let notified = false;
    try {
      notified = await new Promise<boolean>((resolve, reject) => {
        const wake = (): void => {
          clearTimeout(timer);
          context.signal.removeEventListener('abort', abort);
          resolve(true);
        };
        const abort = (): void => {
          this.#forget(wake);
          clearTimeout(timer);
          reject(context.signal.reason);
        };
        const timer = Number.isFinite(deadline)
          ? setTimeout(() => {
              this.#forget(wake);
              context.signal.removeEventListener('abort', abort);
              resolve(false);
            }, remaining(deadline))
          : undefined;
        this.#waiters.push(wake);
        context.signal.addEventListener('abort', abort, { once: true });
      });
    } finally {
      if (!context.signal.aborted) await this.lock.restore(depth, context);
    }
    return notified;
  }

  notify(n: unknown, context: CallContext): void {
    this.lock.check(context, 'notify on');
    const count = n === undefined ? 1 : (n as number);
    for (let i = 0; i < count && this.#waiters.length > 0; i++) this.#waiters.shift()!();
  }

  #forget(wake: () => void): void {
    const at = this.#waiters.indexOf(wake);
    if (at >= 0) this.#waiters.splice(at, 1);
  }
}
