/**
 * The mutex protocol on one shared word — the only futex cleverness in
 * `sync/`. It is Drepper's "mutex 2" ("Futexes Are Tricky", 2011):
 *
 *   0 unlocked, 1 locked, 2 locked and a waiter may be parked.
 *
 * Acquire: CAS 0→1; failing that, swap in 2 and park while the word is 2.
 * Release: swap in 0; only if the old state was 2 call notify. So an
 * uncontended acquire/release pair is one CAS and one swap and never notifies.
 */

import type { Waiter } from '../memory/waiter.js';
import { expired } from '../memory/deadline.js';
import { CONTENDED, LOCKED, SPINS, UNLOCKED } from './layout.js';

/** One attempt; true if the word was unlocked and is now ours. */
export function tryLock(words: Int32Array, index: number): boolean {
  return Atomics.compareExchange(words, index, UNLOCKED, LOCKED) === UNLOCKED;
}

function spin(words: Int32Array, index: number): boolean {
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === UNLOCKED && tryLock(words, index)) return true;
  }
  return false;
}

/** Blocks until the word is ours or `deadline` passes. */
export function lockSync(words: Int32Array, index: number, waiter: Waiter, deadline: number): boolean {
  if (spin(words, index)) return true;
  // Once we have swapped in CONTENDED, the holder's release will notify.
  while (Atomics.exchange(words, index, CONTENDED) !== UNLOCKED) {
    if (expired(deadline)) return false;
    waiter.wait(words, index, CONTENDED, deadline);
  }
  return true;
}

/** The same as {@link lockSync} without blocking the event loop. Rejects with the signal's reason on abort. */
export async function lockAsync(
  words: Int32Array,
  index: number,
  waiter: Waiter,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (spin(words, index)) return true;
  while (Atomics.exchange(words, index, CONTENDED) !== UNLOCKED) {
    if (expired(deadline)) return false;
    const outcome = await waiter.waitAsync(words, index, CONTENDED, deadline, signal);
    // The word may stay CONTENDED after we leave: that costs the holder one
    // spare notify, never a lost wake-up.
    if (outcome === 'aborted') throw signal!.reason;
  }
  return true;
}

/** Releases the word; returns false (and changes nothing) if it was not locked. */
export function unlock(words: Int32Array, index: number, waiter: Waiter): boolean {
  const previous = Atomics.exchange(words, index, UNLOCKED);
  if (previous === CONTENDED) waiter.notify(words, index, 1);
  return previous !== UNLOCKED;
}
