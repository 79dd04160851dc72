/**
 * Whether a process or thread on this host is alive, for robust locks (an
 * owner that died holding one) and the segment sweep.
 *
 * A pid alone is not an identity — pids are reused — so an owner is recorded
 * as pid plus start time (field 22 of /proc/<pid>/stat) and is alive only
 * while a process with both exists. A zombie (exited, not yet reaped, which
 * `kill(pid, 0)` still reports) counts as dead: it will never run again.
 * Thread ids (see {@link selfThreadId}) work the same way.
 */

import { native } from './native.js';

/** A process (or thread) as robust locks record their owners. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Clock ticks after boot at which it started. */
  readonly startTime: number;
}

/** The identity of process (or thread) `pid` now, or `undefined` if there is none. */
export function processIdentity(pid: number = process.pid): ProcessIdentity | undefined {
  const startTime = native().processStartTime(pid);
  return startTime < 0 ? undefined : { pid, startTime };
}

/**
 * Whether `who` is running: a pid (any process of that pid), or an identity
 * (the very process recorded, not a later one that reused its pid).
 * Zombies are dead.
 */
export function isProcessAlive(who: number | ProcessIdentity): boolean {
  return typeof who === 'number' ? native().processAlive(who) : native().processAlive(who.pid, who.startTime);
}

let tid: number | undefined;

/**
 * The kernel id of the calling thread: unique among the live threads of
 * every process on the host (the main thread's is the pid), stable for the
 * thread's life, and a valid argument to {@link processIdentity}. The
 * processes scope's `selfId()`.
 */
export function selfThreadId(): number {
  return (tid ??= native().gettid());
}

/** A start time as a robust lock's stamp word holds it: its low 32 bits, never 0 (0 means "unknown"). */
function stampOf(startTime: number): number {
  return startTime | 0 || 1;
}

let stamp: number | undefined;

/**
 * The calling thread's start time as a nonzero 32-bit stamp: what a robust
 * lock records beside the holder's {@link selfThreadId}, so that a waiter
 * can tell the holder from a later thread or process that reuses its id.
 */
export function selfStamp(): number {
  return (stamp ??= stampOf(native().processStartTime(selfThreadId())));
}

/**
 * Whether thread (or process) `id` is running and — when `stamp` is not 0 —
 * is the one that {@link selfStamp} returned `stamp` for, not a later one
 * with the same id. Zombies are dead. The stamp keeps only the low 32 bits of
 * the start time: two threads with one id whose start times differ by an exact
 * multiple of 2^32 clock ticks (over a year at 100 Hz) would be confused.
 */
export function isPartyAlive(id: number, stamp: number): boolean {
  const addon = native();
  if (!addon.processAlive(id)) return false;
  if (stamp === 0) return true;
  const startTime = addon.processStartTime(id);
  return startTime >= 0 && stampOf(startTime) === stamp;
}
