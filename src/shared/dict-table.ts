/**
 * SharedDict's table: CPython's compact dict (Objects/dictobject.c) over an
 * arena block. An open-addressing index of SLOTS int32 slots holds entry
 * numbers; the entries, in insertion order, hold (hash, block). Probing
 * follows CPython: `i = (5i + perturb + 1) & mask`, `perturb >>>= 5`, so
 * every slot is reached and the high bits of the hash take part.
 *
 * Deleting marks the slot DUMMY and the entry's block 0; insertion goes to
 * the first EMPTY slot and appends an entry. When FILL (slots not EMPTY)
 * reaches the usable two thirds, the table is rebuilt for three times the
 * live entries (CPython's GROWTH_RATE), which also drops deleted entries.
 * `popLast` trims the entries after the one it removes, so popping every
 * item is linear, as `dict.popitem()` is.
 *
 * Runs under the container's lock. Block offsets move when the arena
 * compacts, so nothing here keeps one across an allocation.
 */

import type { Arena } from './arena.js';
import {
  BLOCK_HEADER, DUMMY, EMPTY, FILL, KEY_LENGTH, LIVE, MIN_SLOTS, SLOTS, TABLE, USED, VERSION, usable,
} from './container-layout.js';
import { sameKey, type EncodedKey } from './dict-key.js';

/** The slots of a table built for `live` entries with room for `extra` more (CPython: at least 3x live). */
function slotsFor(live: number, extra: number): number {
  let slots = MIN_SLOTS;
  while (slots < live * 3 || usable(slots) < live + extra) slots *= 2;
  return slots;
}

export class DictTable {
  readonly #words: Int32Array;
  readonly #arena: Arena;

  constructor(words: Int32Array, arena: Arena) {
    this.#words = words;
    this.#arena = arena;
  }

  /** A fresh, empty table, for a new dict or a cleared one (whose arena was reset: no table). */
  reset(what: string): void {
    this.#words[VERSION]!++; // live iterators of what was there stop
    this.#build(MIN_SLOTS, what);
  }

  /** Live entries. */
  get size(): number {
    return this.#words[LIVE]!;
  }

  /** Entries used, deleted ones included: entry numbers run below this. */
  get used(): number {
    return this.#words[USED]!;
  }

  /** The int32 index in the arena of the table's first slot. */
  get #base(): number {
    return (this.#words[TABLE]! + BLOCK_HEADER) >> 2;
  }

