/**
 * The shared-memory layout of SharedDict and SharedList. Every word offset
 * and code they keep in shared memory is defined here and nowhere else.
 *
 * A container is a few header words (fixed) and an *arena*: one growable
 * SharedArrayBuffer holding blocks. Everything variable lives in blocks —
 * each key and value, and the container's tables — so the arena is the only
 * thing that grows, and one allocator (arena.ts) reclaims space for all.
 *
 * ```
 *  header words (Int32Array)
 *   [KIND]      DICT | LIST, checked when a handle is revived
 *   [CAPACITY]  arena bytes in use by the allocator (the buffer may be larger)
 *   [MAX]       the most the arena may grow to (maxBytes)
 *   [TOP]       bump pointer: bytes [TOP, CAPACITY) are free
 *   [GARBAGE]   bytes in freed blocks below TOP, reclaimed by compaction
 *   [VERSION]   dict: bumped by every insertion or removal (live iteration checks it)
 *               list: bumped by every write (a sort checks its compare function wrote nothing)
 *   [TABLE]     offset of the table block: the dict's index + entries, the list's refs
 *   [SLOTS]     dict: index slots (a power of 2) | list: refs the table holds
 *   [USED]      dict: entries used, deleted ones included | list: length
 *   [LIVE]      dict: live entries (its size)
 *   [FILL]      dict: index slots not EMPTY (live entries + DUMMY slots)
 *   [ID_LO, ID_HI]  random: names the container in per-thread bookkeeping
 *
 *  arena: 8 reserved bytes (offset 0 is "no block"), then blocks, 8-aligned
 *   block  +0   SIZE          bytes, header included, a multiple of 8
 *          +4   STATE         LIVE (0) | FREE (-1); a live block's new offset while compacting
 *          +8   KEY_LENGTH    encoded key bytes (0 for list items and tables)
 *          +12  VALUE_LENGTH  encoded value bytes (a table: its bytes)
 *          +16  TOKEN         0, or the registry token the value's shared buffers are published under
 *          +20  BUFFERS       how many shared buffers the value refers to
 *          +24  payload       the key's bytes, then the value's; or the table
 *
 *  dict table payload   index: SLOTS int32   EMPTY (-1) | DUMMY (-2) | entry number
 *                       entries: usable(SLOTS) pairs of int32   hash, block (0: deleted)
 *  list table payload   refs: SLOTS int32, the item blocks in order; the first USED are items
 * ```
 *
 * The dict table is CPython's compact dict: an open-addressing index of
 * entry numbers over an array of entries kept in insertion order. Every word
 * here is read and written only under the container's lock.
 */

export const KIND = 0;
export const CAPACITY = 1;
export const MAX = 2;
export const TOP = 3;
export const GARBAGE = 4;
export const VERSION = 5;
export const TABLE = 6;
export const SLOTS = 7;
export const USED = 8;
export const LIVE = 9;
export const FILL = 10;
export const ID_LO = 11;
export const ID_HI = 12;
export const HEADER_WORDS = 13;

export const DICT = 1;
export const LIST = 2;

/** Arena bytes before the first block: offset 0 means "no block". */
export const ARENA_START = 8;

// Block header words, relative to the block's first word (offset >> 2).
export const SIZE = 0;
export const STATE = 1;
export const KEY_LENGTH = 2;
export const VALUE_LENGTH = 3;
export const TOKEN = 4;
export const BUFFERS = 5;
export const BLOCK_HEADER = 24;

export const LIVE_BLOCK = 0;
export const FREE_BLOCK = -1;

export const EMPTY = -1;
export const DUMMY = -2;
/** The smallest index a dict table has. */
export const MIN_SLOTS = 8;
/** The smallest refs table a list has. */
export const MIN_REFS = 8;

/** Entries a dict index of `slots` slots holds before it is rebuilt (CPython's USABLE_FRACTION). */
export function usable(slots: number): number {
  return ((slots << 1) / 3) | 0;
}

/** A block's size for a payload of `bytes`. */
export function blockSize(bytes: number): number {
  return (BLOCK_HEADER + bytes + 7) & ~7;
}

/** The arena a new container starts with, and the default and hard limits it may grow to. */
export const INITIAL_ARENA = 1024;
export const DEFAULT_MAX_BYTES = 2 ** 30;
/** Offsets are int32: an arena stays below 2 GiB. */
export const MAX_MAX_BYTES = 2 ** 31 - 8;
