/**
 * The decoding half of the item codec: {@link decodeItem}. The format is
 * pictured at the top of `codec.ts`. Every read is bounds-checked against the
 * item's end and every count against the bytes left, so damaged bytes throw a
 * RangeError instead of reading past the item, allocating wildly or looping.
 */

import {
  ARRAY, ARRAY_BUFFER, BIGINT, BIGINT64, BIGINT_OBJECT, DATA_VIEW_KIND, DATE, END, ERROR, ERROR_TYPES, FALSE,
  FALSE_OBJECT, FLOAT64, HAS_CAUSE, HAS_MESSAGE, HAS_STACK, INT32, LATIN1, MAP, NULL, NUMBER_OBJECT, OBJECT, REF,
  REGEXP, REGEXP_FLAGS, RESIZABLE_ARRAY_BUFFER, SET, SHARED_ARRAY_BUFFER, SHORT_LATIN1, SMALL_INT, SPARSE_ARRAY,
  STRING_OBJECT, TRUE, TRUE_OBJECT, UNDEFINED, UTF16, UTF8, VIEW, VIEW_KINDS,
} from './codec-tags.js';
import { corrupt } from './codec-errors.js';

/** Node's native string readers, present on every Uint8Array through Buffer.prototype. */
interface NativeRead {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
  ucs2Slice(this: Uint8Array, start: number, end: number): string;
}
const { latin1Slice, utf8Slice, ucs2Slice } = Buffer.prototype as unknown as NativeRead;
const { fromCharCode } = String;

const scratch = new DataView(new ArrayBuffer(8));
const EMPTY = new Uint8Array(0);
const NO_BUFFERS: readonly SharedArrayBuffer[] = [];
/** Marks the slot of a view whose buffer is still being read: a REF to it is corrupt. */
const PENDING = Symbol('pending');
const MAX_ARRAY_LENGTH = 2 ** 32 - 1;

/**
 * Recently decoded keys (2 to 24 latin1 chars; single characters are cached by V8), by a hash of their bytes. A
 * hit costs a hash and a compare instead of making a string, and the cached
 * string is internalized, so the property store that follows skips the
 * string-table lookup too.
 */
const keyCache: string[] = new Array<string>(256).fill('');
const KEY_CACHE_MAX = 24;

/** The internalized copy of `s` (property keys are internalized). */
function internalize(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

/**
 * A short latin1 string from its bytes. Up to ~20 characters, fromCharCode in
 * chunks beats the native slice (a call into C++ costs ~40 ns); 1-character
 * strings come from V8's single-character cache.
 */
function charsOf(b: Uint8Array, p: number, n: number): string {
  if (n === 1) return fromCharCode(b[p]!);
  let s = '';
  const end = p + n;
  for (; p + 8 <= end; p += 8) s += fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!, b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
  if (p + 4 <= end) {
    s += fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);
    p += 4;
  }
  for (; p < end; p++) s += fromCharCode(b[p]!);
  return s;
}

