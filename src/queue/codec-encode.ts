/**
 * The encoding half of the item codec: {@link ItemWriter} and
 * {@link encodeItem}. The format is pictured at the top of `codec.ts`.
 */

import { types } from 'node:util';
import {
  ARRAY, ARRAY_BUFFER, BIGINT, BIGINT64, BIGINT_OBJECT, DATA_VIEW_KIND, DATE, END, ERROR, ERROR_TYPES, FALSE,
  FALSE_OBJECT, FLOAT64, HAS_CAUSE, HAS_MESSAGE, HAS_STACK, INT32, LATIN1, MAP, NULL, NUMBER_OBJECT, OBJECT, REF,
  REGEXP, REGEXP_FLAGS, RESIZABLE_ARRAY_BUFFER, SET, SHARED_ARRAY_BUFFER, SHORT_LATIN1, SHORT_LIMIT, SMALL_INT,
  SPARSE_ARRAY, STRING_OBJECT, TRUE, TRUE_OBJECT, UNDEFINED, UTF16, UTF8, VIEW, VIEW_KINDS,
} from './codec-tags.js';
import { uncloneable } from './codec-errors.js';

/** Node's native string writers, present on every Uint8Array through Buffer.prototype. */
interface NativeWrite {
  utf8Write(this: Uint8Array, s: string, offset: number, length: number): number;
  ucs2Write(this: Uint8Array, s: string, offset: number, length: number): number;
}
const { utf8Write, ucs2Write } = Buffer.prototype as unknown as NativeWrite;

const objectProto = Object.prototype;
const { getPrototypeOf, keys: ownKeys } = Object;
const { isArray } = Array;
const { isProxy, isDate, isRegExp, isMap, isSet, isNativeError, isArrayBuffer, isSharedArrayBuffer, isDataView } = types;
/** The `Symbol.toStringTag` getter of %TypedArray%.prototype: the kind name, undefined for anything else. */
const typedArrayName = Object.getOwnPropertyDescriptor(getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;
const VIEW_KIND_OF: Record<string, number> = Object.fromEntries(VIEW_KINDS.map((type, kind) => [type.name, kind]));
const ERROR_NAME_CODE: Record<string, number> = Object.fromEntries(ERROR_TYPES.map((type, code) => [type.name, code]));

// Scratch for floats and bigints; a DataView so the bytes are little-endian on every host.
const scratch = new DataView(new ArrayBuffer(8));
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// The encoder's access to a writer's fields, granted by the writer's static block.
let bytesOf: (writer: ItemWriter) => Uint8Array;
let commit: (writer: ItemWriter, bytes: Uint8Array, length: number) => void;
const EMPTY = new Uint8Array(0);

/** A reusable, growable byte buffer an item is encoded into; encoding allocates nothing once it is big enough. */
export class ItemWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialBytes = 256) {
    this.#bytes = new Uint8Array(Math.max(16, initialBytes));
  }

  /** Bytes written by the last {@link encodeItem}. */
  get length(): number {
    return this.#length;
  }

  /** The buffer; the item is `bytes[0, length)`. Replaced (grown) by an item that does not fit. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Forgets the last item; the buffer is kept for the next one. */
  reset(): void {
    this.#length = 0;
  }

  static {
    bytesOf = (writer) => writer.#bytes;
    commit = (writer, bytes, length) => {
      writer.#bytes = bytes;
      writer.#length = length;
    };
  }
}

/**
 * Walks a value once, writing tags and payloads. Objects are numbered in the
 * order they are met (the decoder numbers them the same way), so a second
 * meeting writes a REF. The first object is kept in a field rather than the
 * map: most items are one object, and that saves the map entirely.
 */
class Encoder {
  out: Uint8Array = EMPTY;
  pos = 0;
  buffers: SharedArrayBuffer[] = [];
  root: unknown = undefined;
  first: object | undefined = undefined;
  ids = new Map<object, number>();
  count = 0;
  /** Object.prototype has no enumerable property (nobody polluted it), so for-in sees only own keys. */
  plainKeys = true;

