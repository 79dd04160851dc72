/**
 * Encoding of the less common values: strings of 64 characters or more (or
 * not latin1), bigints beyond int64, and the built-in objects that are
 * neither arrays nor plain objects — views and buffers, Date, RegExp, Map,
 * Set, Error and the primitive wrappers. Any other object goes as a plain
 * object, as structured clone sends a class instance, unless structured
 * clone refuses it.
 */

import { types } from 'node:util';
import {
  ARRAY_BUFFER, BIGINT, BIGINT_OBJECT, LATIN1, UTF16, DATA_VIEW_KIND, DATE, END, ERROR, ERROR_TYPES, FALSE_OBJECT, HAS_CAUSE, HAS_MESSAGE,
  HAS_STACK, MAP, NUMBER_OBJECT, OBJECT, REGEXP, REGEXP_FLAGS, RESIZABLE_ARRAY_BUFFER, SET, STRING_OBJECT, TRUE_OBJECT,
  VIEW, VIEW_KINDS,
} from './codec-tags.js';
import { uncloneable } from './codec-errors.js';
import type { Encoder } from './codec-encode.js';

/** Node's native string writers, present on every Uint8Array through Buffer.prototype. */
interface NativeWrite {
  latin1Write(this: Uint8Array, s: string, offset: number, length: number): number;
  ucs2Write(this: Uint8Array, s: string, offset: number, length: number): number;
}
const { latin1Write, ucs2Write } = Buffer.prototype as unknown as NativeWrite;
/**
 * Finds a character latin1 cannot hold. V8 answers in constant time for a
 * string it stores one byte per character, and stops at the first such
 * character otherwise, so this is the cheap way to ask "one byte or two?".
 */
const NON_LATIN1 = /[^\0-\xff]/;

const {
  isProxy, isDate, isRegExp, isMap, isSet, isNativeError, isArrayBuffer, isSharedArrayBuffer, isDataView,
  isNumberObject, isStringObject, isBooleanObject, isBigIntObject,
} = types;
/** The `Symbol.toStringTag` getter of %TypedArray%.prototype: the kind name, undefined for anything else. */
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined;
const VIEW_KIND_OF = new Map<string | undefined, number>(VIEW_KINDS.map((type, kind) => [type.name, kind]));
const ERROR_NAME_CODE = new Map<unknown, number>(ERROR_TYPES.map((type, code) => [type.name, code]));

/** Writes a string the short-string path did not take, natively. */
export function longString(e: Encoder, s: string): void {
  const n = s.length;
  if (!NON_LATIN1.test(s)) {
    e.byte(LATIN1);
    e.varuint(n);
    e.room(n);
    e.pos += latin1Write.call(e.out, s, e.pos, n);
    return;
  }
  // Two bytes a character, as V8 stores such strings: a copy, and lone surrogates survive.
  e.byte(UTF16);
  e.varuint(n);
  e.room(2 * n);
  e.pos += ucs2Write.call(e.out, s, e.pos, 2 * n);
}

/** Writes a bigint outside int64: sign, then magnitude bytes, least significant first. */
export function bigBigint(e: Encoder, v: bigint): void {
  // Hex is linear in the size of any bigint.
  let hex = (v < 0n ? -v : v).toString(16);
  if (hex.length & 1) hex = '0' + hex;
  const n = hex.length >> 1;
  e.byte(BIGINT);
  e.byte(v < 0n ? 1 : 0);
  e.varuint(n);
  e.room(n);
  for (let i = 0; i < n; i++) e.out[e.pos++] = parseInt(hex.substr(hex.length - 2 - 2 * i, 2), 16);
}

/** Writes `o`, already numbered by the encoder. */
export function encodeBuiltin(e: Encoder, o: object): void {
  if (ArrayBuffer.isView(o)) return view(e, o);
  if (isDate(o)) return e.float(DATE, Date.prototype.getTime.call(o));
  if (isRegExp(o)) return regexp(e, o);
  if (isMap(o)) {
    e.byte(MAP);
    for (const [key, item] of o) {
      e.value(key);
      e.value(item);
    }
    return e.byte(END);
  }
  if (isSet(o)) {
    e.byte(SET);
    for (const item of o) e.value(item);
    return e.byte(END);
  }
  if (isArrayBuffer(o)) return arrayBuffer(e, o);
  if (isNativeError(o)) return error(e, o);
  if (isNumberObject(o)) return e.float(NUMBER_OBJECT, Number.prototype.valueOf.call(o));
  if (isStringObject(o)) {
    e.byte(STRING_OBJECT);
    return e.string(String.prototype.valueOf.call(o));
  }
  if (isBooleanObject(o)) return e.byte(Boolean.prototype.valueOf.call(o) ? TRUE_OBJECT : FALSE_OBJECT);
  if (isBigIntObject(o)) {
    e.byte(BIGINT_OBJECT);
    return e.bigint(BigInt.prototype.valueOf.call(o));
  }
  if (isProxy(o) || isRefused(o)) throw uncloneable(e.root, o);
  // In plain-data mode the caller wants to know, not a copy: it may be a
  // shareable that must cross live (see queue/item-codec.ts).
  if (e.plainOnly) throw new NotPlainData();
  // Any other object (a class instance, an object from another realm) goes
  // as its own enumerable properties, as structured clone sends it.
  e.byte(OBJECT);
  e.keyedEntries(o);
}

