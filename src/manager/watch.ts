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
 */

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
