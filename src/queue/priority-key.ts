/**
 * PriorityQueue's priorities: what Python lets a priority queue compare
 * (numbers, strings, tuples of those), as JavaScript values — numbers,
 * bigints, strings, and arrays of those, compared element by element and
 * then by length, as Python compares tuples.
 *
 * A number travels as itself: the store keeps it in the entry and compares
 * it as a float, so numeric priorities cost what they always did. Any other
 * priority is encoded into bytes kept in the item's block, and the entry
 * holds a *primary* number that orders it as far as a number can (a bigint's
 * nearest float, +Infinity for a string or an array); only entries whose
 * primaries tie are decoded and compared in full.
 *
 * Where Python raises TypeError (comparing a number with a string, say),
 * weft orders by kind instead — numbers and bigints, then strings, then
 * arrays — because a comparison that throws inside the store's lock would
 * leave a sift half done. Strings compare by code point, as in Python.
 *
 * ```
 *  encoded key: one tagged value
 *   NUMBER  f64 (8 bytes, little-endian)
 *   BIGINT  u32 length + that many bytes of its decimal digits (with a '-')
 *   STRING  u32 length + that many UTF-16 code units
 *   ARRAY   u32 count + that many tagged values
 * ```
 */

/** A priority. */
export type PriorityKey = number | bigint | string | readonly PriorityKey[];

/** A priority as the store takes it: a number as is, anything else encoded. */
export type StoredKey = number | Uint8Array;

const NUMBER = 1;
const BIGINT = 2;
const STRING = 3;
const ARRAY = 4;
/** How deep arrays may nest in a priority. */
const MAX_DEPTH = 32;

/** Why `key` is not a priority, or undefined if it is one. */
function problem(key: unknown, depth: number): string | undefined {
  if (typeof key === 'number') return Number.isNaN(key) ? 'NaN' : undefined;
  if (typeof key === 'bigint' || typeof key === 'string') return undefined;
  if (Array.isArray(key)) {
    if (depth >= MAX_DEPTH) return `arrays nested deeper than ${MAX_DEPTH}`;
    for (const element of key) {
      const inner = problem(element, depth + 1);
      if (inner !== undefined) return `an array holding ${inner}`;
    }
    return undefined;
  }
  return key === null ? 'null' : typeof key;
}

function measure(key: PriorityKey): number {
  if (typeof key === 'number') return 9;
  if (typeof key === 'bigint') return 5 + key.toString().length;
  if (typeof key === 'string') return 5 + 2 * key.length;
  let size = 5;
  for (const element of key) size += measure(element);
  return size;
}

function write(key: PriorityKey, view: DataView, at: number): number {
  if (typeof key === 'number') {
    view.setUint8(at, NUMBER);
    view.setFloat64(at + 1, key, true);
    return at + 9;
  }
  const text = typeof key === 'bigint' ? key.toString() : typeof key === 'string' ? key : undefined;
  view.setUint8(at, typeof key === 'bigint' ? BIGINT : typeof key === 'string' ? STRING : ARRAY);
  if (text === undefined) {
    const array = key as readonly PriorityKey[];
    view.setUint32(at + 1, array.length, true);
    let next = at + 5;
    for (const element of array) next = write(element, view, next);
    return next;
  }
  view.setUint32(at + 1, text.length, true);
  const wide = typeof key === 'string';
  for (let i = 0; i < text.length; i++) {
    if (wide) view.setUint16(at + 5 + 2 * i, text.charCodeAt(i), true);
    else view.setUint8(at + 5 + i, text.charCodeAt(i));
  }
  return at + 5 + (wide ? 2 : 1) * text.length;
}

/**
 * Checks a priority and readies it for the store.
 *
 * @throws TypeError naming what the priority holds that cannot be compared.
 */
export function storedKey(key: unknown, what: string, hint: string): StoredKey {
  if (typeof key === 'number' && !Number.isNaN(key)) return key;
  const why = problem(key, 0);
  if (why !== undefined) {
    throw new TypeError(`${what}: the item's priority must be a number, bigint, string or an array of those, got ${why}${hint}`);
  }
  const bytes = new Uint8Array(measure(key as PriorityKey));
  write(key as PriorityKey, new DataView(bytes.buffer), 0);
  return bytes;
}

/** The number that orders an encoded priority as far as a number can (see the top of this file). */
export function primaryOf(key: Uint8Array): number {
  if (key[0] === NUMBER) return new DataView(key.buffer, key.byteOffset, key.byteLength).getFloat64(1, true);
  return key[0] === BIGINT ? Number(readKey(key, 0, key.length)) : Infinity;
}

function read(view: DataView, at: number): [PriorityKey, number] {
  const tag = view.getUint8(at);
  if (tag === NUMBER) return [view.getFloat64(at + 1, true), at + 9];
  const length = view.getUint32(at + 1, true);
  let next = at + 5;
  if (tag === ARRAY) {
    const array: PriorityKey[] = [];
    for (let i = 0; i < length; i++) {
      const [element, after] = read(view, next);
      array.push(element);
      next = after;
    }
    return [array, next];
  }
  const wide = tag === STRING;
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(wide ? view.getUint16(next + 2 * i, true) : view.getUint8(next + i));
  return [wide ? text : BigInt(text), next + (wide ? 2 : 1) * length];
}

/** Decodes the priority encoded at `bytes[offset, offset + length)`. */
export function readKey(bytes: Uint8Array, offset: number, length: number): PriorityKey {
  return read(new DataView(bytes.buffer, bytes.byteOffset + offset, length), 0)[0];
}

function rank(key: PriorityKey): number {
  return typeof key === 'number' || typeof key === 'bigint' ? 0 : typeof key === 'string' ? 1 : 2;
}

/** Python's order of code points (JavaScript's `<` orders UTF-16 code units). */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Negative, zero or positive as `a` sorts before, with or after `b`. */
export function compareKeys(a: PriorityKey, b: PriorityKey): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return a < b ? -1 : a > b ? 1 : 0; // number and bigint compare exactly
  if (ra === 1) return compareStrings(a as string, b as string);
  const x = a as readonly PriorityKey[];
  const y = b as readonly PriorityKey[];
  for (let i = 0; i < x.length && i < y.length; i++) {
    const c = compareKeys(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}
