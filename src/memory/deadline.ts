/**
 * The one place a `timeout` becomes a deadline. Every blocking loop in weft
 * turns its timeout into an absolute deadline once, then waits for
 * `remaining(deadline)` on each pass (CPython's `endtime` loop), so spurious
 * wake-ups and retries never extend the total wait.
 *
 * Deadlines are `performance.now()` milliseconds of the waiting thread; they
 * never cross threads.
 */

/** No deadline. */
export const FOREVER = Infinity;

/** Options every blocking acquire accepts. */
export interface BlockingOptions {
  /** `false` makes the call return at once instead of waiting. Default `true`. */
  blocking?: boolean;
  /** Longest wait in milliseconds. Default: forever. */
  timeout?: number;
}

/** Options of the Promise-returning variants. */
export interface AsyncBlockingOptions extends BlockingOptions {
  /** Aborting rejects the pending call with `signal.reason`; nothing stays acquired. */
  signal?: AbortSignal;
}

/** Options of waits that take only a timeout (`Event.wait`, `Condition.wait`). */
export interface TimeoutOptions {
  /** Longest wait in milliseconds. Default: forever. Zero or negative: do not wait. */
  timeout?: number;
}

/** {@link TimeoutOptions} plus cancellation, for the Promise-returning variants. */
export interface AsyncTimeoutOptions extends TimeoutOptions {
  /** Aborting rejects the pending call with `signal.reason`. */
  signal?: AbortSignal;
}

function checkNumber(what: string, timeout: number): void {
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new TypeError(`${what}: timeout must be a number of milliseconds, got ${String(timeout)}`);
  }
}

/**
 * The deadline for a lock-style acquire: Python's rules — a negative timeout
 * is an error, and a timeout with `blocking: false` is an error.
 * Returns `undefined` for a non-blocking attempt.
 */
export function acquireDeadline(what: string, options: BlockingOptions | undefined): number | undefined {
  const blocking = options?.blocking ?? true;
  const timeout = options?.timeout;
  if (timeout === undefined) return blocking ? FOREVER : undefined;
  checkNumber(what, timeout);
  if (!blocking) throw new TypeError(`${what}: a timeout cannot be given for a non-blocking call`);
  if (timeout < 0) throw new RangeError(`${what}: timeout must be >= 0 ms, got ${timeout}`);
  return performance.now() + timeout;
}

/**
 * The deadline for a wait that only takes a timeout: negative means "do not
 * wait" (Python's `Event.wait(-1)` returns at once).
 */
export function waitDeadline(what: string, timeout: number | undefined): number {
  if (timeout === undefined) return FOREVER;
  checkNumber(what, timeout);
  return performance.now() + Math.max(0, timeout);
}

/** Milliseconds left until `deadline` (never negative; `Infinity` for none). */
export function remaining(deadline: number): number {
  if (deadline === FOREVER) return FOREVER;
  const left = deadline - performance.now();
  return left > 0 ? left : 0;
}

/** Whether `deadline` has passed. */
export function expired(deadline: number): boolean {
  return deadline !== FOREVER && performance.now() >= deadline;
}

/** Throws `signal.reason` if the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
