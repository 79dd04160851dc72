/**
 * The encoding half of the item codec: {@link encodeItem}. The format is
 * pictured at the top of `codec.ts`; built-in objects other than arrays and
 * plain objects are written by `codec-encode-builtins.ts`.
 */

import { types } from 'node:util';
import {
  ARRAY, BIGINT64, END, FALSE, FLOAT64, FLOAT64_ARRAY, INT32, INT32_ARRAY, NULL, OBJECT, REF, SHARED_ARRAY_BUFFER, SHORT_LATIN1,
  SHORT_LIMIT, SMALL_INT, SPARSE_ARRAY, TRUE, UNDEFINED,
} from './codec-tags.js';
import { uncloneable } from './codec-errors.js';
import { bigBigint, encodeBuiltin, longString, type NotPlainData } from './codec-encode-builtins.js';
import { bytesOf, commit, type ItemWriter } from './codec-writer.js';

const objectProto = Object.prototype;
const { getPrototypeOf, keys: ownKeys } = Object;
const { isArray } = Array;
const { isProxy, isSharedArrayBuffer } = types;

// Scratch for floats and bigints, read back as two 32-bit halves (LO is the
// low half on this host), so writing one costs two loads and eight stores.
const scratchF64 = new Float64Array(1);
const scratchI64 = new BigInt64Array(scratchF64.buffer);
const scratchU32 = new Uint32Array(scratchF64.buffer);
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
/** Typed arrays are host-endian and the format little-endian: number arrays are copied as typed arrays only where those agree. */
const LITTLE_ENDIAN = LO === 0;
/** Dense arrays of numbers at least this long go as INT32_ARRAY / FLOAT64_ARRAY. */
const NUMBER_RUN = 16;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const EMPTY = new Uint8Array(0);
const NO_BUFFERS: SharedArrayBuffer[] = []; // held while idle, never written to
/** Objects an encoding numbers before it starts a map of them: most items have only a few. */
const FEW = 8;

/**
 * Walks a value once, writing tags and payloads. Objects are numbered in the
 * order they are met (the decoder numbers them the same way), so a second
 * meeting writes a REF. The first {@link FEW} are looked up in an array, and
 * only an item with more objects pays for a Map (whose clear() alone costs
 * more than scanning a few slots).
 */
export class Encoder {
  out: Uint8Array = EMPTY;
  pos = 0;
  buffers: SharedArrayBuffer[] = NO_BUFFERS;
  /** The value being encoded, to find the path of a refused part in. */
  root: unknown = undefined;
  /** Objects met so far: `count` of them, the first FEW in `few`, all in `ids` once there are more. */
  few: object[] = new Array<object>(FEW);
  ids = new Map<object, number>();
  count = 0;
  /** Object.prototype has no enumerable property (nobody polluted it), so for-in sees only own keys. */
  plainKeys = true;
  /** Throw {@link NotPlainData} on a class instance instead of sending its fields. */
  plainOnly = false;

