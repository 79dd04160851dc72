// Helpers for the pool tests: bounded waits, Atomics handshakes with tasks,
// and a pool whose disposal cannot hang a test run.
import type { Executor } from '../../src/futures/executor.js';
import type { Future } from '../../src/futures/future.js';
import { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from '../../src/pool/thread-pool.js';

/** Resolves or rejects as `promise` does, or rejects after `ms` saying what did not happen. */
export async function within<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(promise), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The settled error of `promise`, within `ms`; fails if it resolves. */
export async function rejection(promise: PromiseLike<unknown>, ms: number, what: string): Promise<unknown> {
  const outcome = await within(
    Promise.resolve(promise).then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })),
    ms,
    what,
  );
  if (outcome.ok) throw new Error(`${what}: expected a rejection, got ${String(outcome.value)}`);
  return outcome.error;
}

/** Int32 cells in shared memory that tasks and the test both see. */
export function cells(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * length));
}

/**
 * Waits, without blocking the event loop, until `cells[index] >= value`
 * (tasks `Atomics.add` then `Atomics.notify` it).
 */
export async function reached(cells: Int32Array, index: number, value: number, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const seen = Atomics.load(cells, index);
    if (seen >= value) return;
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`${what}: cell ${index} is ${seen}, not ${value}, after ${ms} ms`);
    const result = Atomics.waitAsync(cells, index, seen, left);
    if (result.async) await result.value;
  }
}

/** Sets `cells[index]` to `value` and wakes the tasks waiting on it. */
export function signal(cells: Int32Array, index: number, value = 1): void {
  Atomics.store(cells, index, value);
  Atomics.notify(cells, index);
}

/** Polls `condition` every few ms until it holds, for state that has no event to wait on (worker counts). */
export async function eventually(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: still false after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How long a test's pool may take to shut down before it is terminated and the test fails. */
const SHUTDOWN_MS = 5000;

/**
 * A ThreadPoolExecutor whose `await using` disposal is bounded: if shutdown
 * does not finish in time (a task that never ends, a bug in the engine), its
 * workers are ended and the disposal throws, so the test fails instead of
 * hanging the run.
 */
export class TestPool extends ThreadPoolExecutor {
  constructor(options: ThreadPoolExecutorOptions = {}) {
    super(options);
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    try {
      await within(this.shutdown({ wait: true }), SHUTDOWN_MS, 'pool shutdown');
    } catch (error) {
      this.engine.terminate(error);
      throw error;
    }
  }
}

/**
 * A task that holds its worker until the test opens the gate: it counts
 * itself started in `gate[1]`, then waits (at most 10 s) for `gate[0]` to
 * leave 0. Pair with `reached(gate, 1, n, …)` and `signal(gate, 0)`.
 */
export const block = (gate: Int32Array): string => {
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  return Atomics.wait(gate, 0, 0, 10_000) === 'timed-out' ? 'gate never opened' : 'released';
};

/** A new gate for {@link block}. */
export function gate(): Int32Array {
  return cells(2);
}

/** Lets the pool's dispatch (a microtask) and its I/O run before the next step. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A {@link block} task holding a worker. */
export interface Occupant {
  readonly future: Future<string>;
  /** Resolves once the task runs (fails after 5 s). */
  started(): Promise<void>;
  /** Lets the task return `'released'`. */
  release(): void;
}

/** Submits a {@link block} task: its worker takes nothing else until `release()`. */
export function occupy(pool: Executor): Occupant {
  const held = gate();
  const future = pool.submit(block, held);
  return {
    future,
    started: () => reached(held, 1, 1, 5000, 'the blocking task starting'),
    release: () => signal(held, 0),
  };
}

/** Counts a run of the task in slot `i` of `runs`; returns the count. */
export const count = (runs: Int32Array, i: number): number => Atomics.add(runs, i, 1) + 1;

/** Says it started in `started[0]`, then spins until its worker is ended. */
export const startThenSpin = (started: Int32Array): never => {
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  for (;;);
};
