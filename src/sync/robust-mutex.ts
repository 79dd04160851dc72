/**
 * The robust mutex protocol of `Lock` and `RLock`: a mutex word that names
 * its holder, so that a party waiting for it notices when the holder died
 * holding it (a process killed, a worker thread terminated) and takes it
 * over, marked `ownerDied` — pthread's robust mutexes (`EOWNERDEAD`), over
 * the memory interface, so the same code serves every scope.
 *
 * ```
 *  [HOLDER]        0 free | id << 1 | WAITERS     id: the holder's selfId()
 *  [HOLDER_STAMP]  the holder's selfStamp(), or 0 while not known
 *  [OWNER_DIED]    1 while the holding began with a take-over
 * ```
 *
 * Acquire is one CAS writing the holder's name (0 → id << 1) and a plain
 * store of its stamp; release clears the stamp and swaps in 0, notifying only
 * if the WAITERS bit was set (Drepper's "mutex 2" with the holder's name in
 * place of the 1): the uncontended path costs what an anonymous lock's does.
 *
 * A waiter spins, then parks on the word with the WAITERS bit set, waking at
 * least every {@link HOLDER_CHECK_MS}. It asks the memory whether the holder
 * is alive once per such interval of waiting, and before it gives up (a
 * non-blocking or timed-out attempt) — never on a quick handoff between live
 * parties, where the check (a /proc read in the processes scope) would cost
 * more than the handoff.
 *
 * The stamp word is 0 or the stamp of the party named in the holder word,
 * never a stale one: a release clears it before freeing the word, and a
 * take-over clears it (by CAS, so two takers cannot both pass) before taking
 * the word. A stale stamp would make a live holder look like a later process
 * reusing a dead one's id. The one window left: a holder killed between its
 * CAS and its stamp store leaves stamp 0, and is then recognised by its id
 * alone — so a waiter that looks only after a new thread has reused that id
 * waits for the newcomer to end.
 */

import type { Memory } from '../memory/memory.js';
import { expired } from '../memory/deadline.js';
import { HOLDER, HOLDER_CHECK_MS, HOLDER_STAMP, OWNER_DIED, SPINS, WAITERS } from './layout.js';

/** The calling thread as a robust lock names it; one per lock handle (a handle never changes thread). */
export interface Party {
  /** `selfId() << 1`: the holder word while this party holds the lock. */
  readonly name: number;
  readonly stamp: number;
  readonly memory: Memory;
}

export function partyOf(memory: Memory): Party {
  return { name: memory.selfId() << 1, stamp: memory.selfStamp(), memory };
}

/** One attempt at a free lock; true if it is now ours. Does not look at the holder. */
export function tryLock(words: Int32Array, self: Party): boolean {
  if (Atomics.compareExchange(words, HOLDER, 0, self.name) !== 0) return false;
  words[HOLDER_STAMP] = self.stamp;
  return true;
}

/**
 * Takes the lock if its holder (`word`, read just before) is dead; true if
 * it is now ours, with `OWNER_DIED` set.
 */
function takeOverIfDead(words: Int32Array, word: number, self: Party): boolean {
  const stamp = Atomics.load(words, HOLDER_STAMP);
  // The stamp read is the holder's only if the holder did not change meanwhile.
  if (Atomics.load(words, HOLDER) !== word || self.memory.isAlive(word >>> 1, stamp)) return false;
  if (Atomics.compareExchange(words, HOLDER_STAMP, stamp, 0) !== stamp) return false;
  // Marked: parties may be parked, and our release must wake one.
  if (Atomics.compareExchange(words, HOLDER, word, self.name | WAITERS) !== word) return false;
  words[HOLDER_STAMP] = self.stamp;
  Atomics.store(words, OWNER_DIED, 1);
  return true;
}

const TAKEN = -1;
const RETRY = 0;

/**
 * One look at a held or contended lock: {@link TAKEN} if it is now ours,
 * {@link RETRY} to look again at once, otherwise the (marked) word to park on.
 * With `check`, a dead holder's lock is taken over.
 */