  encode(value: unknown, writer: ItemWriter, buffers: SharedArrayBuffer[], denseRoot: boolean): void {
    this.out = bytesOf(writer);
    this.pos = 0;
    this.buffers = buffers;
    this.root = value;
    this.plainKeys = !hasEnumerable(objectProto);
    let length = 0; // a failed encoding leaves the writer empty (but keeps a grown buffer)
    try {
      if (denseRoot) this.denseArray(value as unknown[]);
      else this.value(value);
      length = this.pos;
    } finally {
      commit(writer, this.out, length);
      this.out = EMPTY;
      this.buffers = NO_BUFFERS;
      this.root = undefined;
      const few = this.few;
      for (let i = 0; i < FEW && i < this.count; i++) few[i] = EMPTY;
      if (this.count > FEW) this.ids.clear();
      this.count = 0;
    }
  }

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n > this.out.length) {
      const grown = new Uint8Array(Math.max(this.pos + n, this.out.length * 2));
      grown.set(this.out.subarray(0, this.pos));
      this.out = grown;
    }
  }

  byte(b: number): void {
    this.room(1);
    this.out[this.pos++] = b;
  }

  varuint(n: number): void {
    this.room(5);
    const out = this.out;
    while (n >= 0x80) {
      out[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[this.pos++] = n;
  }

  /** Writes `tag` and the 8 scratch bytes, little-endian. */
  scratch8(tag: number): void {
    this.room(9);
    const out = this.out;
    const p = this.pos;
    const lo = scratchU32[LO]!;
    const hi = scratchU32[1 - LO]!;
    out[p] = tag;
    out[p + 1] = lo;
    out[p + 2] = lo >>> 8;
    out[p + 3] = lo >>> 16;
    out[p + 4] = lo >>> 24;
    out[p + 5] = hi;
    out[p + 6] = hi >>> 8;
    out[p + 7] = hi >>> 16;
    out[p + 8] = hi >>> 24;
    this.pos = p + 9;
  }

  float(tag: number, v: number): void {
    scratchF64[0] = v;
    this.scratch8(tag);
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'string':
        return this.string(v);
      case 'number':
        return this.number(v);
      case 'object':
        return v === null ? this.byte(NULL) : this.object(v);
      case 'boolean':
        return this.byte(v ? TRUE : FALSE);
      case 'undefined':
        return this.byte(UNDEFINED);
      case 'bigint':
        return this.bigint(v);
      default:
        throw uncloneable(this.root, v);
    }
  }

  number(v: number): void {
    if ((v | 0) !== v || (v === 0 && 1 / v < 0)) return this.float(FLOAT64, v);
    if (v >= 0 && v < SHORT_LIMIT) return this.byte(SMALL_INT + v);
    this.room(5);
    const out = this.out;
    const p = this.pos;
    out[p] = INT32;
    out[p + 1] = v;
    out[p + 2] = v >>> 8;
    out[p + 3] = v >>> 16;
    out[p + 4] = v >>> 24;
    this.pos = p + 5;
  }

  bigint(v: bigint): void {
    if (v < INT64_MIN || v > INT64_MAX) return bigBigint(this, v);
    scratchI64[0] = v;
    this.scratch8(BIGINT64);
  }

  string(s: string): void {
    const n = s.length;
    if (n < SHORT_LIMIT) {
      // The hot path: short latin1 (mostly ASCII) strings, copied by char code.
      this.room(n + 1);
      const out = this.out;
      const p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff) break;
        out[p + i] = c;
      }
      if (i === n) {
        out[p - 1] = SHORT_LATIN1 + n;
        this.pos = p + n;
        return;
      }
    }
    longString(this, s);
  }

  /** Writes a REF and returns true if `o` was met before; otherwise numbers it. */
  seen(o: object): boolean {
    const n = this.count;
    let id: number | undefined;
    if (n <= FEW) {
      const few = this.few;
      for (let i = 0; i < n; i++) {
        if (few[i] === o) {
          id = i;
          break;
        }
      }
      if (id === undefined && n < FEW) {
        few[n] = o;
        this.count = n + 1;
        return false;
      }
      if (id === undefined) for (let i = 0; i < FEW; i++) this.ids.set(few[i]!, i); // the FEW+1st: start the map
    } else {
      id = this.ids.get(o);
    }
    if (id === undefined) {
      this.ids.set(o, this.count++);
      return false;
    }
    this.byte(REF);
    this.varuint(id);
    return true;
  }

  object(o: object): void {
    if (isArray(o)) {
      if (this.seen(o)) return;
      if (isProxy(o)) throw uncloneable(this.root, o);
      return this.array(o);
    }
    const proto = getPrototypeOf(o);
    if ((proto === objectProto || proto === null) && !isProxy(o)) {
      if (this.seen(o)) return;
      this.byte(OBJECT);
      return proto === null || this.plainKeys ? this.ownEntries(o) : this.keyedEntries(o);
    }
    // Shared buffers are not numbered: they go by their index in `buffers`.
    if (isSharedArrayBuffer(o)) return this.shared(o);
    if (!this.seen(o)) encodeBuiltin(this, o);
  }

  /**
   * Own enumerable string keys and their values, in order, then END, for an
   * object that inherits nothing enumerable. for-in then visits exactly the
   * own keys, in the same order, reads each value straight from the enum
   * cache (several times faster than Object.keys and a keyed load), and, like
   * structured clone, skips a key that a getter deleted.
   */
  ownEntries(o: object): void {
    for (const key in o) {
      this.string(key);
      this.value((o as Record<string, unknown>)[key]);
    }
    this.byte(END);
  }

  /** The same, for objects that may inherit enumerable keys (arrays, class instances). */
  keyedEntries(o: object): void {
    const keys = ownKeys(o);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = (o as Record<string, unknown>)[key];
      if (item === undefined && !(key in o)) continue; // deleted by a getter: skipped, as structured clone does
      this.string(key);
      this.value(item);
    }
    this.byte(END);
  }

  /**
   * Arrays whose own keys are exactly their indices go densely; holes or
   * extra properties make them go as length plus keyed entries, as V8 does.
   * Listing the keys costs ~11 ns per element, but nothing cheaper tells an
   * extra property apart. Indices come first, ascending, so n keys ending in
   * "n-1" are exactly 0…n-1.
   */
  array(a: unknown[]): void {
    const n = a.length;
    const keys = ownKeys(a);
    if (keys.length !== n || (n > 0 && keys[n - 1] !== String(n - 1))) {
      this.byte(SPARSE_ARRAY);
      this.varuint(n);
      return this.keyedEntries(a);
    }
    this.byte(ARRAY);
    this.varuint(n);
    for (let i = 0; i < n; i++) this.value(a[i]);
  }

  /** An array known to have no holes and no other properties (a rest parameter's): written without listing its keys. */
  denseArray(a: unknown[]): void {
    this.seen(a);
    const n = a.length;
    if (n >= NUMBER_RUN && LITTLE_ENDIAN && typeof a[0] === 'number' && this.numbers(a)) return;
    this.byte(ARRAY);
    this.varuint(n);
    for (let i = 0; i < n; i++) this.value(a[i]);
  }

  /**
   * Writes `a`, a dense array, as INT32_ARRAY or FLOAT64_ARRAY if all its
   * elements are numbers, and returns true; false, writing nothing, if not.
   */
  numbers(a: unknown[]): boolean {
    const n = a.length;
    let ints = true;
    for (let i = 0; i < n; i++) {
      const v = a[i];
      if (typeof v !== 'number') return false;
      if (ints && ((v | 0) !== v || (v === 0 && 1 / v < 0))) ints = false;
    }
    const width = ints ? 4 : 8;
    this.byte(ints ? INT32_ARRAY : FLOAT64_ARRAY);
    this.varuint(n);
    this.room(n * width);
    const out = this.out;
    const at = out.byteOffset + this.pos;
    const numbers = a as number[];
    if (at % width === 0) {
      if (ints) new Int32Array(out.buffer, at, n).set(numbers);
      else new Float64Array(out.buffer, at, n).set(numbers);
    } else {
      out.set(new Uint8Array((ints ? Int32Array.from(numbers) : Float64Array.from(numbers)).buffer), this.pos);
    }
    this.pos += n * width;
    return true;
  }

  shared(sab: SharedArrayBuffer): void {
    let index = this.buffers.indexOf(sab);
    if (index < 0) index = this.buffers.push(sab) - 1;
    this.byte(SHARED_ARRAY_BUFFER);
    this.varuint(index);
  }
}

function hasEnumerable(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

// One encoder serves every call; a getter that encodes another item while
// this one is being encoded gets an encoder of its own.
let idle: Encoder | undefined = new Encoder();

/**
 * Encodes `value` into `writer`, replacing what it held, with structured-clone
 * semantics. Shared buffers are not copied: each distinct SharedArrayBuffer
 * met is appended to `buffers` (if not there already) and referred to by its
 * index.
 *
 * @param plainOnly throw {@link NotPlainData} on meeting a class instance.
 * @param denseRoot `value` is an array with no holes and no other own
 *   properties (a rest parameter): its keys are not listed to check.
 * @throws DataCloneError naming the path of a function, symbol or other value
 *   structured clone refuses; the writer is then empty.
 */
export function encodeItem(value: unknown, writer: ItemWriter, buffers: SharedArrayBuffer[], plainOnly = false, denseRoot = false): void {
  const encoder = idle ?? new Encoder();
  idle = undefined;
  encoder.plainOnly = plainOnly;
  try {
    encoder.encode(value, writer, buffers, denseRoot);
  } finally {
    idle = encoder;
  }
}
