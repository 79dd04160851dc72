/**
 * The processes-scope waiter: futex wait and wake on shared words, reaching
 * every process that maps them (V8's `Atomics.wait` / `notify` keep their
 * sleepers in a per-process list and never wake another process). The
 * contract is {@link Waiter}'s, the same as the threads scope's
 * `atomicsWaiter`; only the mechanism differs:
 *
 * - `wait` blocks the calling thread in the kernel (FUTEX_WAIT);
 * - `waitAsync` hands the wait to the addon's parking thread (one per
 *   process, futex_waitv) and settles when that thread reports, holding the
 *   event loop open meanwhile; an abort settles `'aborted'` at once and the
 *   addon passes on any wake-up the abandoned wait had consumed;
 * - `notify` is FUTEX_WAKE.
 *
 * Never mix this waiter and `Atomics.wait` / `notify` on one word: neither
 * sees the other's sleepers. It works on any shared word (a plain
 * `SharedArrayBuffer` too, within one process), but only words of
 * processes-scope memory reach other processes.
 */

import { remaining } from './deadline.js';
import { native, type NativeAddon } from './native.js';
import type { AsyncWaitOutcome, Waiter, WaitOutcome } from './waiter.js';

const OUTCOMES: readonly WaitOutcome[] = ['ok', 'not-equal', 'timed-out'];
const NOT_EQUAL = -1;
const TIMED_OUT = -2;

const NOT_EQUAL_NOW = Promise.resolve<AsyncWaitOutcome>('not-equal');
const TIMED_OUT_NOW = Promise.resolve<AsyncWaitOutcome>('timed-out');
const ABORTED_NOW = Promise.resolve<AsyncWaitOutcome>('aborted');

/**
 * The settle functions of this thread's parked waits, by id. Kept on the
 * addon's exports object — one per addon instance per thread — because the
 * ids are that instance's: two copies of weft loaded in one thread share them.
 */
const PARKED = Symbol.for('weft.futexWaits');

type Parked = Map<number, (outcome: AsyncWaitOutcome) => void>;

let addon: NativeAddon | undefined;
let parked: Parked | undefined;

function ready(): NativeAddon {
  if (addon !== undefined) return addon;
  const loaded = native() as NativeAddon & { [PARKED]?: Parked };
  let waits = loaded[PARKED];
  if (waits === undefined) {
    const settles: Parked = new Map();
    waits = settles;
    Object.defineProperty(loaded, PARKED, { value: settles });
    loaded.setWaitCallback((results) => {
      for (let i = 0; i < results.length; i += 2) {
        const settle = settles.get(results[i]!);
        if (settle === undefined) continue;
        settles.delete(results[i]!);
        settle(OUTCOMES[results[i + 1]!]!);
      }
    });
  }
  parked = waits;
  return (addon = loaded);
}

/** The processes-scope waiter (see the module comment). */
export const futexWaiter: Waiter = {
  wait(words, index, expected, deadline) {
    return OUTCOMES[ready().wait(words, index, expected, remaining(deadline))]!;
  },

  waitAsync(words, index, expected, deadline, signal) {
    if (signal?.aborted) return ABORTED_NOW;
    const native = ready();
    const id = native.waitAsync(words, index, expected, remaining(deadline));
    if (id === NOT_EQUAL) return NOT_EQUAL_NOW;
    if (id === TIMED_OUT) return TIMED_OUT_NOW;
    const waits = parked!;
    return new Promise<AsyncWaitOutcome>((resolve) => {
      if (signal === undefined) {
        waits.set(id, resolve);
        return;
      }
      const onAbort = (): void => {
        // The addon drops the wait (and its hold on the event loop) and hands
        // on any wake-up it had taken.
        if (!native.cancelWait(id)) return;
        waits.delete(id);
        resolve('aborted');
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waits.set(id, (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      });
    });
  },

  notify(words, index, count) {
    return ready().wake(words, index, count);
  },
};
