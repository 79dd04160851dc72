/**
 * The memory interface: where a primitive's shared words live and how a
 * primitive names them so another party can reach the same words.
 *
 * A primitive asks its class's memory for words when constructed
 * (`claimWords`), and describes them when it crosses to another party. The
 * other side attaches to the description and constructs the primitive over the
 * attached words (`attachWords` + `constructAttached`) instead of fresh ones.
 */

import { threadId } from 'node:worker_threads';
import { isThreadAlive } from '../run/liveness.js';
import type { Waiter } from './waiter.js';
import { atomicsWaiter } from './waiter.js';

/** The scopes weft knows. */
export type ScopeName = 'threads' | 'processes' | 'cluster';

export interface Memory {
  /** Which scope this memory serves; named in errors and descriptors. */
  readonly scope: ScopeName;
  /** How parties sleep on and wake words of this memory. */
  readonly waiter: Waiter;
  /** Fresh zero-filled shared bytes, 8-byte aligned. */
  allocate(byteLength: number): SharedArrayBuffer;
  /** Fresh zero-filled shared bytes that can grow in place up to `maxByteLength`. */
  allocateGrowable(byteLength: number, maxByteLength: number): SharedArrayBuffer;
  /** A nonzero id of the calling thread, unique among every party of this memory. */
  selfId(): number;
  /**
   * What tells the calling thread apart from a later thread that reuses its
   * {@link selfId} (its start time, in the processes scope); 0 where ids are
   * never reused. Robust locks record it beside their holder's id.
   */
  selfStamp(): number;
  /**
   * Whether the party `id` (a {@link selfId}) may still be running: `false`
   * only when it has certainly died (or, given its `stamp`, when `id` now
   * names somebody else). `stamp` 0 means "not known": the id alone decides.
   */
  isAlive(id: number, stamp: number): boolean;
}

/** The threads scope: plain `SharedArrayBuffer`s, woken by `Atomics`. */
export const threadsMemory: Memory = {
  scope: 'threads',
  waiter: atomicsWaiter,
  allocate(byteLength) {
    return new SharedArrayBuffer(byteLength);
  },
  allocateGrowable(byteLength, maxByteLength) {
    return new SharedArrayBuffer(byteLength, { maxByteLength });
  },
  selfId() {
    // threadId is unique per process for its whole life; the main thread is 0.
    return threadId + 1;
  },
  selfStamp() {
    return 0; // threadIds are never reused within a process
  },
  isAlive(id) {
    // Deaths of threads started by Thread or a pool are marked when they exit.
    return isThreadAlive(id - 1);
  },
};

/**
 * The static property a primitive class carries to say which memory its
 * instances live in. The threads scope's classes leave it unset (the default);
 * another scope's context subclasses the same class and sets it.
 */
export const MEMORY: unique symbol = Symbol.for('weft.memory');

/** The memory instances of `cls` (a class or `new.target`) live in. */
export function memoryOf(cls: unknown): Memory {
  return ((cls as { [MEMORY]?: Memory } | undefined)?.[MEMORY]) ?? threadsMemory;
}

let attached: Int32Array | undefined;

/**
 * Runs `make` (which calls a primitive's constructor) so that the constructor's
 * {@link claimWords} returns `words` instead of allocating. This is how a
 * revived handle is built over existing shared state while the class keeps an
 * ordinary public constructor.
 */
export function constructAttached<T>(words: Int32Array, make: () => T): T {
  attached = words;
  try {
    return make();
  } finally {
    attached = undefined;
  }
}

/**
 * The words of the primitive being constructed: the attached ones when
 * reviving, otherwise `count` fresh words from `memory`, passed to `init`
 * (which only ever sees fresh words, so a revived handle never re-initialises
 * live state). Must be the first thing a constructor does, before it
 * constructs anything else.
 */
export function claimWords(memory: Memory, count: number, init?: (words: Int32Array) => void): Int32Array {
  const words = attached;
  attached = undefined;
  if (words === undefined) {
    const fresh = new Int32Array(memory.allocate(count * 4));
    init?.(fresh);
    return fresh;
  }
  if (words.length !== count) {
    throw new TypeError(`cannot attach: expected ${count} shared words, got ${words.length}`);
  }
  return words;
}
