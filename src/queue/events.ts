/**
 * The waiting and waking every queue store shares (the frame ring and the
 * ordered store): one event count (layout.ts: WAKE) that every change bumps
 * and every wait parks on, so no change can slip between a party's check and
 * its sleep; the `*Waiters` words say who is parked, so a change only calls
 * notify when somebody may sleep. Also the bookkeeping both stores keep the
 * same way: unfinished tasks, join, "an item is there", the shutdown flag.
 */

import { expired } from '../memory/deadline.js';
import type { Procedure } from '../memory/steps.js';
import type { Waiter } from '../memory/waiter.js';
import { CHECK_MS } from './side-lock.js';
import {
  itemCount, COUNT_WAITERS, JOIN_WAITERS, OPEN, SHUT, SHUT_IMMEDIATE, SHUTDOWN, TASKS, UNFINISHED, WAKE,
} from './layout.js';

export class QueueEvents {
  readonly #words: Int32Array;
  readonly #waiter: Waiter;

  constructor(words: Int32Array, waiter: Waiter) {
    this.#words = words;
    this.#waiter = waiter;
  }

  /** The event count now: read it before checking a condition, then {@link park} on it. */
  seen(): number {
    return Atomics.load(this.#words, WAKE);
  }

  /** Announces a change; wakes the parked if any of `waitersIndex`'s kind wait. */
  signal(waitersIndex: number): void {
    Atomics.add(this.#words, WAKE, 1);
    if (Atomics.load(this.#words, waitersIndex) > 0) this.#waiter.notify(this.#words, WAKE, Infinity);
  }

  /**
   * Wakes the parked if any of the given kinds wait, after a commit bumped
   * the event count itself (see side-lock.ts on commits).
   */
  wakeWaiting(waitersIndex: number, orIndex = waitersIndex): void {
    const words = this.#words;
    if (Atomics.load(words, waitersIndex) > 0 || Atomics.load(words, orIndex) > 0) this.#waiter.notify(words, WAKE, Infinity);
  }

  /** Announces a change to every parked party, whoever it is. */
  wakeAll(): void {
    Atomics.add(this.#words, WAKE, 1);
    this.#waiter.notify(this.#words, WAKE, Infinity);
  }

  /**
   * Sleeps until the event count moves past `seen`, counting itself in
   * `waitersIndex` — or for {@link CHECK_MS} at most: a party that died
   * between a change and its notify never wakes anybody, so every caller
   * re-checks its condition in a loop and sleeps again.
   */
  *park(waitersIndex: number, seen: number, deadline: number, abortable = true): Procedure<void> {
    yield { words: this.#words, index: WAKE, expected: seen, deadline: Math.min(deadline, performance.now() + CHECK_MS), abortable, parked: waitersIndex };
  }

  /** Marks one taken item done; false if more were marked done than were put. */
  taskDone(): boolean {
    const words = this.#words;
    for (let unfinished = Atomics.load(words, UNFINISHED); (unfinished & TASKS) > 0; ) {
      const seen = Atomics.compareExchange(words, UNFINISHED, unfinished, unfinished - 1);
      if (seen === unfinished) {
        if ((unfinished & TASKS) === 1) this.signal(JOIN_WAITERS);
        return true;
      }
      unfinished = seen;
    }
    return false;
  }

  /** Waits until every item put has been marked done; false if `deadline` passes first. */
  *join(deadline: number): Procedure<boolean> {
    const words = this.#words;
    for (let seen = this.seen(); (Atomics.load(words, UNFINISHED) & TASKS) > 0; seen = this.seen()) {
      if (expired(deadline)) return false;
      yield* this.park(JOIN_WAITERS, seen, deadline);
    }
    return true;
  }

  /** Waits until an item is there to take (true), or the queue is shut down and empty or `deadline` passes (false). */
  *readable(deadline: number): Procedure<boolean> {
    const words = this.#words;
    for (;;) {
      const seen = this.seen();
      if (itemCount(words) > 0) return true;
      if (Atomics.load(words, SHUTDOWN) !== OPEN || expired(deadline)) return false;
      yield* this.park(COUNT_WAITERS, seen, deadline);
    }
  }

  /** Raises the shutdown flag (an immediate shutdown stays immediate) and wakes everybody to see it. */
  markShutdown(immediate: boolean): void {
    const words = this.#words;
    Atomics.store(words, SHUTDOWN, immediate ? SHUT_IMMEDIATE : Math.max(Atomics.load(words, SHUTDOWN), SHUT));
    this.wakeAll();
  }
}
