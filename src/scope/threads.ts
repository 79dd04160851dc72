import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { Condition } from '../sync/condition.js';
import { Semaphore } from '../sync/semaphore.js';
import { BoundedSemaphore } from '../sync/bounded-semaphore.js';
import { Event } from '../sync/event.js';
import { Barrier } from '../sync/barrier.js';
import { Value } from '../shared/value.js';
import { SharedArray } from '../shared/array.js';
import { SharedMemory } from '../shared/shared-memory.js';
import { ShareableList } from '../shared/shareable-list.js';
import { SharedDict } from '../shared/dict.js';
import { SharedList } from '../shared/list.js';
import { Thread } from '../run/thread.js';
import { Timer } from '../run/timer.js';
import { Process, currentProcess, parentProcess, activeChildren, cpuCount } from '../run/process.js';
import { Queue } from '../queue/queue.js';
import { JoinableQueue } from '../queue/joinable-queue.js';
import { SimpleQueue } from '../queue/simple-queue.js';
import { LifoQueue } from '../queue/lifo-queue.js';
import { PriorityQueue } from '../queue/priority-queue.js';
import { Pipe } from '../queue/pipe.js';
import { processes, type ProcessesContext } from './processes.js';

/**
 * The `threads` scope as a context object (Python's
 * `multiprocessing.get_context()`): the family of shared objects whose
 * parties are the worker threads of one process and its main thread. Code
 * written against a context (`const ctx = threads; new ctx.Lock()`) moves to
 * another scope by changing one line. The package's top-level exports are
 * this family.
 *
 * @example
 * ```ts
 * import { threads, getContext } from 'weft';
 * const ctx = getContext('threads');
 * const lock = new ctx.Lock();
 * console.log(ctx === threads, ctx.scope, lock.locked()); // true threads false
 * ```
 */
export const threads = Object.freeze({
  scope: 'threads' as const,
  Lock,
  RLock,
  Condition,
  Semaphore,
  BoundedSemaphore,
  Event,
  Barrier,
  Value,
  SharedArray,
  SharedMemory,
  ShareableList,
  SharedDict,
  SharedList,
  Queue,
  JoinableQueue,
  SimpleQueue,
  LifoQueue,
  PriorityQueue,
  Pipe,
  Thread,
  Timer,
  Process,
  currentProcess,
  parentProcess,
  activeChildren,
  cpuCount,
});

/** A scope's context object. */
export type Context = typeof threads;

/**
 * The context of a scope by name: {@link threads} (the default) or
 * `processes`. Getting the processes context loads nothing; its first object
 * does.
 *
 * @throws RangeError for a scope this version does not provide (`cluster` is
 *   planned), naming the ones it does.
 */
export function getContext(scope?: 'threads'): Context;
export function getContext(scope: 'processes'): ProcessesContext;
export function getContext(scope: 'threads' | 'processes'): Context | ProcessesContext;
export function getContext(scope: 'threads' | 'processes' = 'threads'): Context | ProcessesContext {
  if (scope === 'threads') return threads;
  if (scope === 'processes') return processes;
  throw new RangeError(`getContext(): unknown or unavailable scope '${String(scope)}'; available: 'threads', 'processes'`);
}
