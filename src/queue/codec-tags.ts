/**
 * The tag bytes, view kinds and error names of the item format. The table at
 * the top of `codec.ts` is their picture; a code changes in both places or in
 * neither. Codes are part of the bytes in shared memory, so once released they
 * never change meaning.
 */

/** Zeroed memory is never a valid item: a read of a zero tag means corruption. */
export const INVALID = 0x00;
/** undefined. */
export const UNDEFINED = 0x01;
/** null. */
export const NULL = 0x02;
/** false. */
export const FALSE = 0x03;
/** true. */
export const TRUE = 0x04;
/** An int32 number (not -0): i32. */
export const INT32 = 0x05;
/** Any other number: f64. */
export const FLOAT64 = 0x06;
/** A bigint in int64 range: i64. */
export const BIGINT64 = 0x07;
/** Any other bigint: u8 sign, vu n, n magnitude bytes. */
export const BIGINT = 0x08;
/** A string of characters <= U+00FF: vu n, n bytes. */
export const LATIN1 = 0x09;
/** Any string: vu n, 2n bytes UTF-16LE. */
export const UTF16 = 0x0a;
/** An object met before: vu id. */
export const REF = 0x0c;
/** Closes the entries of OBJECT, SPARSE_ARRAY, MAP and SET. */
export const END = 0x0d;

/** A plain object: (key, value)* END. */
export const OBJECT = 0x10;
/** An array without holes or extra keys: vu n, n values. */
export const ARRAY = 0x11;
/** Any other array: vu length, (key, value)* END. */
export const SPARSE_ARRAY = 0x12;
/** A Map: (key, value)* END. */
export const MAP = 0x13;
/** A Set: value* END. */
export const SET = 0x14;
/** A Date: f64. */
export const DATE = 0x15;
/** A RegExp: source string, u8 flag bits. */
export const REGEXP = 0x16;
/** A Number wrapper: f64. */
export const NUMBER_OBJECT = 0x17;
/** A String wrapper: a string value. */
export const STRING_OBJECT = 0x18;
/** A Boolean wrapper of false. */
export const FALSE_OBJECT = 0x19;
/** A Boolean wrapper of true. */
export const TRUE_OBJECT = 0x1a;
/** A BigInt wrapper: a bigint value. */
export const BIGINT_OBJECT = 0x1b;
/** An ArrayBuffer, copied: vu n, n bytes. */
export const ARRAY_BUFFER = 0x1c;
/** A resizable ArrayBuffer, copied: vu n, vu maxByteLength, n bytes. */
export const RESIZABLE_ARRAY_BUFFER = 0x1d;
/** A SharedArrayBuffer by reference: vu index into the buffers list. */
export const SHARED_ARRAY_BUFFER = 0x1e;
/** A typed array or DataView: u8 kind, vu byteOffset, vu length, buffer value. */
export const VIEW = 0x1f;
/** An Error: u8 name, u8 fields, then the fields present. */
export const ERROR = 0x20;
/** An array of int32 numbers (no -0): vu n, n x i32. */
export const INT32_ARRAY = 0x21;
/** An array of numbers: vu n, n x f64. */
export const FLOAT64_ARRAY = 0x22;

/** `SHORT_LATIN1 + n`: a latin1 string of n < 64 characters follows. */
export const SHORT_LATIN1 = 0x80;
/** `SMALL_INT + n`: the number n, 0 <= n < 64. */
export const SMALL_INT = 0xc0;
/** Strings shorter than this and ints below it fit in the tag byte. */
export const SHORT_LIMIT = 64;

/** VIEW kinds, in this order: the kind byte is the index. */
export const VIEW_KINDS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
] as const;
/** The VIEW kind of a DataView (its length is in bytes, not elements). */
export const DATA_VIEW_KIND = 11;

/** ERROR names, in this order: the name byte is the index. Any other name is sent as `Error`. */
export const ERROR_TYPES = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError] as const;

export const HAS_MESSAGE = 1;
/** ERROR field bit: a stack string follows. */
export const HAS_STACK = 2;
/** ERROR field bit: a cause value follows. */
export const HAS_CAUSE = 4;

/** REGEXP flag bits, in this order: bit i set means flag `REGEXP_FLAGS[i]`. */
export const REGEXP_FLAGS = 'dgimsuvy';
