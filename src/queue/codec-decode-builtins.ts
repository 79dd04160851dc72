/**
 * Decoding of the built-in objects that are neither arrays nor plain objects:
 * bigints, Map, Set, Date, RegExp, the primitive wrappers, buffers, views and
 * Error. Each checks what it reads, as the core decoder does.
 */

import { types } from 'node:util';
import {
  ARRAY_BUFFER, BIGINT, BIGINT64, BIGINT_OBJECT, DATA_VIEW_KIND, DATE, ERROR, ERROR_TYPES, FALSE_OBJECT,
  HAS_CAUSE, HAS_MESSAGE, HAS_STACK, MAP, NUMBER_OBJECT, REF, REGEXP, REGEXP_FLAGS, RESIZABLE_ARRAY_BUFFER, SET,
  SHARED_ARRAY_BUFFER, STRING_OBJECT, TRUE_OBJECT, VIEW, VIEW_KINDS,
} from './codec-tags.js';
import { corrupt } from './codec-errors.js';
import type { Decoder } from './codec-decode.js';

const { isAnyArrayBuffer } = types;

/** Reads the value whose tag `tag` was just read. */
export function decodeBuiltin(d: Decoder, tag: number): unknown {
  switch (tag) {
    case BIGINT64: case BIGINT: return bigint(d, tag);
    case MAP: {
      const m = d.keep(new Map<unknown, unknown>());
      while (d.more('a Map')) {
        const key = d.value();
        m.set(key, d.value());
      }
      return m;
    }
    case SET: {
      const s = d.keep(new Set<unknown>());
      while (d.more('a Set')) s.add(d.value());
      return s;
    }
    case DATE: return d.keep(new Date(d.float64('a Date')));
    case REGEXP: return regexp(d);
    case NUMBER_OBJECT: return d.keep(Object(d.float64('a Number')));
    case STRING_OBJECT: return d.keep(Object(d.string('a String')));
    case FALSE_OBJECT: case TRUE_OBJECT: return d.keep(Object(tag === TRUE_OBJECT));
    case BIGINT_OBJECT: {
      const at = d.pos;
      const inner = d.byte('a BigInt');
      if (inner !== BIGINT64 && inner !== BIGINT) throw corrupt(`tag 0x${inner.toString(16)} in a BigInt object`, at);
      return d.keep(Object(bigint(d, inner)));
    }
    case ARRAY_BUFFER: case RESIZABLE_ARRAY_BUFFER: return d.keep(arrayBuffer(d, tag));
    case SHARED_ARRAY_BUFFER: return shared(d);
    case VIEW: return view(d);
    case ERROR: return error(d);
    default: throw corrupt(`unknown tag 0x${tag.toString(16)}`, d.pos - 1);
  }
}

function bigint(d: Decoder, tag: number): bigint {
  if (tag === BIGINT64) return d.dataView().getBigInt64(d.take(8, 'a bigint'), true);
  const sign = d.byte('a bigint sign');
  if (sign > 1) throw corrupt(`bigint sign ${sign}`, d.pos - 1);
  const n = d.count('a bigint length');
  const p = d.take(n, 'a bigint');
  let hex = '0x0';
  for (let i = p + n - 1; i >= p; i--) hex += (d.bytes[i]! | 0x100).toString(16).slice(1);
  const magnitude = BigInt(hex);
  return sign === 1 ? -magnitude : magnitude;
}

function regexp(d: Decoder): RegExp {
  const at = d.pos;
  const source = d.string('a RegExp source');
  const bits = d.byte('RegExp flags');
  let flags = '';
  for (let i = 0; i < REGEXP_FLAGS.length; i++) if (bits & (1 << i)) flags += REGEXP_FLAGS[i];
  try {
    return d.keep(new RegExp(source, flags));
  } catch (cause) {
    throw Object.assign(corrupt(`RegExp /${source}/${flags} does not compile`, at), { cause });
  }
}

function arrayBuffer(d: Decoder, tag: number): ArrayBuffer {
  const n = d.count('an ArrayBuffer length');
  let ab: ArrayBuffer;
  if (tag === RESIZABLE_ARRAY_BUFFER) {
    const at = d.pos;
    const max = d.varuint('an ArrayBuffer max length');
    if (max < n) throw corrupt(`ArrayBuffer max length ${max} < length ${n}`, at);
    ab = new (ArrayBuffer as new (n: number, options: { maxByteLength: number }) => ArrayBuffer)(n, { maxByteLength: max });
  } else {
    ab = new ArrayBuffer(n);
  }
  const p = d.take(n, 'an ArrayBuffer');
  new Uint8Array(ab).set(d.bytes.subarray(p, p + n));
  return ab;
}

function shared(d: Decoder): SharedArrayBuffer {
  const at = d.pos;
  const index = d.varuint('a SharedArrayBuffer index');
  const sab = d.buffers[index];
  if (sab === undefined) throw corrupt(`SharedArrayBuffer ${index} of ${d.buffers.length}`, at);
  return sab;
}

/** The view is numbered before its buffer, as the encoder met them. */
function view(d: Decoder): ArrayBufferView {
  const at = d.pos - 1;
  const id = d.reserve();
  const kind = d.byte('a view kind');
  const type = VIEW_KINDS[kind];
  if (type === undefined) throw corrupt(`view kind ${kind}`, at + 1);
  const offset = d.varuint('a view offset');
  const length = d.varuint('a view length');
  const bufferAt = d.pos;
  const inner = bufferAt < d.end ? d.bytes[bufferAt]! : REF; // (a missing buffer is reported by d.value())
  if (inner !== ARRAY_BUFFER && inner !== RESIZABLE_ARRAY_BUFFER && inner !== SHARED_ARRAY_BUFFER && inner !== REF) {
    throw corrupt(`tag 0x${inner.toString(16)} where a view's buffer belongs`, bufferAt);
  }
  const buffer = d.value();
  if (!isAnyArrayBuffer(buffer)) throw corrupt('a view refers to an object that is not a buffer', bufferAt);
  let made: ArrayBufferView;
  try {
    made = kind === DATA_VIEW_KIND ? new DataView(buffer, offset, length) : new (type as Uint8ArrayConstructor)(buffer, offset, length);
  } catch (cause) {
    throw Object.assign(corrupt(`${type.name} at ${offset} of length ${length} does not fit its buffer`, at), { cause });
  }
  d.objects[id] = made;
  return made;
}

/** The error is numbered before its cause, so a cause may refer back to it. */
function error(d: Decoder): Error {
  const at = d.pos - 1;
  const id = d.reserve();
  const type = ERROR_TYPES[d.byte('an error name')];
  const fields = d.byte('error fields');
  if (type === undefined || fields > (HAS_MESSAGE | HAS_STACK | HAS_CAUSE)) throw corrupt('error header', at);
  const made = fields & HAS_MESSAGE ? new type(d.string('an error message')) : new type();
  // Structured clone gives the copy a `stack` data property even when the original had none.
  const stack = fields & HAS_STACK ? d.string('an error stack') : undefined;
  Object.defineProperty(made, 'stack', { value: stack, writable: true, enumerable: false, configurable: true });
  d.objects[id] = made;
  if (fields & HAS_CAUSE) {
    Object.defineProperty(made, 'cause', { value: d.value(), writable: true, enumerable: false, configurable: true });
  }
  return made;
}
