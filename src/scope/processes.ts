import { Process, currentProcess, parentProcess, activeChildren, cpuCount } from '../run/process.js';
import { Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event, Barrier, Value, SharedArray } from './processes-family.js';

/**
 * The `processes` scope as a context object (Python's
 * `multiprocessing.get_context()`): the same classes as {@link threads}, but
 * their state lives in POSIX shared memory and sleepers wake by futex, so the
 * parties may be separate processes on one host. A processes-scope object
 * passed to a `Process` (or a worker thread) arrives there as a live handle on
 * the same memory.
 *
 * Importing it is free; the first object made loads the native addon, and
 * throws `ProcessesScopeUnavailableError` where it cannot (not Linux, addon
 * not built, a V8 with its sandbox).
 *
 * @example
 * ```ts
 * import { processes, getContext } from 'weft';
 * const ctx = getContext('processes');
 * const counter = new ctx.Value('i', 0);
 * counter.value += 41;
 * console.log(ctx === processes, ctx.scope, counter.value + 1); // true processes 42
 * ```
 * @see Python's `multiprocessing.get_context()`
 */
export const processes = Object.freeze({
  scope: 'processes' as const,
  Lock,
  RLock,
  Condition,
  Semaphore,
  BoundedSemaphore,
  Event,
  Barrier,
  Value,
  SharedArray,
  Process,
  currentProcess,
  parentProcess,
  activeChildren,
  cpuCount,
});

/** The processes scope's context object. */
export type ProcessesContext = typeof processes;
