/**
 * The queues' side locks (a ring's putLock and getLock, an ordered store's
 * lock): mutex words that name their holder, so that a party waiting for one
 * notices when the holder's thread died holding it and takes it over.
 *
 * ```
 *  0                  free
 *  owner << 1         held by the thread whose threadId is owner - 1
 *  owner << 1 | 1     held, and a party may be parked on it: release notifies
 * ```
 *
 * Taking a free lock is one CAS that writes the holder's name (0 → owner << 1)
 * and releasing is one swap, as for a plain Lock: naming the holder costs
 * nothing. A waiter parks at most {@link CHECK_MS} at a time and, each time
 * it looks, asks `run/liveness.ts` whether the holder is alive; if it is dead,
 * the waiter swaps its own name in and its caller *recovers*: it repairs
 * whatever the dead holder left half done, from what the holder recorded in
 * the queue's header before each step.
 *
 * Why a dead holder leaves only recoverable states: a thread stops (Worker
 * terminate(), out of memory, process.exit()) only where V8 checks for
 * interrupts — at a function's entry, a loop's back edge, a wait — never
 * between two statements of straight-line code. So every change other
 * parties can see is made by a *commit*: a run of stores and atomic
 * operations in one function, with no call and no loop between its first
 * change and its last, which a dying thread has therefore done all of or
 * none of. Everything before a commit (copying bytes past the ring's tail,
 * decoding an item still in the ring) is invisible until the commit.
 *
 * Owners are threadIds, which name a thread only within one process: a
 * queue shared between processes would need a name that includes the
 * process, and a liveness check for processes.
 */

import { threadId } from 'node:worker_threads';
import { expired } from '../memory/deadline.js';
import type { Procedure } from '../memory/steps.js';
import type { Waiter } from '../memory/waiter.js';
import { isThreadAlive } from '../run/liveness.js';
import { SPINS } from '../sync/layout.js';

/** How thread `id` (a threadId) names itself in a lock word. */
export function ownerName(id: number): number {
  return (id + 1) << 1;
}

/** This thread's name in a lock word (a queue store's default identity; tests give others). */
export const SELF = ownerName(threadId);
/** Longest a waiter sleeps before it looks at the holder again. */
export const CHECK_MS = 50;

/** One attempt; true if the lock was free and is now ours. */
export function tryLockSide(words: Int32Array, index: number, self: number): boolean {
  return Atomics.compareExchange(words, index, 0, self) === 0;
}

/** Releases a lock this thread holds. */
export function unlockSide(words: Int32Array, index: number, waiter: Waiter): void {
  if ((Atomics.exchange(words, index, 0) & 1) !== 0) waiter.notify(words, index, 1);
}

/** Whether `self` holds the lock (an async operation of this thread's own may be holding it). */
export function heldBy(words: Int32Array, index: number, self: number): boolean {
  return Atomics.load(words, index) >> 1 === self >> 1;
}

/** Takes the lock if its holder is dead; true if it is now ours (the caller must recover). */
export function takeOverIfDead(words: Int32Array, index: number, self: number): boolean {
  const word = Atomics.load(words, index);
  return word !== 0 && !isThreadAlive((word >>> 1) - 1) && Atomics.compareExchange(words, index, word, self | 1) === word;
}

/**
 * Takes the lock as a procedure: `true` when it is ours, `'recovered'` when
 * it is ours and was taken over from a dead holder (the caller must repair
 * what the holder left), `false` if `deadline` passed first.
 */
export function* lockSide(words: Int32Array, index: number, deadline: number, self: number): Procedure<boolean | 'recovered'> {
  if (Atomics.compareExchange(words, index, 0, self) === 0) return true;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === 0 && Atomics.compareExchange(words, index, 0, self) === 0) return true;
  }
  for (;;) {
    const word = Atomics.load(words, index);
    if (word === 0) {
      // Others may be parked: take it marked contended, so our release wakes one.
      if (Atomics.compareExchange(words, index, 0, self | 1) === 0) return true;
    } else if (takeOverIfDead(words, index, self)) {
      return 'recovered';
    } else if ((word & 1) !== 0 || Atomics.compareExchange(words, index, word, word | 1) === word) {
      if (expired(deadline)) return false;
      yield { words, index, expected: word | 1, deadline: Math.min(deadline, performance.now() + CHECK_MS) };
    }
  }
}
