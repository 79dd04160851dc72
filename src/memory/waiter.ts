/**
 * The waiter interface: how a thread sleeps until a shared 32-bit word
 * changes, and how it wakes sleepers. Every primitive in `sync/` is written
 * against this interface and an `Int32Array` view on shared words, so the same
 * primitive code runs over `Atomics` (threads scope) or a native futex
 * (processes scope).
 *
 * The contract is the futex contract: `wait` parks only if the word still holds
 * `expected`; it may return early (`'ok'` after any `notify`, or spuriously),
 * so callers re-check their condition in a loop. A waker changes the word
 * first, then calls `notify` — never the other way round.
 */

import { hold, release } from './keep-alive.js';
import { FOREVER } from './deadline.js';

/** How a wait ended. */
export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/** How an async wait ended; `'aborted'` when its signal fired first. */
export type AsyncWaitOutcome = WaitOutcome | 'aborted';

export interface Waiter {
  /** Blocks the calling thread while `words[index] === expected`, until notified or `deadline`. */
  wait(words: Int32Array, index: number, expected: number, deadline: number): WaitOutcome;
  /**
   * The same without blocking the event loop. Holds the loop open while
   * parked. On abort it settles `'aborted'` at once; a notification that the
   * abandoned wait later consumes is passed on to the next waiter, so an abort
   * never swallows a wake-up meant for someone else.
   */
  waitAsync(
    words: Int32Array,
    index: number,
    expected: number,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<AsyncWaitOutcome>;
  /** Wakes up to `count` waiters parked on `words[index]`; returns how many woke. */
  notify(words: Int32Array, index: number, count: number): number;
}

function timeoutOf(deadline: number): number {
  if (deadline === FOREVER) return Infinity;
  const left = deadline - performance.now();
  return left > 0 ? left : 0;
}

const NOT_EQUAL = Promise.resolve<AsyncWaitOutcome>('not-equal');
const TIMED_OUT = Promise.resolve<AsyncWaitOutcome>('timed-out');
const ABORTED = Promise.resolve<AsyncWaitOutcome>('aborted');

/** The threads-scope waiter: V8's `Atomics.wait` / `waitAsync` / `notify`. */
export const atomicsWaiter: Waiter = {
  wait(words, index, expected, deadline) {
    return Atomics.wait(words, index, expected, timeoutOf(deadline));
  },

  waitAsync(words, index, expected, deadline, signal) {
    if (signal?.aborted) return ABORTED;
    const parked = Atomics.waitAsync(words, index, expected, timeoutOf(deadline));
    if (!parked.async) return parked.value === 'not-equal' ? NOT_EQUAL : TIMED_OUT;
    hold();
    if (signal === undefined) {
      return parked.value.then((outcome) => {
        release();
        return outcome;
      });
    }
    return new Promise<AsyncWaitOutcome>((resolve) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        release();
        resolve('aborted');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      parked.value.then((outcome) => {
        if (settled) {
          // This wait was abandoned but still consumed a wake-up: pass it on.
          if (outcome === 'ok') Atomics.notify(words, index, 1);
          return;
        }
        settled = true;
        signal.removeEventListener('abort', onAbort);
        release();
        resolve(outcome);
      });
    });
  },

  notify(words, index, count) {
    return Atomics.notify(words, index, count);
  },
};