function look(words: Int32Array, self: Party, check: boolean): number {
  const word = Atomics.load(words, HOLDER);
  if (word === 0) {
    // Others may be parked: take it marked, so that our release wakes one.
    if (Atomics.compareExchange(words, HOLDER, 0, self.name | WAITERS) !== 0) return RETRY;
    words[HOLDER_STAMP] = self.stamp;
    return TAKEN;
  }
  if (check && takeOverIfDead(words, word, self)) return TAKEN;
  if ((word & WAITERS) !== 0) return word;
  return Atomics.compareExchange(words, HOLDER, word, word | WAITERS) === word ? word | WAITERS : RETRY;
}

function spin(words: Int32Array, self: Party): boolean {
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, HOLDER) === 0 && tryLock(words, self)) return true;
  }
  return false;
}

/** A non-blocking attempt that also takes the lock over from a dead holder. */
export function tryLockOrTakeOver(words: Int32Array, self: Party): boolean {
  if (tryLock(words, self)) return true;
  for (;;) {
    const outcome = look(words, self, true);
    if (outcome !== RETRY) return outcome === TAKEN;
  }
}

/**
 * The wait loop, written once for {@link lockSync} and {@link lockAsync}:
 * yields the word to park on and until when; resumed after the wait.
 */
function* waits(words: Int32Array, self: Party, deadline: number): Generator<{ expected: number; until: number }, boolean> {
  if (spin(words, self)) return true;
  let checkAt = performance.now() + HOLDER_CHECK_MS;
  for (;;) {
    const now = performance.now();
    const giveUp = expired(deadline);
    const outcome = look(words, self, giveUp || now >= checkAt);
    if (outcome === TAKEN) return true;
    if (outcome === RETRY) continue;
    if (giveUp) return false;
    if (now >= checkAt) checkAt = now + HOLDER_CHECK_MS;
    yield { expected: outcome, until: Math.min(deadline, checkAt) };
  }
}

/** Blocks until the lock is ours (taken over, if its holder died) or `deadline` passes. */
export function lockSync(words: Int32Array, self: Party, deadline: number): boolean {
  const steps = waits(words, self, deadline);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    self.memory.waiter.wait(words, HOLDER, step.value.expected, step.value.until);
  }
}

/** The same as {@link lockSync} without blocking the event loop. Rejects with the signal's reason on abort. */
export async function lockAsync(words: Int32Array, self: Party, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
  const steps = waits(words, self, deadline);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    // The word may stay marked after we leave: that costs the holder one
    // spare notify, never a lost wake-up.
    const outcome = await self.memory.waiter.waitAsync(words, HOLDER, step.value.expected, step.value.until, signal);
    if (outcome === 'aborted') throw signal!.reason;
  }
}

/** Releases the lock; returns false (and changes nothing) if it was not locked. */
export function unlock(words: Int32Array, memory: Memory): boolean {
  // Both words are 0 already if the lock is free (no check first: it would
  // cost the uncontended pair a measurable part of its time).
  words[HOLDER_STAMP] = 0;
  words[OWNER_DIED] = 0;
  const previous = Atomics.exchange(words, HOLDER, 0);
  if ((previous & WAITERS) !== 0) memory.waiter.notify(words, HOLDER, 1);
  return previous !== 0;
}

/** The holder's selfId(), or 0 when free. */
export function holderOf(words: Int32Array): number {
  return Atomics.load(words, HOLDER) >>> 1;
}

/** Whether the current holding began by taking the lock over from a dead holder. */
export function ownerDied(words: Int32Array): boolean {
  return Atomics.load(words, OWNER_DIED) !== 0;
}

/** Marks the current holding as begun with a take-over (a Condition restoring the lock's state). */
export function setOwnerDied(words: Int32Array): void {
  Atomics.store(words, OWNER_DIED, 1);
}
