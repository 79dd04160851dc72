/**
 * The processes scope's classes: the threads-scope primitives over processes
 * memory. Kept apart from the context object (processes.ts) so that a party
 * receiving a processes-scope handle loads only these — the bundled worker and
 * child entries carry them among the built-in shareables (share/builtins.ts).
 */
import { MEMORY } from '../memory/memory.js';
import { processesMemory } from '../memory/processes-memory.js';
import { defineScopedClass } from '../memory/scoped-classes.js';
import { putSharedSlots, takeSharedSlots } from '../memory/shared-slots.js';
import { setSlotCrossing } from '../share/marshal.js';
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
import { Queue as ThreadsQueue } from '../queue/queue.js';
import { JoinableQueue as ThreadsJoinableQueue } from '../queue/joinable-queue.js';
import { SimpleQueue as ThreadsSimpleQueue } from '../queue/simple-queue.js';
import { LifoQueue as ThreadsLifoQueue } from '../queue/lifo-queue.js';
import { PriorityQueue as ThreadsPriorityQueue } from '../queue/priority-queue.js';
import { pipeOver, type PipeOptions } from '../queue/pipe.js';
import type { Connection } from '../queue/connection.js';
import { BLOCK_NAMES, SharedMemory as ThreadsSharedMemory } from '../shared/shared-memory.js';
import { segmentBlockNames } from '../shared/processes-blocks.js';
import { ShareableList as ThreadsShareableList } from '../shared/shareable-list.js';
import { SharedDict as ThreadsSharedDict } from '../shared/dict.js';
import { SharedList as ThreadsSharedList } from '../shared/list.js';

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
function overProcessesMemory<C extends ShareableClass<any> & (abstract new (...args: any[]) => unknown)>(base: C, statics: object = {}): C {
  const named = { [base.name]: class extends (base as unknown as new (...args: unknown[]) => object) {
    static [MEMORY] = processesMemory;
  } };
  const cls = Object.assign(named[base.name]!, statics) as unknown as C;
  defineScopedClass('processes', base, cls);
  registerShareable(`processes.${base.name}`, cls, { module: import.meta.url });
  return cls;
}

// Sent to another process, these classes' shared buffers travel as segment slices.
setSlotCrossing({ take: takeSharedSlots, put: putSharedSlots });

const Lock = overProcessesMemory(ThreadsLock);
const RLock = overProcessesMemory(ThreadsRLock);
const Condition = overProcessesMemory(ThreadsCondition);
const Semaphore = overProcessesMemory(ThreadsSemaphore);
const BoundedSemaphore = overProcessesMemory(ThreadsBoundedSemaphore);
const Event = overProcessesMemory(ThreadsEvent);
const Barrier = overProcessesMemory(ThreadsBarrier);
const Value = overProcessesMemory(ThreadsValue);
const SharedArray = overProcessesMemory(ThreadsSharedArray);
const Queue = overProcessesMemory(ThreadsQueue);
const JoinableQueue = overProcessesMemory(ThreadsJoinableQueue);
const SimpleQueue = overProcessesMemory(ThreadsSimpleQueue);
const LifoQueue = overProcessesMemory(ThreadsLifoQueue);
const PriorityQueue = overProcessesMemory(ThreadsPriorityQueue);
/** A Pipe whose two directions are processes-scope queues: its ends work from other processes. */
const Pipe = (options?: PipeOptions): [Connection, Connection] => pipeOver(Queue, options);
// Named blocks are POSIX segments any process attaches to by name (shared/processes-blocks.ts).
const SharedMemory = overProcessesMemory(ThreadsSharedMemory, { [BLOCK_NAMES]: segmentBlockNames });
const ShareableList = overProcessesMemory(ThreadsShareableList);
const SharedDict = overProcessesMemory(ThreadsSharedDict);
const SharedList = overProcessesMemory(ThreadsSharedList);

export { Lock, RLock, Condition, Semaphore, BoundedSemaphore, Event, Barrier, Value, SharedArray };
export { Queue, JoinableQueue, SimpleQueue, LifoQueue, PriorityQueue, Pipe };
export { SharedMemory, ShareableList, SharedDict, SharedList };
