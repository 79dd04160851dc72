/**
 * Blocking procedures written once, run sync or async.
 *
 * A procedure that may block (a queue's put, say) is a generator that yields
 * a {@link Park} each time it must wait for a shared word to change, and is
 * resumed with how the wait ended. {@link runSync} parks with the blocking
 * waiter; {@link runAsync} with the async one, and on abort throws the
 * signal's reason *into* the generator, so its `finally` blocks undo whatever
 * it had taken. Either way the procedure's code — and its invariants — exist
 * once.
 */

import type { AsyncWaitOutcome, Waiter, WaitOutcome } from './waiter.js';
import { expired } from './deadline.js';
import { CONTENDED, LOCKED, SPINS, UNLOCKED } from '../sync/layout.js';

/** A request to sleep while `words[index] === expected`, until `deadline`. */
export interface Park {
  readonly words: Int32Array;
  readonly index: number;
  readonly expected: number;
  readonly deadline: number;
  /** `false` for a wait an abort must not interrupt (a consumer halfway through an item). */
  readonly abortable?: boolean;
  /**
   * Where `words` counts the parties parked this way, for wakers that notify
   * only when somebody sleeps. The runner counts itself in while asleep —
   * not while a blocking runner first watches the word for a moment, so a
   * change that comes during the watch costs its maker no notify.
   */
  readonly parked?: number;
}

/** How long a blocking wait that others skip notifying (see {@link Park.parked}) watches its word before it sleeps. */
const WATCH_MS = 0.02;

/** Watches `words[index]` until it is no longer `expected` (true) or `WATCH_MS` or the deadline pass (false). */
function watch(words: Int32Array, index: number, expected: number, deadline: number): boolean {
  const until = Math.min(deadline, performance.now() + WATCH_MS);
  for (;;) {
    for (let i = 0; i < 32; i++) if (Atomics.load(words, index) !== expected) return true;
    if (performance.now() >= until) return false;
  }
}

/** A blocking procedure returning `R`. */
export type Procedure<R> = Generator<Park, R, WaitOutcome>;

/** Runs `procedure`, blocking the calling thread at each park. */
export function runSync<R>(procedure: Procedure<R>, waiter: Waiter): R {
  let step = procedure.next();
  while (!step.done) {
    const { words, index, expected, deadline, parked } = step.value;
    let outcome: WaitOutcome;
    if (parked === undefined) outcome = waiter.wait(words, index, expected, deadline);
    else if (watch(words, index, expected, deadline)) outcome = 'not-equal';
    else {
      Atomics.add(words, parked, 1);
      try {
        outcome = waiter.wait(words, index, expected, deadline);
      } finally {
        Atomics.sub(words, parked, 1);
      }
    }
    step = procedure.next(outcome);
  }
  return step.value;
}

/** Runs `procedure` without blocking the event loop; an abort is thrown into it. */
export async function runAsync<R>(procedure: Procedure<R>, waiter: Waiter, signal: AbortSignal | undefined): Promise<R> {
  let step = procedure.next();
  while (!step.done) {
    const { words, index, expected, deadline, abortable = true, parked } = step.value;
    if (parked !== undefined) Atomics.add(words, parked, 1);
    let outcome: AsyncWaitOutcome;
    try {
      outcome = await waiter.waitAsync(words, index, expected, deadline, abortable ? signal : undefined);
    } finally {
      if (parked !== undefined) Atomics.sub(words, parked, 1);
    }
    step = outcome === 'aborted' ? procedure.throw(signal!.reason) : procedure.next(outcome);
  }
  return step.value;
}

/**
 * Takes the mutex word `words[index]` (the protocol of `sync/mutex-word.ts`)
 * as a procedure; `false` if `deadline` passes first.
 */
export function* lockSteps(words: Int32Array, index: number, deadline: number): Procedure<boolean> {
  if (Atomics.compareExchange(words, index, UNLOCKED, LOCKED) === UNLOCKED) return true;
  for (let i = 0; i < SPINS; i++) {
    if (Atomics.load(words, index) === UNLOCKED && Atomics.compareExchange(words, index, UNLOCKED, LOCKED) === UNLOCKED) {
      return true;
    }
  }
  while (Atomics.exchange(words, index, CONTENDED) !== UNLOCKED) {
    if (expired(deadline)) return false;
    yield { words, index, expected: CONTENDED, deadline };
  }
  return true;
}
