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

import type { Waiter, WaitOutcome } from './waiter.js';
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
}

/** A blocking procedure returning `R`. */
export type Procedure<R> = Generator<Park, R, WaitOutcome>;

/** Runs `procedure`, blocking the calling thread at each park. */
export function runSync<R>(procedure: Procedure<R>, waiter: Waiter): R {
  let step = procedure.next();
  while (!step.done) {
    const { words, index, expected, deadline } = step.value;
    step = procedure.next(waiter.wait(words, index, expected, deadline));
  }
  return step.value;
}

/** Runs `procedure` without blocking the event loop; an abort is thrown into it. */
export async function runAsync<R>(procedure: Procedure<R>, waiter: Waiter, signal: AbortSignal | undefined): Promise<R> {
  let step = procedure.next();
  while (!step.done) {
    const { words, index, expected, deadline, abortable = true } = step.value;
    const outcome = await waiter.waitAsync(words, index, expected, deadline, abortable ? signal : undefined);
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