  encode(value: unknown, writer: ItemWriter, buffers: SharedArrayBuffer[]): void {
    this.out = bytesOf(writer);
    this.pos = 0;
    this.buffers = buffers;
    this.root = value;
    this.plainKeys = !hasEnumerable(objectProto);
    let length = 0; // a failed encoding leaves the writer empty (but keeps a grown buffer)
    try {
      this.value(value);
      length = this.pos;
    } finally {
      commit(writer, this.out, length);
      this.out = EMPTY;
      this.root = this.first = undefined;
      if (this.count > 1) this.ids.clear();
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

  u32(n: number): void {
    const out = this.out;
    const p = this.pos;
    out[p] = n;
    out[p + 1] = n >>> 8;
    out[p + 2] = n >>> 16;
    out[p + 3] = n >>> 24;
    this.pos = p + 4;
  }

  /** Copies the 8 scratch bytes out (room already made). */
  scratch8(): void {
    const out = this.out;
    for (let i = 0; i < 8; i++) out[this.pos++] = scratch.getUint8(i);
  }

  float(tag: number, v: number): void {
    this.room(9);
    this.out[this.pos++] = tag;
    scratch.setFloat64(0, v, true);
    this.scratch8();
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
    this.out[this.pos++] = INT32;
    this.u32(v);
  }

  bigint(v: bigint): void {
    if (v >= INT64_MIN && v <= INT64_MAX) {
      this.room(9);
      this.out[this.pos++] = BIGINT64;
      scratch.setBigInt64(0, v, true);
      return this.scratch8();
    }
    // Hex is linear in the size for any bigint; the bytes go least significant first.
    let hex = (v < 0n ? -v : v).toString(16);
    if (hex.length & 1) hex = '0' + hex;
    const n = hex.length >> 1;
    this.byte(BIGINT);
    this.byte(v < 0n ? 1 : 0);
    this.varuint(n);
    this.room(n);
    for (let i = 0; i < n; i++) this.out[this.pos++] = parseInt(hex.substr(hex.length - 2 - 2 * i, 2), 16);
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
    this.longString(s);
  }

  /**
   * ASCII as LATIN1, other well-formed text as UTF8, and anything with a lone
   * surrogate (which UTF-8 cannot carry) as UTF16; all written natively.
   */
  longString(s: string): void {
    const n = s.length;
    this.room(5 + 3 * n);
    const at = this.pos;
    let written = utf8Write.call(this.out, s, at + 5, 3 * n);
    let tag = written === n ? LATIN1 : UTF8;
    if (tag === UTF8 && !(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      written = ucs2Write.call(this.out, s, at + 5, 2 * n);
      tag = UTF16;
    }
    this.out[at] = tag;
    this.pos = at + 1;
    this.u32(written);
    this.pos += written;
  }

  /** Writes a REF and returns true if `o` was met before; otherwise numbers it. */
  seen(o: object): boolean {
    if (this.count === 0) {
      this.first = o;
      this.count = 1;
      return false;
    }
    let id: number | undefined;
    if (o === this.first) id = 0;
    else if (this.count > 1) id = this.ids.get(o);
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
    if (!this.seen(o)) this.exotic(o);
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
   * Counting the keys costs ~11 ns per element, but nothing cheaper tells an
   * extra property apart.
   */
  array(a: unknown[]): void {
    const n = a.length;
    if (ownKeys(a).length !== n) {
      this.byte(SPARSE_ARRAY);
      this.varuint(n);
      return this.keyedEntries(a);
    }
    this.byte(ARRAY);
    this.varuint(n);
    for (let i = 0; i < n; i++) this.value(a[i]);
  }

  shared(sab: SharedArrayBuffer): void {
    let index = this.buffers.indexOf(sab);
    if (index < 0) index = this.buffers.push(sab) - 1;
    this.byte(SHARED_ARRAY_BUFFER);
    this.varuint(index);
  }

  /** Everything that is an object but not an array or a plain object. */
  exotic(o: object): void {
    if (ArrayBuffer.isView(o)) return this.view(o);
    if (isDate(o)) return this.float(DATE, Date.prototype.getTime.call(o));
    if (isRegExp(o)) return this.regexp(o);
    if (isMap(o)) {
      this.byte(MAP);
      for (const [key, item] of o) {
        this.value(key);
        this.value(item);
      }
      return this.byte(END);
    }
    if (isSet(o)) {
      this.byte(SET);
      for (const item of o) this.value(item);
      return this.byte(END);
    }
    if (isArrayBuffer(o)) return this.arrayBuffer(o);
    if (isNativeError(o)) return this.error(o);
    if (types.isNumberObject(o)) return this.float(NUMBER_OBJECT, Number.prototype.valueOf.call(o));
    if (types.isStringObject(o)) {
      this.byte(STRING_OBJECT);
      return this.string(String.prototype.valueOf.call(o));
    }
    if (types.isBooleanObject(o)) return this.byte(Boolean.prototype.valueOf.call(o) ? TRUE_OBJECT : FALSE_OBJECT);
    if (types.isBigIntObject(o)) {
      this.byte(BIGINT_OBJECT);
      return this.bigint(BigInt.prototype.valueOf.call(o));
    }
    if (isProxy(o) || isInternal(o)) throw uncloneable(this.root, o);
    // Any other object (a class instance, an object from another realm) goes
    // as its own enumerable properties, as structured clone sends it.
    this.byte(OBJECT);
    this.keyedEntries(o);
  }

  regexp(re: RegExp): void {
    let bits = 0;
    const flags = re.flags;
    for (let i = 0; i < REGEXP_FLAGS.length; i++) if (flags.includes(REGEXP_FLAGS[i]!)) bits |= 1 << i;
    this.byte(REGEXP);
    this.string(re.source);
    this.byte(bits);
  }

  arrayBuffer(ab: ArrayBuffer): void {
    const n = ab.byteLength;
    if (n === 0 && isDetached(ab)) throw uncloneable(this.root, ab);
    const resizable = ab as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
    if (resizable.resizable === true) {
      this.byte(RESIZABLE_ARRAY_BUFFER);
      this.varuint(n);
      this.varuint(resizable.maxByteLength!);
    } else {
      this.byte(ARRAY_BUFFER);
      this.varuint(n);
    }
    this.room(n);
    this.out.set(new Uint8Array(ab), this.pos);
    this.pos += n;
  }

  /** The kind, the window, then the buffer (copied, shared or referenced) as a value of its own. */
  view(v: ArrayBufferView): void {
    const name = typedArrayName.call(v);
    const kind = name === undefined ? (isDataView(v) ? DATA_VIEW_KIND : -1) : VIEW_KIND_OF[name]!;
    if (kind < 0) throw uncloneable(this.root, v);
    this.byte(VIEW);
    this.byte(kind);
    this.varuint(v.byteOffset);
    this.varuint(kind === DATA_VIEW_KIND ? v.byteLength : (v as Uint8Array).length);
    const buffer = v.buffer;
    if (isSharedArrayBuffer(buffer)) return this.shared(buffer);
    if (!this.seen(buffer)) this.arrayBuffer(buffer);
  }

  /** As V8 sends errors: a known name (else Error), own data `message`, string `stack`, own data `cause`. */
  error(e: Error): void {
    const name = ERROR_NAME_CODE[(e as { name?: unknown }).name as string] ?? 0;
    const message = Object.getOwnPropertyDescriptor(e, 'message');
    const stack = e.stack;
    const cause = Object.getOwnPropertyDescriptor(e, 'cause');
    const hasMessage = message !== undefined && 'value' in message;
    const hasCause = cause !== undefined && 'value' in cause;
    this.byte(ERROR);
    this.byte(name);
    this.byte((hasMessage ? HAS_MESSAGE : 0) | (typeof stack === 'string' ? HAS_STACK : 0) | (hasCause ? HAS_CAUSE : 0));
    if (hasMessage) this.string(`${message.value}`);
    if (typeof stack === 'string') this.string(stack);
    if (hasCause) this.value(cause.value);
  }
}

/** Objects with internal state structured clone refuses (the common ones; the marshaller stops the rest). */
function isInternal(o: object): boolean {
  return (
    types.isPromise(o) || types.isWeakMap(o) || types.isWeakSet(o) || types.isGeneratorObject(o) ||
    types.isMapIterator(o) || types.isSetIterator(o) || types.isArgumentsObject(o) ||
    types.isModuleNamespaceObject(o) || types.isExternal(o) || o instanceof WeakRef || o instanceof Blob
  );
}

function hasEnumerable(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function isDetached(ab: ArrayBuffer): boolean {
  try {
    new Uint8Array(ab);
    return false;
  } catch {
    return true;
  }
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
 * @throws DataCloneError naming the path of a function, symbol or other value
 *   structured clone refuses; the writer is then empty.
 */
export function encodeItem(value: unknown, writer: ItemWriter, buffers: SharedArrayBuffer[]): void {
  const encoder = idle ?? new Encoder();
  idle = undefined;
  try {
    encoder.encode(value, writer, buffers);
  } finally {
    idle = encoder;
  }
}
