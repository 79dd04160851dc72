import { Process, currentProcess, parentProcess, activeChildren, cpuCount } from '../run/process.js';
import { Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event, Barrier, Value, SharedArray } from './processes-family.js';
import { Queue, JoinableQueue, SimpleQueue, LifoQueue, PriorityQueue, Pipe } from './processes-family.js';
import { SharedMemory, ShareableList, SharedDict, SharedList } from './processes-family.js';
import { exportHandles, importHandles } from './handles-text.js';

/**
 * The `processes` scope as a context object (Python's
 * `multiprocessing.get_context()`): the same classes as {@link threads}, but
 * their state lives in POSIX shared memory and sleepers wake by futex, so the
 * parties may be separate processes on one host. A processes-scope object
 * passed to a `Process` (or a worker thread) arrives there as a live handle on
 * the same memory. Its `SharedMemory` blocks are named segments any process
 * on the host attaches to by name; `SharedDict`, `SharedList` and
 * `ShareableList` live in processes memory too; {@link exportHandles} /
 * {@link importHandles} carry its objects as text to processes weft did not
 * start (`node:cluster` workers).
 *
 * Importing it is free; the first object made loads the native addon, and
 * throws `ProcessesScopeUnavailableError` where it cannot (not Linux, addon
 * not built, a V8 with its sandbox).
 *
 * @example
 * ```ts
 * import { getContext, Process, type Value } from 'weft';
 * const processes = getContext('processes');
 * const counter = new processes.Value('i', 0);
 * const add = (counter: Value<'i'>, n: number) => {
 *   counter.getLock().acquireSync();
 *   counter.value += n; // the parent's memory, not a copy
 *   counter.getLock().release();
 * };
 * const children = [1, 2, 3].map((n) => new Process({ target: add, args: [counter, n] }));
 * for (const child of children) child.start();
 * for (const child of children) await child.join();
 * console.log(processes.scope, counter.value); // processes 6
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
  Queue,
  JoinableQueue,
  SimpleQueue,
  LifoQueue,
  PriorityQueue,
  Pipe,
  SharedMemory,
  ShareableList,
  SharedDict,
  SharedList,
  exportHandles,
  importHandles,
  Process,
  currentProcess,
  parentProcess,
  activeChildren,
  cpuCount,
});

/** The processes scope's context object. */
export type ProcessesContext = typeof processes;
