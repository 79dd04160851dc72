/**
 * The process-wide thread-liveness table: which threads of this process are
 * known to have died, so that a party waiting for a shared lock whose holder
 * was terminated (`worker.terminate()`, an out-of-memory under
 * `resourceLimits`, `process.exit()` inside the worker) can take the lock
 * over and repair what the holder left half done (see `queue/side-lock.ts`).
 *
 * A thread's death is seen only by the thread that owns its `Worker` object,
 * in its `'exit'` event, which Node emits after the dead thread has stopped
 * running: so a thread marked dead never writes shared memory again. Thread
 * marks its workers; any other owner of workers (the pool engine) calls
 * {@link markThreadDead} from its own `'exit'` handler.
 *
 * ```
 *  one growable SharedArrayBuffer, shared by every thread of the process
 *   word [t]  thread t (worker_threads threadId):
 *             0                 nothing known: alive
 *             parent + 1        alive, started by thread `parent` (bit 31 clear)
 *             | DEAD (bit 31)   dead
 * ```
 *
 * A thread whose parent is dead is dead too: Node stops a worker's own
 * workers when it exits, and their `'exit'` events would have gone to the
 * dead parent. Thread ids are never reused, so a mark is final. Thread ids
 * beyond the table's limit (2^23 threads started in one process) are
 * reported alive: their holders' locks are never taken over.
 *
 * Every thread must use the same buffer: a thread started by Thread gets its
 * parent's ({@link livenessBuffer} travels in its start data and
 * {@link seedLiveness} adopts it before anything else runs). An owner of bare
 * Workers that wants their deaths seen does the same.
 */

import { threadId } from 'node:worker_threads';
import { singleton } from '../memory/singleton.js';

const INITIAL_BYTES = 4096; // 1024 threads
const MAX_BYTES = 1 << 25; // 2^23 threads: reserved, committed as it grows
const DEAD = 1 << 31;
/** How many ancestors {@link isThreadAlive} follows at most. */
const MAX_DEPTH = 64;

interface Table {
  buffer: SharedArrayBuffer;
  /** A fixed-length view of the buffer as this thread last saw it. */
  view: Int32Array;
}

const table: Table = singleton('threadLiveness', () => {
  const buffer = new SharedArrayBuffer(INITIAL_BYTES, { maxByteLength: MAX_BYTES });
  return { buffer, view: new Int32Array(buffer, 0, INITIAL_BYTES >> 2) };
});

/** A view of the words, grown first if `id` is past its end; `undefined` if past the limit. */
function wordsFor(id: number, grow: boolean): Int32Array | undefined {
  if (id < table.view.length) return table.view;
  const buffer = table.buffer;
  const needed = (id + 1) * 4;
  if (needed > buffer.byteLength) {
    if (!grow || needed > MAX_BYTES) return undefined;
    let size = buffer.byteLength;
    while (size < needed) size *= 2;
    try {
      buffer.grow(Math.min(size, MAX_BYTES));
    } catch {
      // Another thread grew it meanwhile (grow never shrinks): use what is there.
    }
    if (needed > buffer.byteLength) return undefined;
  }
  table.view = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  return table.view;
}

function checkId(what: string, id: number): void {
  if (!Number.isInteger(id) || id < 0) throw new RangeError(`${what}: a thread id must be an integer >= 0, got ${String(id)}`);
}

/**
 * Records that this thread started thread `child` (its `worker.threadId`),
 * so that `child` counts as dead once this thread is. Call it right after
 * `new Worker(...)`.
 */
export function threadStarted(child: number): void {
  checkId('threadStarted()', child);
  const words = wordsFor(child, true);
  if (words !== undefined) Atomics.compareExchange(words, child, 0, threadId + 1);
}

/**
 * Records that thread `id` (a `worker.threadId`) has died. Call it from the
 * Worker's `'exit'` event — never earlier: until then the thread may still be
 * writing shared memory. Marking the main thread (0) does nothing.
 */
export function markThreadDead(id: number): void {
  checkId('markThreadDead()', id);
  if (id === 0) return;
  const words = wordsFor(id, true);
  if (words !== undefined) Atomics.or(words, id, DEAD);
}

/**
 * Whether thread `id` (a `threadId`) may still be running: false once it or
 * one of the threads that started it was marked dead.
 */
export function isThreadAlive(id: number): boolean {
  if (!(id > 0)) return true; // the main thread, or no thread at all
  const words = wordsFor(id, false);
  if (words === undefined) return true;
  for (let t = id, depth = 0; t !== 0 && t < words.length && depth < MAX_DEPTH; depth++) {
    const word = Atomics.load(words, t);
    if ((word & DEAD) !== 0) return false;
    if (word === 0) return true;
    t = word - 1;
  }
  return true;
}

/** The table's buffer, to hand to a thread being started (see {@link seedLiveness}). */
export function livenessBuffer(): SharedArrayBuffer {
  return table.buffer;
}

/**
 * Makes this thread use `buffer` (its parent's {@link livenessBuffer}) as
 * the process's table. Call it first thing in a new thread.
 */
export function seedLiveness(buffer: SharedArrayBuffer): void {
  table.buffer = buffer;
  table.view = new Int32Array(buffer, 0, buffer.byteLength >> 2);
}
