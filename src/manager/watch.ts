/**
 * How long one side of a manager's shared-memory ring watches for the
 * other before it sleeps, learned from how watching went (an adaptive spin,
 * as adaptive mutexes do).
 *
 * Watching pays when the other side is running: its message arrives within
 * microseconds and nobody makes a system call. It costs when the other side
 * is not (a loaded machine, a slow method): the watcher burns a core the
 * other side may be waiting for, then sleeps anyway. So after a few watches
 * in a row that saw nothing, a side stops watching, and tries again once in
 * a while to see if things changed.
 *
 * A watch that has seen nothing for {@link YIELD_AFTER_MS} gives the core
 * away before each further look ({@link lookAgain}): with more busy parties
 * than cores (a server and two clients on two cores), the party being
 * waited for is often ready to run on the watcher's own core, and without
 * the yield it waits for the scheduler to take the core back, a millisecond
 * or more. The first microseconds are pure spinning: a running peer answers
 * in that time, and a system call per look would only slow noticing it.
 */

import { native } from '../memory/native.js';

/** How long a watch spins before each look also yields the core, in ms. */
const YIELD_AFTER_MS = 0.005;

/**
 * Called by a watcher before it looks again, `waited` ms into its watch:
 * past {@link YIELD_AFTER_MS}, lets any thread ready to run on this core go
 * first. Only for parties with the processes-scope addon loaded (a ring's).
 */
export function lookAgain(waited: number): void {
  if (waited >= YIELD_AFTER_MS) native().yieldCpu();
}

/** Misses in a row after which watching stops. */
const MISSES_TO_STOP = 3;
/** While stopped, one watch in this many is a probe. */
const PROBE_EVERY = 16;

export class Watch {
  readonly #ms: number;
  #misses = 0;
  #skipped = 0;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** How long to watch now, in ms: the full time, or 0 while stopped (except for probes). */
  budget(): number {
    if (this.#misses < MISSES_TO_STOP) return this.#ms;
    return ++this.#skipped % PROBE_EVERY === 0 ? this.#ms : 0;
  }

  /** The awaited message came while watching. */
  caught(): void {
    this.#misses = 0;
  }

  /** Watching ended with nothing. */
  missed(): void {
    if (this.#misses < MISSES_TO_STOP) this.#misses++;
  }
}
