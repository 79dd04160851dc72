/**
 * The processes scope's memory: shared bytes in POSIX shared-memory segments
 * (segments.ts), woken by futexes (futex-waiter.ts). A primitive built over
 * this memory is the same class as in the threads scope; what differs is that
 * its words are reachable from other processes: {@link describeShared} names
 * them, {@link attachShared} maps them in another process.
 *
 * Nothing is loaded until first use: importing this module on a machine
 * without the addon is harmless, and the first allocation (or wait) throws
 * a ProcessesScopeUnavailableError that says why.
 */

import type { Memory } from './memory.js';
import { futexWaiter } from './futex-waiter.js';
import { isPartyAlive, selfStamp, selfThreadId } from './process-liveness.js';
import { allocateReserved, allocateShared } from './segments.js';

export { attachShared, describeShared, isProcessShared, type SegmentSlice } from './segments.js';

/**
 * Processes-scope memory. `allocate` returns zero-filled, 64-byte aligned
 * bytes of a segment; `allocateGrowable` returns a fixed buffer of
 * `maxByteLength` whose pages are only committed when written (see
 * segments.ts: a mapped file cannot back a growable SharedArrayBuffer);
 * `selfId` is the kernel thread id, unique among live threads host-wide,
 * and `selfStamp` its start time (which tells it from a later thread or
 * process that reuses the id).
 */
export const processesMemory: Memory = {
  scope: 'processes',
  waiter: futexWaiter,
  allocate: allocateShared,
  allocateGrowable: allocateReserved,
  selfId: selfThreadId,
  selfStamp,
  isAlive: isPartyAlive,
};