/** Thrown in plain-data mode when a value holds a class instance. */
export class NotPlainData extends Error {
  constructor() {
    super('the value holds a class instance');
  }
}

/**
 * Objects with internal state that structured clone refuses: the common
 * ones. (The marshaller in front refuses class instances in general.)
 */
function isRefused(o: object): boolean {
  return (
    types.isPromise(o) || types.isWeakMap(o) || types.isWeakSet(o) || types.isGeneratorObject(o) ||
    types.isMapIterator(o) || types.isSetIterator(o) || types.isModuleNamespaceObject(o) || types.isExternal(o) ||
    o instanceof WeakRef || o instanceof Blob
  );
}

function regexp(e: Encoder, re: RegExp): void {
  let bits = 0;
  const flags = re.flags;
  for (let i = 0; i < REGEXP_FLAGS.length; i++) if (flags.includes(REGEXP_FLAGS[i]!)) bits |= 1 << i;
  e.byte(REGEXP);
  e.string(re.source);
  e.byte(bits);
}

function arrayBuffer(e: Encoder, ab: ArrayBuffer): void {
  const n = ab.byteLength;
  if (n === 0 && isDetached(ab)) throw uncloneable(e.root, ab);
  const resizable = ab as ArrayBuffer & { resizable?: boolean; maxByteLength?: number };
  if (resizable.resizable === true) {
    e.byte(RESIZABLE_ARRAY_BUFFER);
    e.varuint(n);
    e.varuint(resizable.maxByteLength!);
  } else {
    e.byte(ARRAY_BUFFER);
    e.varuint(n);
  }
  e.room(n);
  e.out.set(new Uint8Array(ab), e.pos);
  e.pos += n;
}

/** Node 20 has no `ArrayBuffer.prototype.detached`; a detached buffer cannot be viewed. */
function isDetached(ab: ArrayBuffer): boolean {
  try {
    new Uint8Array(ab);
    return false;
  } catch {
    return true;
  }
}

/** The kind, the window, then the buffer (copied, shared or referenced) as a value of its own. */
function view(e: Encoder, v: ArrayBufferView): void {
  const name = typedArrayName.call(v);
  const kind = name === undefined ? (isDataView(v) ? DATA_VIEW_KIND : -1) : VIEW_KIND_OF.get(name)!;
  if (kind < 0) throw uncloneable(e.root, v);
  e.byte(VIEW);
  e.byte(kind);
  e.varuint(v.byteOffset);
  e.varuint(kind === DATA_VIEW_KIND ? v.byteLength : (v as Uint8Array).length);
  const buffer = v.buffer;
  if (isSharedArrayBuffer(buffer)) return e.shared(buffer);
  if (!e.seen(buffer)) arrayBuffer(e, buffer);
}

/** As V8 sends errors: a known name (else Error), own data `message`, string `stack`, own data `cause`. */
function error(e: Encoder, err: Error): void {
  const name = ERROR_NAME_CODE.get((err as { name?: unknown }).name) ?? 0;
  const message = Object.getOwnPropertyDescriptor(err, 'message');
  const stack = err.stack;
  const cause = Object.getOwnPropertyDescriptor(err, 'cause');
  const hasMessage = message !== undefined && 'value' in message;
  const hasCause = cause !== undefined && 'value' in cause;
  e.byte(ERROR);
  e.byte(name);
  e.byte((hasMessage ? HAS_MESSAGE : 0) | (typeof stack === 'string' ? HAS_STACK : 0) | (hasCause ? HAS_CAUSE : 0));
  if (hasMessage) e.string(`${message.value}`);
  if (typeof stack === 'string') e.string(stack);
  if (hasCause) e.value(cause.value);
}
