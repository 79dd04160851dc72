/**
 * How the processes scope names SharedMemory blocks: each block is a named
 * POSIX segment, `weft.<uid>.<namespace>.shm.<name>` in /dev/shm (mode 0600;
 * namespace from `WEFT_NAMESPACE`, see memory/segment-names.ts), so any
 * process of the same user and namespace attaches to it by name alone,
 * synchronously, without having been handed anything but the name.
 *
 * Lifetime, Python's rules carried over to segments that count their users:
 *
 * - `close()` ends one handle's use; it never removes the name.
 * - `unlink()` removes the name at once (attaching fails from then on);
 *   every mapping keeps working, and the bytes go when the last is gone.
 * - The creating process holds the name until it calls `unlink()` or exits
 *   (a block made in a worker thread: until that thread exits).
 *   At its normal exit the name is removed, unless another live process
 *   still maps the block: then it goes when the last of those lets go of it
 *   (its handles garbage-collected, or its normal exit).
 * - A process killed by a signal gives nothing back; the sweep
 *   (`sweepSegments()`, and the first processes-scope allocation of every
 *   process) removes a block that no live process uses.
 */

import { SegmentExistsError, SegmentNotFoundError } from '../errors.js';
import type { Memory } from '../memory/memory.js';
import { native } from '../memory/native.js';
import { segmentPrefix } from '../memory/segment-names.js';
import { attachNamedSegment, createNamedSegment, unlinkSegment } from '../memory/segments.js';
import { SharedMemoryNotFoundError, type BlockNames } from './shared-memory.js';

/** The layout id a SharedMemory block's segment carries ('WNSM'), checked on attach. */
const BLOCK_TAG = 0x574e534d;

/** A block name: what may follow the namespace in a segment name. */
const BLOCK_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/**
 * The blocks this thread created and has not unlinked. Holding the buffer
 * holds this process's user slot in the segment, so the name outlives the
 * creator's handles (as a Python block outlives `close()`) until `unlink()`
 * or exit.
 */
const created = new Map<string, SharedArrayBuffer>();

/** The segment a block named `name` lives in. */
export function blockSegment(name: string): string {
  return `${segmentPrefix()}.shm.${name}`;
}

function notFound(name: string, error: unknown): unknown {
  return error instanceof SegmentNotFoundError ? new SharedMemoryNotFoundError(name, { cause: error }) : error;
}

/** The processes scope's {@link BlockNames}: named segments. */
export const segmentBlockNames: BlockNames = {
  check(name) {
    if (!BLOCK_NAME.test(name)) {
      throw new TypeError(
        `SharedMemory(): a processes-scope block name is 1 to 128 letters, digits, '_', '-' or '.' (not starting with '.'), got ${JSON.stringify(name)}`,
      );
    }
  },

  create(_memory: Memory, name, size) {
    let buffer: SharedArrayBuffer;
    try {
      buffer = createNamedSegment(blockSegment(name), size, { tag: BLOCK_TAG });
    } catch (error) {
      if (error instanceof SegmentExistsError) return undefined;
      throw error;
    }
    created.set(name, buffer);
    return buffer;
  },

  attach(name, size) {
    if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0)) {
      throw new RangeError(`SharedMemory(): size must be a positive integer number of bytes, got ${String(size)}`);
    }
    try {
      return attachNamedSegment(blockSegment(name), { tag: BLOCK_TAG, byteLength: size as number | undefined });
    } catch (error) {
      throw notFound(name, error);
    }
  },

  unlink(name) {
    created.delete(name);
    return unlinkSegment(blockSegment(name));
  },

  closed(name) {
    // A creator keeps the name (Python's close() never unlinks) — unless it is
    // gone already (another process unlinked it): then nothing needs the pin.
    if (created.has(name) && native().segmentInspect(blockSegment(name)) === undefined) created.delete(name);
  },
};
