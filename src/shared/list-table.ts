/**
 * SharedList's table: the items' block offsets, in order, in one arena
 * block of SLOTS int32 refs, the first USED of which are the items (see
 * container-layout.ts). Inserting and removing shift refs, never item
 * bytes; the table doubles when full and halves when three quarters empty.
 *
 * Runs under the container's lock. Block offsets move when the arena
 * compacts, so nothing here keeps one across an allocation.
 */

import type { Arena } from './arena.js';
import { BLOCK_HEADER, MIN_REFS, SLOTS, TABLE, USED } from './container-layout.js';

export class ListTable {
  readonly #words: Int32Array;
  readonly #arena: Arena;

  constructor(words: Int32Array, arena: Arena) {
    this.#words = words;
    this.#arena = arena;
  }

  /** A fresh, empty table, for a new list or a cleared one (whose arena was reset: no table). */
  reset(what: string): void {
    this.#resize(MIN_REFS, what);
  }

  get length(): number {
    return this.#words[USED]!;
  }

  /** The int32 index in the arena of the first ref. */
  get #base(): number {
    return (this.#words[TABLE]! + BLOCK_HEADER) >> 2;
  }

  /** The block of item `index`. */
  at(index: number): number {
    return this.#arena.ints[this.#base + index]!;
  }

  setAt(index: number, block: number): void {
    this.#arena.ints[this.#base + index] = block;
  }

  /** A copy of the refs, for a sort to check and permute. */
  copy(): Int32Array {
    const base = this.#base;
    return this.#arena.ints.slice(base, base + this.length);
  }

  /**
   * Makes room for `extra` more refs without a resize, resizing now if
   * needed. May allocate, so blocks may move.
   *
   * @throws RangeError if the arena cannot hold the bigger table; nothing changes then.
   */
  ensureRoom(extra: number, what: string): void {
    const slots = this.#words[SLOTS]!;
    const needed = this.length + extra;
    if (needed > slots) this.#resize(Math.max(slots * 2, needed), what);
  }

  /** Halves the table while it is three quarters empty; gives up quietly if the arena has no room for it. */
  shrink(what: string): void {
    let slots = this.#words[SLOTS]!;
    while (slots > MIN_REFS && this.length * 4 <= slots) slots >>= 1;
    if (slots === this.#words[SLOTS]) return;
    try {
      this.#resize(slots, what);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }

  /** Replaces the `count` refs at `from` by `inserted` unset slots (room must have been made). */
  replace(from: number, count: number, inserted: number): void {
    const words = this.#words;
    const base = this.#base;
    const length = words[USED]!;
    if (count !== inserted) this.#arena.ints.copyWithin(base + from + inserted, base + from + count, base + length);
    words[USED] = length - count + inserted;
  }

  /** Reverses the refs in place. */
  reverse(): void {
    const base = this.#base;
    this.#arena.ints.subarray(base, base + this.length).reverse();
  }

  /** Puts `refs[order[i]]` at position i. */
  permute(refs: Int32Array, order: readonly number[]): void {
    const ints = this.#arena.ints;
    const base = this.#base;
    for (let i = 0; i < order.length; i++) ints[base + i] = refs[order[i]!]!;
  }

  #resize(slots: number, what: string): void {
    const words = this.#words;
    const arena = this.#arena;
    const fresh = arena.allocate(slots * 4, what);
    // Read the old table only now: the allocation may have moved it.
    const old = words[TABLE]!;
    if (old !== 0) {
      const from = (old + BLOCK_HEADER) >> 2;
      arena.ints.copyWithin((fresh + BLOCK_HEADER) >> 2, from, from + words[USED]!);
      arena.free(old);
    }
    words[TABLE] = fresh;
    words[SLOTS] = slots;
  }

  /** Rewrites the table's offsets for a compaction (see arena.ts). */
  relocate(forward: (offset: number) => number): void {
    const words = this.#words;
    if (words[TABLE] === 0) return;
    const ints = this.#arena.ints;
    const base = this.#base;
    for (let i = 0; i < words[USED]!; i++) ints[base + i] = forward(ints[base + i]!);
    words[TABLE] = forward(words[TABLE]!);
  }
}
