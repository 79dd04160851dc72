/** What `stats()` reports about a pool's work, and the run- and wait-time samples behind it. */

/** A snapshot of a pool's work (see `stats()`). */
export interface PoolStats {
  /** Submitted and not yet sent to a worker. */
  readonly queued: number;
  /** Sent to a worker and not yet finished (running, or next in its window). */
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly workers: readonly { readonly id: number; readonly tasks: number; readonly utilization: number }[];
  /** Milliseconds from submit to start, over the last 1,024 tasks. */
  readonly waitTime: Percentiles;
  /** Milliseconds from start to end, over the last 1,024 tasks. */
  readonly runTime: Percentiles;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

const SAMPLES = 1024;

/** The last {@link SAMPLES} values of a time, for its percentiles. */
export class Samples {
  readonly #values = new Float64Array(SAMPLES);
  #count = 0;

  add(value: number): void {
    this.#values[this.#count++ % SAMPLES] = value;
  }

  percentiles(): Percentiles {
    const n = Math.min(this.#count, SAMPLES);
    if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = this.#values.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]! };
  }
}
