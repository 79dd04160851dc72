/** What both kinds of pool worker (thread and child process) run tasks with. */

type AnyFunction = (...args: any[]) => any;

/** Whether `value` is a promise or other thenable (a task may return one). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Runs `fn` on each argument list of a chunk (map's `chunksize`), in order; resolves to the results. */
export async function runChunk(fn: AnyFunction, chunk: unknown[][]): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const args of chunk) {
    let result = fn(...args);
    if (isThenable(result)) result = await result;
    results.push(result);
  }
  return results;
}
