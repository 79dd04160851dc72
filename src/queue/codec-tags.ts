/**
 * The tag bytes, view kinds and error names of the item format. The table at
 * the top of `codec.ts` is their picture; a code changes in both places or in
 * neither. Codes are part of the bytes in shared memory, so once released they
 * never change meaning.
 */

/** Zeroed memory is never a valid item: a read of a zero tag means corruption. */
export const INVALID = 0x00;
export const UNDEFINED = 0x01;
export const NULL = 0x02;
export const FALSE = 0x03;
export const TRUE = 0x04;
export const INT32 = 0x05;
export const FLOAT64 = 0x06;
export const BIGINT64 = 0x07;
export const BIGINT = 0x08;
export const LATIN1 = 0x09;
export const UTF8 = 0x0a;
export const UTF16 = 0x0b;
export const REF = 0x0c;
export const END = 0x0d;

export const OBJECT = 0x10;
export const ARRAY = 0x11;
export const SPARSE_ARRAY = 0x12;
export const MAP = 0x13;
export const SET = 0x14;
export const DATE = 0x15;
export const REGEXP = 0x16;
export const NUMBER_OBJECT = 0x17;
export const STRING_OBJECT = 0x18;
export const FALSE_OBJECT = 0x19;
export const TRUE_OBJECT = 0x1a;
export const BIGINT_OBJECT = 0x1b;
export const ARRAY_BUFFER = 0x1c;
export const RESIZABLE_ARRAY_BUFFER = 0x1d;
export const SHARED_ARRAY_BUFFER = 0x1e;
export const VIEW = 0x1f;
export const ERROR = 0x20;

/** `SHORT_LATIN1 + n`: a latin1 string of n < 64 characters follows. */
export const SHORT_LATIN1 = 0x80;
/** `SMALL_INT + n`: the number n, 0 <= n < 64. */
export const SMALL_INT = 0xc0;
export const SHORT_LIMIT = 64;

/** VIEW kinds, in this order: the kind byte is the index. */
export const VIEW_KINDS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
] as const;
export const DATA_VIEW_KIND = 11;

/** ERROR names, in this order: the name byte is the index. Any other name is sent as `Error`. */
export const ERROR_TYPES = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError] as const;

/** ERROR field bits: which optional parts follow the name byte. */
export const HAS_MESSAGE = 1;
export const HAS_STACK = 2;
export const HAS_CAUSE = 4;

/** REGEXP flag bits, in this order: bit i set means flag `REGEXP_FLAGS[i]`. */
export const REGEXP_FLAGS = 'dgimsuvy';
