/**
 * Processes-scope shared memory: POSIX shared-memory segments (files in
 * /dev/shm) mapped by the addon as real `SharedArrayBuffer`s, so `Atomics`
 * and typed arrays work on them as on any shared buffer, across processes.
 *
 * How many segments: small allocations (a Lock's word, a Queue's header) come
 * from one *arena* segment per process — 64 KiB, bump-allocated in
 * cache-line steps, a new arena when it is full — rather than one segment
 * each, which would cost a file, a mapping and a page per word. Larger
 * allocations (over 16 KiB: rings, arrays) get a segment of their own.
 *
 * Names: `weft.<uid>.<namespace>.<pid>.<seq>` (see segment-names.ts), so
 * users and applications never collide and the sweep knows what is whose.
 * Files are mode 0600.
 *
 * Lifetime: every process mapping a segment holds a user slot in its header
 * (pid + start time) while any view of it lives in that process, and gives it
 * back when the last one is garbage-collected or at normal exit. The last
 * live user to give its slot back unlinks the name; mappings stay valid, only
 * new attaches fail. So a buffer stays attachable while some process that
 * holds it lives: a sender must keep the object alive until the receiver has
 * attached (as with Python's shared memory). Crashed users give nothing back;
 * {@link sweepSegments} removes what they leave.
 */

import { SegmentCorruptError, SegmentError, SegmentExistsError, SegmentMismatchError, SegmentNotFoundError } from '../errors.js';
import { native } from './native.js';
import { segmentPrefix } from './segment-names.js';
import { sweepOnce } from './segment-sweep.js';

/** Where processes-scope bytes live: all another process needs to attach to the same bytes. */
export interface SegmentSlice {
  /** The segment's name (a file in /dev/shm). */
  readonly segment: string;
  /** Byte offset in the segment's data. */
  readonly offset: number;
  readonly byteLength: number;
}

/** Size of a process's arena segments. */
export const ARENA_BYTES = 64 * 1024;
/** Allocations larger than this get a segment of their own. */
export const OWN_SEGMENT_BYTES = ARENA_BYTES / 4;
/** How long an attacher waits for a creator to finish a segment's header. */
const READY_TIMEOUT_MS = 2000;

/** A segment name: one file name in /dev/shm. */
const SEGMENT_NAME = /^[A-Za-z0-9_.-]{1,200}$/;

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || !SEGMENT_NAME.test(name)) {
    throw new TypeError(`${what}: a segment name is 1 to 200 letters, digits, '_', '-' or '.', got ${JSON.stringify(name)}`);
  }
}

function checkLength(what: string, name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** The typed error for a failure the addon reported about `segment`. */
function failure(segment: string, error: unknown): unknown {
  const { code, message } = error as { code?: unknown; message?: string };
  const options = { cause: error };
  switch (code) {
    case 'ENOENT':
      return new SegmentNotFoundError(segment, `no processes-scope segment named '${segment}' (it was never made, or every process that held it has exited)`, options);
    case 'EEXIST':
      return new SegmentExistsError(segment, `a segment named '${segment}' already exists`, options);
    case 'ERR_WEFT_SEGMENT_SIZE':
    case 'ERR_WEFT_SEGMENT_KIND':
      return new SegmentMismatchError(segment, message!, options);
    case 'ERR_WEFT_SEGMENT_CORRUPT':
    case 'ERR_WEFT_SEGMENT_NOT_READY':
      return new SegmentCorruptError(segment, message!, options);
    default:
      // A system error (ENOSPC, EMFILE...): errors without a code are misuse, thrown as they are.
      return typeof code === 'string' ? new SegmentError(segment, message!, options) : error;
  }
}

function attempt<T>(segment: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw failure(segment, error);
  }
}

/**
 * `byteLength` fresh zero-filled shared bytes, 64-byte aligned: from this
 * process's arena, or a segment of their own when larger than
 * {@link OWN_SEGMENT_BYTES}.
 *
 * @throws ProcessesScopeUnavailableError where the addon cannot be used.
 * @throws SegmentError when no segment can be made (no room in /dev/shm...).
 */
export function allocateShared(byteLength: number): SharedArrayBuffer {
  const addon = native();
  checkLength('processes memory allocate()', 'byteLength', byteLength, 0);
  sweepOnce();
  const prefix = segmentPrefix();
  const layout = addon.segmentLayout;
  if (byteLength > OWN_SEGMENT_BYTES) {
    return attempt(prefix, () => addon.segmentCreate(prefix, byteLength, layout.kindBlock, 0, layout.reserve | layout.uniqueName));
  }
  return attempt(prefix, () => addon.arenaAllocate(prefix, byteLength, ARENA_BYTES));
}

/**
 * Shared bytes for a buffer that grows up to `maxByteLength`: a segment of
 * its own, mapped at its full size from the start. A mapped file cannot back
 * a growable SharedArrayBuffer (V8 grows those in memory it reserved
 * itself), so the buffer is fixed-length with `byteLength === maxByteLength`
 * and growing is simply using more of it: /dev/shm files are sparse, so pages
 * never written cost nothing. Callers keep their current size in a shared
 * word (as the queue's ring does) and never call `grow()`.
 *
 * Unlike {@link allocateShared}, the pages are not reserved up front: if
 * /dev/shm fills up, a first write to a new page raises SIGBUS.
 */