  /** The int32 index of entry `entry`'s hash (its block follows). */
  #entry(entry: number): number {
    return this.#base + this.#words[SLOTS]! + 2 * entry;
  }

  /** The block of entry `entry`; 0 if it was deleted. */
  blockOf(entry: number): number {
    return this.#arena.ints[this.#entry(entry) + 1]!;
  }

  setBlock(entry: number, block: number): void {
    this.#arena.ints[this.#entry(entry) + 1] = block;
  }

  /** The entry holding `key`, or -1. */
  find(key: EncodedKey): number {
    const ints = this.#arena.ints;
    const bytes = this.#arena.bytes;
    const base = this.#base;
    const mask = this.#words[SLOTS]! - 1;
    const entries = base + mask + 1;
    const hash = key.hash;
    let perturb = hash >>> 0;
    for (let i = perturb & mask; ; ) {
      const entry = ints[base + i]!;
      if (entry === EMPTY) return -1;
      if (entry >= 0 && ints[entries + 2 * entry] === hash) {
        const block = ints[entries + 2 * entry + 1]!;
        if (sameKey(bytes, block + BLOCK_HEADER, ints[(block >> 2) + KEY_LENGTH]!, key)) return entry;
      }
      perturb >>>= 5;
      i = (i * 5 + perturb + 1) & mask;
    }
  }

  /** The slot holding `entry` (whose hash is `hash`). */
  #slotOf(hash: number, entry: number): number {
    const ints = this.#arena.ints;
    const base = this.#base;
    const mask = this.#words[SLOTS]! - 1;
    let perturb = hash >>> 0;
    for (let i = perturb & mask; ; ) {
      if (ints[base + i] === entry) return i;
      perturb >>>= 5;
      i = (i * 5 + perturb + 1) & mask;
    }
  }

  /** Puts `entry` in the first EMPTY slot of `hash`'s probe sequence. */
  #place(ints: Int32Array, base: number, mask: number, hash: number, entry: number): void {
    let perturb = hash >>> 0;
    let i = perturb & mask;
    while (ints[base + i] !== EMPTY) {
      perturb >>>= 5;
      i = (i * 5 + perturb + 1) & mask;
    }
    ints[base + i] = entry;
  }

  /**
   * Makes room for `extra` more entries without a rebuild, rebuilding now
   * if needed. May allocate, so blocks may move.
   *
   * @throws RangeError if the arena cannot hold the bigger table; nothing changes then.
   */
  ensureRoom(extra: number, what: string): void {
    const words = this.#words;
    if (words[FILL]! + extra <= usable(words[SLOTS]!)) return;
    this.#build(slotsFor(words[LIVE]!, extra), what);
  }

  /** Appends an entry for `block` (whose key hashes to `hash`). Needs room: see {@link ensureRoom}. */
  insert(hash: number, block: number): void {
    const words = this.#words;
    const entry = words[USED]!;
    const ints = this.#arena.ints;
    const base = this.#base;
    const at = this.#entry(entry);
    ints[at] = hash;
    ints[at + 1] = block;
    this.#place(ints, base, words[SLOTS]! - 1, hash, entry);
    words[USED] = entry + 1;
    words[LIVE]!++;
    words[VERSION]!++;
    words[FILL]!++;
  }

  /** Removes entry `entry` (live); its block is the caller's to free. */
  remove(entry: number): void {
    const ints = this.#arena.ints;
    const at = this.#entry(entry);
    ints[this.#base + this.#slotOf(ints[at]!, entry)] = DUMMY;
    ints[at + 1] = 0;
    this.#words[LIVE]!--;
    this.#words[VERSION]!++;
  }

  /** The last live entry, or -1 if the dict is empty. */
  last(): number {
    for (let entry = this.#words[USED]! - 1; entry >= 0; entry--) if (this.blockOf(entry) !== 0) return entry;
    return -1;
  }

  /** Removes the last live entry `entry` and trims the deleted ones after it (popitem). */
  removeLast(entry: number): void {
    this.remove(entry);
    this.#words[USED] = entry;
  }

  /** Rebuilds the table with `slots` slots, keeping the live entries in order. */
  #build(slots: number, what: string): void {
    const words = this.#words;
    const arena = this.#arena;
    const entries = usable(slots);
    const fresh = arena.allocate((slots + 2 * entries) * 4, what);
    const ints = arena.ints;
    const base = (fresh + BLOCK_HEADER) >> 2;
    ints.fill(EMPTY, base, base + slots);
    // Read the old table only now: the allocation may have moved it.
    const old = words[TABLE]!;
    let count = 0;
    if (old !== 0) {
      const oldEntries = this.#entry(0);
      for (let entry = 0; entry < words[USED]!; entry++) {
        const hash = ints[oldEntries + 2 * entry]!;
        const block = ints[oldEntries + 2 * entry + 1]!;
        if (block === 0) continue;
        ints[base + slots + 2 * count] = hash;
        ints[base + slots + 2 * count + 1] = block;
        this.#place(ints, base, slots - 1, hash, count);
        count++;
      }
      arena.free(old);
    }
    words[TABLE] = fresh;
    words[SLOTS] = slots;
    words[USED] = count;
    words[LIVE] = count;
    words[FILL] = count;
  }

  /** Rewrites the table's offsets for a compaction (see arena.ts). */
  relocate(forward: (offset: number) => number): void {
    const ints = this.#arena.ints;
    const words = this.#words;
    if (words[TABLE] === 0) return;
    const entries = this.#entry(0);
    for (let entry = 0; entry < words[USED]!; entry++) {
      const at = entries + 2 * entry + 1;
      if (ints[at] !== 0) ints[at] = forward(ints[at]!);
    }
    words[TABLE] = forward(words[TABLE]!);
  }
}
