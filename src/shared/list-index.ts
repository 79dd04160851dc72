/**
 * SharedList's indices and searches: Python's item indices, Array's slice
 * bounds, and finding an item equal to a value by its encoding.
 */

import type { Arena } from './arena.js';
import { BLOCK_HEADER, TOKEN, VALUE_LENGTH } from './container-layout.js';
import type { ListTable } from './list-table.js';
import { discard, encodeValue, type EncodedValue } from './stored-item.js';
import { showTyped } from './typecodes.js';

export function integer(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer, got ${showTyped(value)}`);
  }
  return value;
}

/** Python's item index: negative counts from the end. */
export function position(index: unknown, length: number, where: string): number {
  const i = integer(index, 'index', where);
  const at = i < 0 ? i + length : i;
  if (at < 0 || at >= length) {
    throw new RangeError(length === 0 ? `${where}: the list is empty` : `${where}: index ${i} is out of range for length ${length}`);
  }
  return at;
}

/** A slice bound as `Array.prototype.slice` reads it: negative from the end, clamped to [0, length]. */
export function bound(value: unknown, length: number, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  const n = Math.trunc(Number(value));
  if (Number.isNaN(n)) throw new TypeError(`${where}: expected a number, got ${showTyped(value)}`);
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

/**
 * Runs `fn(find)`, where `find(from, to)` (called under the lock) is the
 * first index in [from, to) whose item equals `value`, or -1. `value` is
 * encoded once, before the lock is taken. Items are equal when their
 * encodings are: equal primitives, and objects of the same shape and
 * contents; `0` and `-0` are equal, as Python's `0 == -0.0`; an item holding
 * shared buffers (a shareable) equals nothing, as its encoding names its
 * buffers only by position.
 */
export function finding<R>(arena: Arena, table: ListTable, value: unknown, fn: (find: (from: number, to: number) => number) => R): R {
  const needles = [encodeValue(value, 'value')];
  try {
    if (value === 0) needles.push(encodeValue(Object.is(value, 0) ? -0 : 0, 'value'));
    const find = needles[0]!.token !== 0 ? () => -1 : (from: number, to: number) => search(arena, table, needles, from, to);
    return fn(find);
  } finally {
    for (const needle of needles) discard(needle);
  }
}

function search(arena: Arena, table: ListTable, needles: readonly EncodedValue[], from: number, to: number): number {
  const ints = arena.ints;
  const bytes = arena.bytes;
  for (let i = from; i < to; i++) {
    const block = table.at(i);
    const at = block >> 2;
    if (ints[at + TOKEN] !== 0) continue;
    const length = ints[at + VALUE_LENGTH]!;
    for (const needle of needles) {
      if (needle.length !== length) continue;
      let j = 0;
      while (j < length && bytes[block + BLOCK_HEADER + j] === needle.bytes[j]) j++;
      if (j === length) return i;
    }
  }
  return -1;
}
