/**
 * The decoding half of the item codec: {@link decodeItem}. The format is
 * pictured at the top of `codec.ts`; built-in objects other than arrays and
 * plain objects are read by `codec-decode-builtins.ts`. Every read is
 * bounds-checked against the item's end and every count against the bytes
 * left, so damaged bytes throw a RangeError instead of reading past the item,
 * allocating wildly or looping.
 */

import {
  ARRAY, END, FALSE, FLOAT64, FLOAT64_ARRAY, INT32, INT32_ARRAY, LATIN1, NULL, OBJECT, REF, SHORT_LATIN1, SMALL_INT, SPARSE_ARRAY, TRUE,
  UNDEFINED, UTF16,
} from './codec-tags.js';
import { corrupt } from './codec-errors.js';
import { decodeBuiltin } from './codec-decode-builtins.js';
import { cachedKey, KEY_CACHE_MAX, latin1Of, ucs2Slice } from './codec-decode-strings.js';

const { fromCharCode } = String;

const EMPTY = new Uint8Array(0);
const NO_BUFFERS: readonly SharedArrayBuffer[] = [];
/** Marks the slot of an object made after its parts are read (a view, an error): a REF to it is corrupt. */
const PENDING = Symbol('pending');
const MAX_ARRAY_LENGTH = 2 ** 32 - 1;

/** Creates a data property the way structured clone does, even for `__proto__`. */
function define(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Reads one item; its fields are the state of the item being read. */
export class Decoder {
  bytes: Uint8Array = EMPTY;
  pos = 0;
  end = 0;
  buffers: readonly SharedArrayBuffer[] = NO_BUFFERS;
  /** Objects by id, in the order the encoder numbered them: `objects[0, numbered)`. */
  objects: unknown[] = [];
  numbered = 0;
  /**
   * A DataView on `floatsOf`, for floats and bigints. It is kept for the next
   * item (a queue decodes from the same ring every time), which keeps the
   * last bytes that held a float alive a little longer.
   */
  floats: DataView = new DataView(EMPTY.buffer);
  floatsOf: Uint8Array = EMPTY;

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

  float64(what: string): number {
    const p = this.take(8, what);
    return this.dataView().getFloat64(p, true);
  }

  dataView(): DataView {
    const b = this.bytes;
    if (this.floatsOf !== b) {
      this.floats = new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.floatsOf = b;
    }
    return this.floats;
  }

  /** The hot tags are read here, inline; the rest are in {@link other}. */
  value(): unknown {
    const b = this.bytes;
    const at = this.pos;
    if (at >= this.end) throw corrupt('a value is missing', at);
    const tag = b[at]!;
    if (tag >= SMALL_INT) {
      this.pos = at + 1;
      return tag - SMALL_INT;
    }
    if (tag >= SHORT_LATIN1) {
      const n = tag - SHORT_LATIN1;
      if (n >= this.end - at) throw corrupt(`a string runs past the end (${n} bytes wanted, ${this.end - at - 1} left)`, at + 1);
      this.pos = at + 1 + n;
      return latin1Of(b, at + 1, n);
    }
    if (tag === INT32) {
      if (this.end - at < 5) throw corrupt('an int32 runs past the end', at + 1);
      this.pos = at + 5;
      return b[at + 1]! | (b[at + 2]! << 8) | (b[at + 3]! << 16) | (b[at + 4]! << 24);
    }
    this.pos = at + 1;
    return this.other(tag);
  }

  other(tag: number): unknown {
    switch (tag) {
      case UNDEFINED: return undefined;
      case NULL: return null;
      case FALSE: return false;
      case TRUE: return true;
      case FLOAT64: return this.float64('a float64');
      case LATIN1: return this.latin1(this.count('a string length'));
      case UTF16: return this.utf16();
      case OBJECT: return this.object();
      case ARRAY: return this.array();
      case REF: return this.ref();
      case SPARSE_ARRAY: return this.sparseArray();
      case INT32_ARRAY: return this.numbers(4);
      case FLOAT64_ARRAY: return this.numbers(8);
      default: return decodeBuiltin(this, tag);
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
    return latin1Of(this.bytes, this.take(n, 'a string'), n);
  }

  utf16(): string {
    const n = this.varuint('a string length');
    const p = this.take(2 * n, 'a string');
    return ucs2Slice.call(this.bytes, p, p + 2 * n);
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
    return n === 1 ? fromCharCode(b[p]!) : cachedKey(b, p, n);
  }

  /** A value that must be a string (a key, a regexp source, an error's message). */
  string(what: string): string {
    const at = this.pos;
    const tag = this.byte(what);
    if (tag >= SHORT_LATIN1 && tag < SMALL_INT) return this.latin1(tag - SHORT_LATIN1);
    if (tag === LATIN1) return this.latin1(this.count('a string length'));
    if (tag === UTF16) return this.utf16();
    throw corrupt(`${what} has tag 0x${tag.toString(16)}, not a string`, at);
  }

  ref(): unknown {
    const at = this.pos;
    const id = this.varuint('a reference');
    if (id >= this.numbered) throw corrupt(`reference to object ${id}, only ${this.numbered} so far`, at);
    const o = this.objects[id];
    if (o === PENDING) throw corrupt(`reference to object ${id} before it is made`, at);
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

  /** An INT32_ARRAY (`width` 4) or FLOAT64_ARRAY (8): read through a typed array over the bytes (over a copy if they are not aligned). */
  numbers(width: 4 | 8): number[] {
    const n = this.count('an array length');
    const start = this.take(n * width, 'an array of numbers');
    const bytes = this.bytes;
    const at = bytes.byteOffset + start;
    const aligned = at % width === 0;
    // Unaligned: a copy (Uint8Array's slice, which copies even for a Buffer, whose own slice is a view).
    const buffer = aligned ? bytes.buffer : Uint8Array.prototype.slice.call(bytes, start, start + n * width).buffer;
    const offset = aligned ? at : 0;
    const view = width === 4 ? new Int32Array(buffer, offset, n) : new Float64Array(buffer, offset, n);
    const a = this.keep(new Array<number>(n));
    for (let i = 0; i < n; i++) a[i] = view[i]!;
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

  /** Consumes END and returns false, or returns true if another entry follows. */
  more(what: string): boolean {
    if (this.pos >= this.end) throw corrupt(`${what} is not closed by END`, this.pos);
    if (this.bytes[this.pos] !== END) return true;
    this.pos++;
    return false;
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
  if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
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
