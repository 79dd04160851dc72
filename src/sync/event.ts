import { expired, throwIfAborted, waitDeadline } from '../memory/deadline.js';
import type { AsyncTimeoutOptions, TimeoutOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { EVENT_STATE, EVENT_WAITERS, EVENT_WORDS } from './layout.js';

const TRUE = Promise.resolve(true);

/**
 * A flag threads can wait for (Python's `threading.Event`): `set()` wakes
 * every waiter, `clear()` lowers the flag, `wait()` returns at once while it is
 * set.
 *
 * The state word is `generation * 2 + flag`, and `set` bumps the generation.
 * So a waiter woken by a `set` returns `true` even if another thread cleared
 * the flag again before the waiter ran — as in Python, where `wait()` reports
 * the notification, not the flag at return time.
 *
 * @example
 * ```ts
 * import { Event } from 'weft';
 * const started = new Event();
 * setTimeout(() => started.set(), 10);
 * console.log(await started.wait({ timeout: 1000 })); // true
 * started.clear();
 * console.log(await started.wait({ timeout: 10 })); // false
 * ```
 * @see Python's `threading.Event`
 */
export class Event {
  readonly #words: Int32Array;
  readonly #memory: Memory;

  constructor() {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, EVENT_WORDS);
  }

  /** Whether the flag is set. */
  isSet(): boolean {
    return (Atomics.load(this.#words, EVENT_STATE) & 1) === 1;
  }

  /** Sets the flag and wakes every waiter. Setting a set event does nothing. */
  set(): void {
    const words = this.#words;
    let state = Atomics.load(words, EVENT_STATE);
    while ((state & 1) === 0) {
      // Next generation, flag up; the generation wraps harmlessly.
      const seen = Atomics.compareExchange(words, EVENT_STATE, state, ((state + 2) | 1) & 0x7fffffff);
      if (seen === state) {
        if (Atomics.load(words, EVENT_WAITERS) > 0) this.#memory.waiter.notify(words, EVENT_STATE, Infinity);
        return;
      }
      state = seen;
    }
  }

  /** Lowers the flag; later waiters block until the next `set`. */
  clear(): void {
    Atomics.and(this.#words, EVENT_STATE, ~1);
  }

  /**
   * Blocks the calling thread until the flag is set or `timeout` ms pass.
   * Returns `true` if it was set (or was set while waiting), `false` on timeout.
   */
  waitSync(options?: TimeoutOptions): boolean {
    const words = this.#words;
    const state = Atomics.load(words, EVENT_STATE);
    if (state & 1) return true;
    const deadline = waitDeadline('Event.waitSync()', options?.timeout);
    Atomics.add(words, EVENT_WAITERS, 1);
    try {
      for (;;) {
        // Any change of the word while the flag was down is a set.
        if (Atomics.load(words, EVENT_STATE) !== state) return true;
        if (expired(deadline)) return false;
        this.#memory.waiter.wait(words, EVENT_STATE, state, deadline);
      }
    } finally {
      Atomics.sub(words, EVENT_WAITERS, 1);
    }
  }

  /** {@link waitSync} without blocking the event loop. Rejects with `signal.reason` on abort. */
  wait(options?: AsyncTimeoutOptions): Promise<boolean> {
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    const state = Atomics.load(this.#words, EVENT_STATE);
    if (state & 1) return TRUE;
    return this.#waitAsync(state, options);
  }

  async #waitAsync(state: number, options: AsyncTimeoutOptions | undefined): Promise<boolean> {
    const deadline = waitDeadline('Event.wait()', options?.timeout);
    const words = this.#words;
    throwIfAborted(options?.signal);
    Atomics.add(words, EVENT_WAITERS, 1);
    try {
      for (;;) {
        if (Atomics.load(words, EVENT_STATE) !== state) return true;
        if (expired(deadline)) return false;
        const outcome = await this.#memory.waiter.waitAsync(words, EVENT_STATE, state, deadline, options?.signal);
        if (outcome === 'aborted') throw options!.signal!.reason;
      }
    } finally {
      Atomics.sub(words, EVENT_WAITERS, 1);
    }
  }

  get [Symbol.toStringTag](): string {
    return `Event ${this.isSet() ? 'set' : 'unset'}`;
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
  static [revive](words: Int32Array): Event {
    return constructAttached(words, () => new this());
  }
}

registerShareable('Event', Event, { module: import.meta.url });
