import { MEMORY } from '../memory/memory.js';
import { processesMemory } from '../memory/processes-memory.js';
import { defineScopedClass } from '../memory/scoped-classes.js';
import { registerShareable, type ShareableClass } from '../share/protocol.js';
import { Lock as ThreadsLock } from '../sync/lock.js';
import { RLock as ThreadsRLock } from '../sync/rlock.js';
import { Condition as ThreadsCondition } from '../sync/condition.js';
import { Semaphore as ThreadsSemaphore } from '../sync/semaphore.js';
import { BoundedSemaphore as ThreadsBoundedSemaphore } from '../sync/bounded-semaphore.js';
import { Event as ThreadsEvent } from '../sync/event.js';
import { Barrier as ThreadsBarrier } from '../sync/barrier.js';
import { Value as ThreadsValue } from '../shared/value.js';
import { SharedArray as ThreadsSharedArray } from '../shared/array.js';
import { Process, currentProcess, parentProcess, activeChildren, cpuCount } from '../run/process.js';

/**
 * The processes-scope version of the threads-scope class `base`: the same
 * class with its memory set to processes memory (segments in /dev/shm,
 * futex wake-ups) — the primitive's code is the same, only where its words
 * live and how sleepers wake differ. It keeps `base`'s name, and gets its own
 * kind (`processes.Lock`...), so a handle revived anywhere — another process,
 * a worker thread — is this class again, and this module is imported there
 * first. Nothing here touches the native addon; the first constructor call
 * does, and throws ProcessesScopeUnavailableError where it cannot load.
 */
function overProcessesMemory<C extends ShareableClass<any> & (abstract new (...args: any[]) => unknown)>(base: C): C {
  const named = { [base.name]: class extends (base as unknown as new (...args: unknown[]) => object) {
    static [MEMORY] = processesMemory;
  } };
  const cls = named[base.name]! as unknown as C;
  defineScopedClass('processes', base, cls);
  registerShareable(`processes.${base.name}`, cls, { module: import.meta.url });
  return cls;
}

const Lock = overProcessesMemory(ThreadsLock);
const RLock = overProcessesMemory(ThreadsRLock);
const Condition = overProcessesMemory(ThreadsCondition);
const Semaphore = overProcessesMemory(ThreadsSemaphore);
const BoundedSemaphore = overProcessesMemory(ThreadsBoundedSemaphore);
const Event = overProcessesMemory(ThreadsEvent);
const Barrier = overProcessesMemory(ThreadsBarrier);
const Value = overProcessesMemory(ThreadsValue);
const SharedArray = overProcessesMemory(ThreadsSharedArray);

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
