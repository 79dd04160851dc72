/**
 * The queues' side locks (a ring's putLock and getLock, an ordered store's
 * lock): mutex words that name their holder, so that a party waiting for one
 * notices when the holder's thread died holding it and takes it over.
 *
 * ```
 *  0                  free
 *  owner << 1         held by the party whose memory selfId() is owner
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
 * Owners are named by their memory's `selfId()`: in the threads scope a
 * threadId (liveness from `run/liveness.ts`), in the processes scope the
 * kernel thread id, unique host-wide (liveness from the kernel:
 * `memory/process-liveness.ts`). Kernel ids are reused (pid_max may be
 * 32768), so a processes-scope holder also writes a *stamp* — its start
 * time (the memory's selfStamp()) — in the word {@link STAMP} words after the lock
 * word: a holder whose id now belongs to a thread that started at another
 * time is dead. The stamp is written just after the lock is taken and
 * cleared just before it is released (and by a party about to take it over),
 * so a stamp never belongs to another holder than the word names; 0 (not
 * written yet, or the holder died between the two stores) means "unknown",
 * and the waiter falls back to whether the id is alive at all.
 *
 * A process killed outright (SIGKILL) stops anywhere, even inside a commit;
 * see ring.ts on how its commits survive that.
 */

import { threadId } from 'node:worker_threads';
import { expired } from '../memory/deadline.js';
import { threadsMemory, type Memory } from '../memory/memory.js';
import type { Procedure } from '../memory/steps.js';
import type { Waiter } from '../memory/waiter.js';
import { SPINS } from '../sync/layout.js';

/** A lock's stamp word sits this many words after the lock word (layout.ts). */
export const STAMP = 3;

/** Who takes side locks, and how a waiter tells whether a holder still lives. */
export interface SideOwner {
  /** This party's name in a lock word (even, nonzero). */
  readonly name: number;
  /** What this party writes in the stamp word; 0: none (the threads scope). */
  readonly stamp: number;
  /** Whether the holder named `name`, whose stamp reads `stamp` (0: unknown), may still run. */
  alive(name: number, stamp: number): boolean;
}

/** How thread `id` (a threadId) names itself in a lock word. */
export function ownerName(id: number): number {
  return (id + 1) << 1;
}

/** A threads-scope owner named `name` (tests play other threads with it). */
export function threadOwner(name: number): SideOwner {
  return { name, stamp: 0, alive: (holder) => threadsMemory.isAlive(holder >>> 1, 0) };
}

/** This thread as a threads-scope owner. */
export const SELF: SideOwner = threadOwner(ownerName(threadId));

/** The calling thread as a side-lock owner in `memory`'s scope: named by its selfId(), stamped with its selfStamp(). */
export function sideOwner(memory: Memory): SideOwner {
  if (memory.scope === 'threads') return SELF;
  return { name: memory.selfId() << 1, stamp: memory.selfStamp(), alive: (holder, stamp) => memory.isAlive(holder >>> 1, stamp) };
}

/** Longest a waiter sleeps before it looks at the holder again. */
export const CHECK_MS = 50;

/** One attempt; true if the lock was free and is now ours. */
export function tryLockSide(words: Int32Array, index: number, self: SideOwner): boolean {
  if (Atomics.compareExchange(words, index, 0, self.name) !== 0) return false;
  if (self.stamp !== 0) Atomics.store(words, index + STAMP, self.stamp);
  return true;
}

/** Releases a lock this thread holds. */
export function unlockSide(words: Int32Array, index: number, waiter: Waiter): void {
  if (words[index + STAMP] !== 0) Atomics.store(words, index + STAMP, 0);
  if ((Atomics.exchange(words, index, 0) & 1) !== 0) waiter.notify(words, index, 1);
}

/** Whether `self` holds the lock (an async operation of this thread's own may be holding it). */
export function heldBy(words: Int32Array, index: number, self: SideOwner): boolean {
  return Atomics.load(words, index) >> 1 === self.name >> 1;
}

/** Takes the lock if its holder is dead; true if it is now ours (the caller must recover). */
export function takeOverIfDead(words: Int32Array, index: number, self: SideOwner): boolean {
  const word = Atomics.load(words, index);
  if (word === 0 || self.alive(word & ~1, Atomics.load(words, index + STAMP))) return false;
  // Cleared first, so that between our take-over and our own stamp nobody reads the dead one's.
  Atomics.store(words, index + STAMP, 0);
  if (Atomics.compareExchange(words, index, word, self.name | 1) !== word) return false;
  if (self.stamp !== 0) Atomics.store(words, index + STAMP, self.stamp);
  return true;
}

/**
 * Takes the lock as a procedure: `true` when it is ours, `'recovered'` when
 * it is ours and was taken over from a dead holder (the caller must repair
 * what the holder left), `false` if `deadline` passed first.
 */
export function* lockSide(words: Int32Array, index: number, deadline: number, self: SideOwner): Procedure<boolean | 'recovered'> {
  if (tryLockSide(words, index, self)) return true;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === 0 && tryLockSide(words, index, self)) return true;
  }
  for (;;) {
    const word = Atomics.load(words, index);
    if (word === 0) {
      // Others may be parked: take it marked contended, so our release wakes one.
      if (Atomics.compareExchange(words, index, 0, self.name | 1) === 0) {
        if (self.stamp !== 0) Atomics.store(words, index + STAMP, self.stamp);
        return true;
      }
    } else if (takeOverIfDead(words, index, self)) {
      return 'recovered';
    } else if ((word & 1) !== 0 || Atomics.compareExchange(words, index, word, word | 1) === word) {
      if (expired(deadline)) return false;
      yield { words, index, expected: word | 1, deadline: Math.min(deadline, performance.now() + CHECK_MS) };
    }
  }
}
