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
 * list, or with `items` one argument — in order. Returns the results, or,
 * if any call threw, a {@link PartialChunk}: every input gets its own
 * outcome, as with `chunksize` 1. While the calls return plain values this
 * is one synchronous loop; from the first call that returns a thenable on,
 * each result is awaited in turn, and the outcome is a promise.
 */
export function runChunk(fn: AnyFunction, chunk: unknown[], items: boolean): unknown[] | PartialChunk | Promise<unknown[] | PartialChunk> {
  const length = chunk.length;
  const results: unknown[] = new Array(length);
  let failures: [number, unknown][] | undefined;
  for (let i = 0; i < length; i++) {
    let result: unknown;
    try {
      result = items ? fn(chunk[i]) : fn(...(chunk[i] as unknown[]));
    } catch (error) {
      (failures ??= []).push([i, error]);
      results[i] = undefined;
      continue;
    }
    if (isThenable(result)) return finishChunk(fn, chunk, items, results, failures, i, result);
    results[i] = result;
  }
  return failures === undefined ? results : new PartialChunk(results, failures);
}

/** {@link runChunk} from the call at `i`, whose result is the thenable `pending`, on. */
async function finishChunk(
  fn: AnyFunction, chunk: unknown[], items: boolean, results: unknown[], failures: [number, unknown][] | undefined, i: number, pending: PromiseLike<unknown>,
): Promise<unknown[] | PartialChunk> {
  for (;;) {
    try {
      results[i] = await pending;
    } catch (error) {
      (failures ??= []).push([i, error]);
      results[i] = undefined;
    }
    if (++i === chunk.length) break;
    try {
      pending = Promise.resolve(items ? fn(chunk[i]) : fn(...(chunk[i] as unknown[])));
    } catch (error) {
      pending = Promise.reject(error);
    }
  }
  return failures === undefined ? results : new PartialChunk(results, failures);
}
