/**
 * The allocator under SharedDict and SharedList: blocks in one growable
 * SharedArrayBuffer (layout in container-layout.ts), handed out by a bump
 * pointer and reclaimed by sliding compaction.
 *
 * Allocation bumps TOP. Freeing a block marks it FREE and counts its bytes as
 * garbage (a block at the very top just lowers TOP). When a block does not
 * fit, the arena either compacts — when at least half of what lies below TOP
 * is garbage — or grows, doubling, up to its limit. Growing therefore only
 * happens while more than half the bytes are live, so the arena stays within
 * about four times the live bytes however long the churn; compaction costs
 * time in proportion to the arena and reclaims at least half of it, so its
 * cost per allocated byte is constant.
 *
 * Compaction is Lisp 2's sliding collector: one pass writes each live
 * block's new offset into its STATE word, the container rewrites every
 * offset it holds (its tables, read at their old places) through that
 * forwarding, and a second pass slides the blocks down in address order.
 * Blocks move, so nobody keeps an offset across an allocation: the
 * containers re-read their table offsets after every `allocate`.
 *
 * Everything here runs under the container's lock. The views are
 * fixed-length (V8 indexes length-tracking views of growable buffers much
 * more slowly) and remade by `refresh()` when another thread has grown the
 * arena.
 */

import type { Memory } from '../memory/memory.js';
import {
  ARENA_START, BLOCK_HEADER, BUFFERS, CAPACITY, FREE_BLOCK, GARBAGE, INITIAL_ARENA, KEY_LENGTH, LIVE_BLOCK, MAX, SIZE,
  STATE, TABLE, TOKEN, TOP, USED, VALUE_LENGTH, blockSize,
} from './container-layout.js';

/** Rewrites every block offset a container holds: `forward(old)` is the block's new offset. */
export type Relocate = (forward: (offset: number) => number) => void;

/** A fresh arena buffer for a container whose header is `words`. */
export function createArena(memory: Memory, words: Int32Array, maxBytes: number): SharedArrayBuffer {
  const initial = Math.min(INITIAL_ARENA, maxBytes);
  const buffer = memory.allocateGrowable(initial, maxBytes);
  words[CAPACITY] = initial;
  words[MAX] = maxBytes;
  words[TOP] = ARENA_START;
  words[GARBAGE] = 0;
  return buffer;
}

export class Arena {
  readonly #words: Int32Array;
  readonly #buffer: SharedArrayBuffer;
  #relocate: Relocate = () => {};
  #bytes: Uint8Array = new Uint8Array(0);
  #ints: Int32Array = new Int32Array(0);

  constructor(words: Int32Array, buffer: SharedArrayBuffer) {
    this.#words = words;
    this.#buffer = buffer;
  }

  /** The buffer, as it crosses to another thread. */
  get buffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** The arena's bytes (valid until the next allocation or refresh). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** The arena as int32 words: a block's header word w is `ints[(offset >> 2) + w]`. */
  get ints(): Int32Array {
    return this.#ints;
  }

  /** Says how the container rewrites its offsets when blocks move. */
  onRelocate(relocate: Relocate): void {
    this.#relocate = relocate;
  }