export function allocateReserved(byteLength: number, maxByteLength: number): SharedArrayBuffer {
  const addon = native();
  checkLength('processes memory allocateGrowable()', 'byteLength', byteLength, 0);
  checkLength('processes memory allocateGrowable()', 'maxByteLength', maxByteLength, byteLength);
  sweepOnce();
  const prefix = segmentPrefix();
  return attempt(prefix, () => addon.segmentCreate(prefix, maxByteLength, addon.segmentLayout.kindBlock, 0, addon.segmentLayout.uniqueName));
}

/** Options of {@link createNamedSegment}. */
export interface NamedSegmentOptions {
  /** A layout id the creator stores and attachers check (nonzero 32-bit). Default: none. */
  tag?: number;
  /** Keep the name when the last user lets go (until {@link unlinkSegment} or the sweep). Default `false`. */
  keep?: boolean;
}

/**
 * A new segment under exactly `name`, its data `byteLength` zero-filled bytes
 * (reserved now: a full /dev/shm fails here, not later).
 *
 * @throws SegmentExistsError if the name is taken.
 */
export function createNamedSegment(name: string, byteLength: number, options: NamedSegmentOptions = {}): SharedArrayBuffer {
  const addon = native();
  checkName('createNamedSegment()', name);
  checkLength('createNamedSegment()', 'byteLength', byteLength, 0);
  sweepOnce();
  const { kindNamed, reserve, keep } = addon.segmentLayout;
  return attempt(name, () => addon.segmentCreate(name, byteLength, kindNamed, options.tag ?? 0, reserve | (options.keep ? keep : 0)));
}

/** Options of {@link attachNamedSegment}. */
export interface AttachSegmentOptions {
  /** The layout id the segment must carry. Default: any. */
  tag?: number;
  /** The data size the segment must have. Default: any. */
  byteLength?: number;
  /** Longest wait in milliseconds for a creator still writing the header. Default 2000. */
  timeout?: number;
}

/**
 * The data of the existing segment `name` (made by {@link createNamedSegment}),
 * synchronously. Waits (`timeout`, 2 s by default) for a creator still
 * writing the header.
 *
 * @throws SegmentNotFoundError if no segment has that name.
 * @throws SegmentMismatchError for another kind, layout tag or size.
 * @throws SegmentCorruptError for a header that is not weft's, of another
 *   version, or never completed.
 */
export function attachNamedSegment(name: string, options: AttachSegmentOptions = {}): SharedArrayBuffer {
  const addon = native();
  checkName('attachNamedSegment()', name);
  const { kindNamed } = addon.segmentLayout;
  const timeout = options.timeout ?? READY_TIMEOUT_MS;
  return attempt(name, () => addon.segmentAttach(name, kindNamed, options.tag ?? 0, options.byteLength ?? 0, timeout));
}

/** Removes the name `name`; existing mappings keep working. Returns whether there was one. */
export function unlinkSegment(name: string): boolean {
  const addon = native();
  checkName('unlinkSegment()', name);
  return attempt(name, () => addon.segmentUnlink(name));
}

/** Whether `memory` is processes-scope memory (a buffer or a view on one). */
export function isProcessShared(memory: SharedArrayBuffer | ArrayBufferView): boolean {
  const buffer = ArrayBuffer.isView(memory) ? memory.buffer : memory;
  return buffer instanceof SharedArrayBuffer && native().segmentLocate(buffer) !== undefined;
}

/**
 * Where `memory` lives, for another process to {@link attachShared} to: the
 * whole buffer, or just the bytes of a view.
 *
 * @throws TypeError if `memory` is not processes-scope memory (a threads-scope
 *   `SharedArrayBuffer` cannot reach another process).
 */
export function describeShared(memory: SharedArrayBuffer | ArrayBufferView): SegmentSlice {
  const view = ArrayBuffer.isView(memory) ? memory : undefined;
  const buffer = view === undefined ? memory : view.buffer;
  const located = buffer instanceof SharedArrayBuffer ? native().segmentLocate(buffer) : undefined;
  if (located === undefined) {
    throw new TypeError('describeShared(): not processes-scope memory (only buffers from processes memory can reach another process)');
  }
  const [segment, offset] = located;
  return view === undefined
    ? { segment, offset, byteLength: buffer.byteLength }
    : { segment, offset: offset + view.byteOffset, byteLength: view.byteLength };
}

/**
 * A `SharedArrayBuffer` over the bytes `slice` describes, in this process:
 * the same memory the describing process sees. Synchronous; mapping a segment
 * this process already maps costs no system call.
 *
 * @throws SegmentNotFoundError if the segment is gone (every process that
 *   held it has let go or exited).
 * @throws SegmentMismatchError if the slice lies outside the segment.
 * @throws SegmentCorruptError for a damaged header.
 */
export function attachShared(slice: SegmentSlice): SharedArrayBuffer {
  const addon = native();
  const { segment, offset, byteLength } = slice ?? ({} as SegmentSlice);
  checkName('attachShared()', segment);
  checkLength('attachShared()', 'offset', offset, 0);
  checkLength('attachShared()', 'byteLength', byteLength, 0);
  const whole = attempt(segment, () => addon.segmentAttach(segment, 0, 0, 0, READY_TIMEOUT_MS));
  if (offset + byteLength > whole.byteLength) {
    throw new SegmentMismatchError(segment, `segment '${segment}' holds ${whole.byteLength} bytes; bytes ${offset}..${offset + byteLength} lie outside it`);
  }
  return addon.segmentView(whole, offset, byteLength);
}