/** Creates a data property the way structured clone does, even for `__proto__`. */
function define(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

class Decoder {
  bytes: Uint8Array = EMPTY;
  pos = 0;
  end = 0;
  buffers: readonly SharedArrayBuffer[] = NO_BUFFERS;
  /** Objects by id, in the order the encoder numbered them: `objects[0, numbered)`. */
  objects: unknown[] = [];
  numbered = 0;

  /** Forgets the last item's bytes, buffers and objects. */
  release(): void {
    this.bytes = EMPTY;
    this.buffers = NO_BUFFERS;
    // Drop the references (setting length would cost a runtime call per item).
    const objects = this.objects;
    for (let i = 0; i < this.numbered; i++) objects[i] = undefined;
    this.numbered = 0;
  }

  /** Claims `n` bytes and returns where they start. */
  take(n: number, what: string): number {
    const at = this.pos;
    if (n > this.end - at) throw corrupt(`${what} runs past the end (${n} bytes wanted, ${this.end - at} left)`, at);
    this.pos = at + n;
    return at;
  }

  byte(what: string): number {
    return this.bytes[this.take(1, what)]!;
  }

  varuint(what: string): number {
    let n = 0;
    for (let scale = 1; scale < 2 ** 35; scale *= 128) {
      const b = this.byte(what);
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
    }
    throw corrupt(`${what} is longer than 5 bytes`, this.pos);
  }

  /** A count of things each at least one byte long: it cannot exceed the bytes left. */
  count(what: string): number {
    const at = this.pos;
    const n = this.varuint(what);
    if (n > this.end - this.pos) throw corrupt(`${what} ${n} exceeds the ${this.end - this.pos} bytes left`, at);
    return n;
  }

  u32(what: string): number {
    const p = this.take(4, what);
    const b = this.bytes;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Loads 8 bytes into the scratch view. */
  scratch8(what: string): DataView {
    const p = this.take(8, what);
    for (let i = 0; i < 8; i++) scratch.setUint8(i, this.bytes[p + i]!);
    return scratch;
  }

  value(): unknown {
    if (this.pos >= this.end) throw corrupt('a value is missing', this.pos);
    const tag = this.bytes[this.pos++]!;
    if (tag >= SHORT_LATIN1) return tag >= SMALL_INT ? tag - SMALL_INT : this.latin1(tag - SHORT_LATIN1);
    switch (tag) {
      case UNDEFINED: return undefined;
      case NULL: return null;
      case FALSE: return false;
      case TRUE: return true;
      case INT32: return this.u32('an int32') | 0;
      case FLOAT64: return this.scratch8('a float64').getFloat64(0, true);
      case LATIN1: case UTF8: case UTF16: return this.longString(tag);
      case OBJECT: return this.object();
      case ARRAY: return this.array();
      case REF: return this.ref();
      case BIGINT64: case BIGINT: return this.bigint(tag);
      case SPARSE_ARRAY: return this.sparseArray();
      case MAP: return this.map();
      case SET: return this.set();
      case DATE: return this.keep(new Date(this.scratch8('a date').getFloat64(0, true)));
      case REGEXP: return this.regexp();
      case NUMBER_OBJECT: return this.keep(Object(this.scratch8('a Number').getFloat64(0, true)));
      case STRING_OBJECT: return this.keep(Object(this.string('a String')));
      case FALSE_OBJECT: case TRUE_OBJECT: return this.keep(Object(tag === TRUE_OBJECT));
      case BIGINT_OBJECT: {
        const tagAt = this.pos;
        const inner = this.byte('a BigInt');
        if (inner !== BIGINT64 && inner !== BIGINT) throw corrupt(`tag 0x${inner.toString(16)} in a BigInt object`, tagAt);
        return this.keep(Object(this.bigint(inner)));
      }
      case ARRAY_BUFFER: case RESIZABLE_ARRAY_BUFFER: return this.keep(this.arrayBuffer(tag));
      case SHARED_ARRAY_BUFFER: return this.shared();
      case VIEW: return this.view();
      case ERROR: return this.error();
      default: throw corrupt(`unknown tag 0x${tag.toString(16)}`, this.pos - 1);
    }
  }

  keep<T>(o: T): T {
    this.objects[this.numbered++] = o;
    return o;
  }

  /** Reserves the next id for an object made after its contents are read. */
  reserve(): number {
    this.objects[this.numbered] = PENDING;
    return this.numbered++;
  }

  latin1(n: number): string {
    const p = this.take(n, 'a string');
    return n <= 20 ? charsOf(this.bytes, p, n) : latin1Slice.call(this.bytes, p, p + n);
  }

  longString(tag: number): string {
    const n = this.u32('a string length');
    if (tag === UTF16 && n & 1) throw corrupt('a UTF-16 string has an odd byte length', this.pos - 4);
    const p = this.take(n, 'a string');
    const slice = tag === LATIN1 ? latin1Slice : tag === UTF8 ? utf8Slice : ucs2Slice;
    return slice.call(this.bytes, p, p + n);
  }

  /** An object key: a string, through the key cache when short. */
  key(): string {
    const b = this.bytes;
    const at = this.pos;
    const n = (at < this.end ? b[at]! : 0) - SHORT_LATIN1;
    if (n < 1 || n > KEY_CACHE_MAX) return this.string('a key');
    const p = at + 1;
    if (n > this.end - p) throw corrupt(`a key runs past the end (${n} bytes wanted, ${this.end - p} left)`, p);
    this.pos = p + n;
    if (n === 1) return fromCharCode(b[p]!);
    let h = n;
    for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + b[p + i]!) | 0;
    const slot = (h ^ (h >>> 8)) & 255;
    const cached = keyCache[slot]!;
    if (cached.length === n) {
      let i = 0;
      while (i < n && cached.charCodeAt(i) === b[p + i]) i++;
      if (i === n) return cached;
    }
    return (keyCache[slot] = internalize(charsOf(b, p, n)));
  }

  /** A value that must be a string (a key, a regexp source, an error's message). */
  string(what: string): string {
    const at = this.pos;
    const tag = this.byte(what);
    if (tag >= SHORT_LATIN1 && tag < SMALL_INT) return this.latin1(tag - SHORT_LATIN1);
    if (tag === LATIN1 || tag === UTF8 || tag === UTF16) return this.longString(tag);
    throw corrupt(`${what} has tag 0x${tag.toString(16)}, not a string`, at);
  }

  bigint(tag: number): bigint {
    if (tag === BIGINT64) return this.scratch8('a bigint').getBigInt64(0, true);
    const sign = this.byte('a bigint sign');
    if (sign > 1) throw corrupt(`bigint sign ${sign}`, this.pos - 1);
    const n = this.count('a bigint length');
    const p = this.take(n, 'a bigint');
    let hex = '0x';
    for (let i = p + n - 1; i >= p; i--) hex += (this.bytes[i]! | 0x100).toString(16).slice(1);
    const magnitude = BigInt(n === 0 ? '0' : hex);
    return sign === 1 ? -magnitude : magnitude;
  }

  ref(): unknown {
    const at = this.pos;
    const id = this.varuint('a reference');
    if (id >= this.numbered) throw corrupt(`reference to object ${id}, only ${this.numbered} so far`, at);
    const o = this.objects[id];
    if (o === PENDING) throw corrupt(`reference to view ${id} from inside it`, at);
    return o;
  }

  /** Keyed entries up to END into `o`. */
  entries(o: object): void {
    const b = this.bytes;
    for (;;) {
      if (this.pos >= this.end) throw corrupt('entries are not closed by END', this.pos);
      if (b[this.pos] === END) {
        this.pos++;
        return;
      }
      const key = this.key();
      const item = this.value();
      if (key === '__proto__') define(o, key, item);
      else (o as Record<string, unknown>)[key] = item;
    }
  }

  object(): object {
    const o = this.keep({});
    this.entries(o);
    return o;
  }

  array(): unknown[] {
    const n = this.count('an array length');
    const a = this.keep([] as unknown[]);
    for (let i = 0; i < n; i++) a.push(this.value());
    return a;
  }

  sparseArray(): unknown[] {
    const at = this.pos;
    const n = this.varuint('an array length');
    if (n > MAX_ARRAY_LENGTH) throw corrupt(`array length ${n}`, at);
    const a = this.keep(new Array<unknown>(n));
    this.entries(a);
    if (a.length !== n) throw corrupt(`array of length ${n} has an entry at ${a.length - 1}`, at);
    return a;
  }

  map(): Map<unknown, unknown> {
    const m = this.keep(new Map<unknown, unknown>());
    while (this.peekNotEnd('a Map')) {
      const key = this.value();
      m.set(key, this.value());
    }
    return m;
  }

  set(): Set<unknown> {
    const s = this.keep(new Set<unknown>());
    while (this.peekNotEnd('a Set')) s.add(this.value());
    return s;
  }

  /** Consumes END and returns false, or returns true if another entry follows. */
  peekNotEnd(what: string): boolean {
    if (this.pos >= this.end) throw corrupt(`${what} is not closed by END`, this.pos);
    if (this.bytes[this.pos] !== END) return true;
    this.pos++;
    return false;
  }

  regexp(): RegExp {
    const at = this.pos;
    const source = this.string('a RegExp source');
    const bits = this.byte('RegExp flags');
    let flags = '';
    for (let i = 0; i < REGEXP_FLAGS.length; i++) if (bits & (1 << i)) flags += REGEXP_FLAGS[i];
    try {
      return this.keep(new RegExp(source, flags));
    } catch (error) {
      throw Object.assign(corrupt(`RegExp /${source}/${flags} does not compile`, at), { cause: error });
    }
  }

  arrayBuffer(tag: number): ArrayBuffer {
    const n = this.count('an ArrayBuffer length');
    let ab: ArrayBuffer;
    if (tag === RESIZABLE_ARRAY_BUFFER) {
      const at = this.pos;
      const max = this.varuint('an ArrayBuffer max length');
      if (max < n) throw corrupt(`ArrayBuffer max length ${max} < length ${n}`, at);
      ab = new (ArrayBuffer as new (n: number, options: { maxByteLength: number }) => ArrayBuffer)(n, { maxByteLength: max });
    } else {
      ab = new ArrayBuffer(n);
    }
    const p = this.take(n, 'an ArrayBuffer');
    new Uint8Array(ab).set(this.bytes.subarray(p, p + n));
    return ab;
  }

  shared(): SharedArrayBuffer {
    const at = this.pos;
    const index = this.varuint('a SharedArrayBuffer index');
    const sab = this.buffers[index];
    if (sab === undefined) throw corrupt(`SharedArrayBuffer ${index} of ${this.buffers.length}`, at);
    return sab;
  }

  view(): ArrayBufferView {
    const at = this.pos - 1;
    const id = this.reserve();
    const kind = this.byte('a view kind');
    const type = VIEW_KINDS[kind];
    if (type === undefined) throw corrupt(`view kind ${kind}`, at + 1);
    const offset = this.varuint('a view offset');
    const length = this.varuint('a view length');
    const tagAt = this.pos;
    const inner = this.byte('a view buffer');
    if (inner !== ARRAY_BUFFER && inner !== RESIZABLE_ARRAY_BUFFER && inner !== SHARED_ARRAY_BUFFER && inner !== REF) {
      throw corrupt(`tag 0x${inner.toString(16)} where a view's buffer belongs`, tagAt);
    }
    this.pos = tagAt;
    const buffer = this.value();
    if (!(buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer)) {
      throw corrupt('a view refers to an object that is not a buffer', tagAt);
    }
    let view: ArrayBufferView;
    try {
      view = kind === DATA_VIEW_KIND ? new DataView(buffer, offset, length) : new (type as Uint8ArrayConstructor)(buffer, offset, length);
    } catch (error) {
      throw Object.assign(corrupt(`${type.name} at ${offset} of length ${length} does not fit its buffer`, at), { cause: error });
    }
    this.objects[id] = view;
    return view;
  }

  error(): Error {
    const at = this.pos - 1;
    const id = this.reserve();
    const type = ERROR_TYPES[this.byte('an error name')];
    const fields = this.byte('error fields');
    if (type === undefined || fields > 7) throw corrupt('error header', at);
    const error = fields & HAS_MESSAGE ? new type(this.string('an error message')) : new type();
    // Structured clone gives the copy a `stack` data property even when the original had none.
    const stack = fields & HAS_STACK ? this.string('an error stack') : undefined;
    Object.defineProperty(error, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
    this.objects[id] = error;
    if (fields & HAS_CAUSE) {
      Object.defineProperty(error, 'cause', { value: this.value(), writable: true, enumerable: false, configurable: true });
    }
    return error;
  }
}

// One decoder serves every call; a nested call (a setter on Object.prototype
// decoding another item) gets a decoder of its own.
let idle: Decoder | undefined = new Decoder();

/**
 * Decodes the item in `bytes[offset, offset + length)` (a structured-clone
 * copy of what {@link encodeItem} encoded); `buffers` are the shared buffers
 * in the order encodeItem listed them. Typed arrays over shared buffers alias
 * the same memory.
 *
 * @throws RangeError `corrupt item: …` if the bytes are not a whole item.
 */
export function decodeItem(bytes: Uint8Array, offset: number, length: number, buffers: readonly SharedArrayBuffer[]): unknown {
  if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
    throw new RangeError(`decodeItem(): [${offset}, ${offset} + ${length}) is outside the ${bytes.length} bytes given`);
  }
  const decoder = idle ?? new Decoder();
  idle = undefined;
  decoder.bytes = bytes;
  decoder.pos = offset;
  decoder.end = offset + length;
  decoder.buffers = buffers;
  try {
    const value = decoder.value();
    if (decoder.pos !== decoder.end) throw corrupt(`${decoder.end - decoder.pos} bytes after the value`, decoder.pos);
    return value;
  } finally {
    decoder.release();
    idle = decoder;
  }
}