  /** Remakes the views if the arena grew since this thread last looked. Call first under the lock. */
  refresh(): void {
    const capacity = this.#words[CAPACITY]!;
    if (this.#bytes.length === capacity) return;
    this.#bytes = new Uint8Array(this.#buffer, 0, capacity);
    this.#ints = new Int32Array(this.#buffer, 0, capacity >> 2);
  }

  /**
   * A new block with room for `payload` bytes; its header says LIVE, with
   * no key, value or buffers. May compact (moving every other block) or grow.
   *
   * @throws RangeError if the arena cannot hold it within its limit; nothing changes then.
   */
  allocate(payload: number, what: string): number {
    const size = blockSize(payload);
    this.reserve(size, what);
    const words = this.#words;
    const block = words[TOP]!;
    words[TOP] = block + size;
    const at = block >> 2;
    const ints = this.#ints;
    ints[at + SIZE] = size;
    ints[at + STATE] = LIVE_BLOCK;
    ints[at + KEY_LENGTH] = 0;
    ints[at + VALUE_LENGTH] = 0;
    ints[at + TOKEN] = 0;
    ints[at + BUFFERS] = 0;
    return block;
  }

  /**
   * Makes sure `bytes` more bytes can be allocated by bumping alone, so that
   * the allocations that follow neither fail nor move blocks. Compacts or
   * grows if needed.
   *
   * @throws RangeError if they cannot fit within the arena's limit; nothing changes then.
   */
  reserve(bytes: number, what: string): void {
    const words = this.#words;
    const top = words[TOP]!;
    const capacity = words[CAPACITY]!;
    if (top + bytes <= capacity) return;
    const garbage = words[GARBAGE]!;
    const live = top - garbage;
    const max = words[MAX]!;
    // Grow without compacting only while at most half is garbage: that bounds the arena.
    if (garbage * 2 < top && top + bytes <= max) return this.#grow(top + bytes);
    if (live + bytes > max) {
      throw new RangeError(
        `${what}: needs ${bytes} more bytes of shared memory, but the container may not grow beyond its maxBytes ` +
          `(${max}; ${live} bytes in use)`,
      );
    }
    this.#compact();
    if (live + bytes > capacity) this.#grow(live + bytes);
  }

  /** Frees a block: its bytes become garbage, or lower TOP if it is the top block. */
  free(block: number): void {
    const words = this.#words;
    const at = block >> 2;
    const size = this.#ints[at + SIZE]!;
    if (block + size === words[TOP]) {
      words[TOP] = block;
    } else {
      this.#ints[at + STATE] = FREE_BLOCK;
      words[GARBAGE] += size;
    }
  }

  /**
   * Forgets every block at once, the container's table included (TABLE and
   * USED become 0, as in a new container): the container was cleared and
   * builds an empty table next. The capacity stays.
   */
  reset(): void {
    const words = this.#words;
    words[TOP] = ARENA_START;
    words[GARBAGE] = 0;
    words[TABLE] = 0;
    words[USED] = 0;
  }

  /** The payload bytes a block can hold. */
  room(block: number): number {
    return this.#ints[(block >> 2) + SIZE]! - BLOCK_HEADER;
  }

  /** Grows to at least `needed` bytes (doubling, at most MAX). The buffer only ever grows. */
  #grow(needed: number): void {
    const words = this.#words;
    let capacity = words[CAPACITY]!;
    while (capacity < needed) capacity = Math.min(capacity * 2, words[MAX]!);
    // A processes-scope arena is reserved at its full size up front and never grown.
    if (capacity > this.#buffer.byteLength) this.#buffer.grow(capacity);
    words[CAPACITY] = capacity;
    this.refresh();
  }

  #compact(): void {
    const words = this.#words;
    const ints = this.#ints;
    const top = words[TOP]!;
    // Pass 1: the new offset of every live block, in its STATE word (always >= ARENA_START, so never FREE).
    let to = ARENA_START;
    for (let block = ARENA_START; block < top; block += ints[block >> 2]!) {
      const at = block >> 2;
      if (ints[at + STATE] === FREE_BLOCK) continue;
      ints[at + STATE] = to;
      to += ints[at + SIZE]!;
    }
    // Pass 2: the container rewrites its offsets (its tables have not moved yet).
    this.#relocate((offset) => ints[(offset >> 2) + STATE]!);
    // Pass 3: slide down. A block only moves to lower addresses, and never
    // past its own end, so the next block's header is intact when read.
    const bytes = this.#bytes;
    for (let block = ARENA_START; block < top; ) {
      const at = block >> 2;
      const size = ints[at + SIZE]!;
      const target = ints[at + STATE]!;
      if (target !== FREE_BLOCK) {
        if (target !== block) bytes.copyWithin(target, block, block + size);
        ints[(target >> 2) + STATE] = LIVE_BLOCK;
      }
      block += size;
    }
    words[TOP] = to;
    words[GARBAGE] = 0;
  }
}
