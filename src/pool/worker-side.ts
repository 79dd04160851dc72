/** What both kinds of pool worker (thread and child process) run tasks with. */

import { sendError, type SentError } from '../run/error-transfer.js';

type AnyFunction = (...args: any[]) => any;

/** Whether `value` is a promise or other thenable (a task may return one). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * A chunk in which some calls threw: the results (`undefined` where a call
 * threw) and, by position, the errors. A chunk's future holds one (with the
 * errors rebuilt) instead of the list of results.
 */
export class PartialChunk {
  constructor(readonly values: unknown[], readonly failures: [index: number, error: unknown][]) {}
}

/** The results a chunk's future holds; for a partly failed chunk, throws its first error. */
export function chunkValues(outcome: unknown): unknown[] {
  if (outcome instanceof PartialChunk) throw outcome.failures[0]![1];
  return outcome as unknown[];
}

/** What a {@link PartialChunk} crosses as: `[results, [index, SentError][]]`. */
export function partialBody(chunk: PartialChunk): [unknown[], [number, SentError][]] {
  return [chunk.values, chunk.failures.map(([index, error]) => [index, sendError(error)])];
}

/**
 * Runs `fn` on each element of a chunk (map's `chunksize`) — an argument
 * list, or with `items` one argument — in order. Resolves to the results,
 * or, if any call threw, to a {@link PartialChunk}: every input gets its own
 * outcome, as with `chunksize` 1.
 */
export async function runChunk(fn: AnyFunction, chunk: unknown[], items: boolean): Promise<unknown[] | PartialChunk> {
  const results: unknown[] = [];
  let failures: [number, unknown][] | undefined;
  for (let i = 0; i < chunk.length; i++) {
    let result: unknown;
    try {
      result = items ? fn(chunk[i]) : fn(...(chunk[i] as unknown[]));
      if (isThenable(result)) result = await result;
    } catch (error) {
      (failures ??= []).push([i, error]);
      result = undefined;
    }
    results.push(result);
  }
  return failures === undefined ? results : new PartialChunk(results, failures);
}
