/** What both kinds of pool worker (thread and child process) run tasks with. */

type AnyFunction = (...args: any[]) => any;

/** Whether `value` is a promise or other thenable (a task may return one). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` on each element of a chunk (map's `chunksize`) — an argument
 * list, or with `items` one argument — in order; resolves to the results.
 */
export async function runChunk(fn: AnyFunction, chunk: unknown[], items: boolean): Promise<unknown[]> {
  const results: unknown[] = [];
  for (let i = 0; i < chunk.length; i++) {
    let result = items ? fn(chunk[i]) : fn(...(chunk[i] as unknown[]));
    if (isThenable(result)) result = await result;
    results.push(result);
  }
  return results;
}
