/**
 * The queue item codec: any structured-cloneable value to bytes and back,
 * with `structuredClone`'s semantics, at a small fraction of `v8.serialize`'s
 * cost. Queues write items into a byte ring in shared memory with it.
 * SharedArrayBuffers are not copied into the bytes but listed beside them and
 * referred to by index, so a typed array over shared memory arrives aliasing
 * the same memory.
 *
 * An item is one value; a value is a tag byte and a payload, little-endian.
 * Containers hold values. Objects (everything but SharedArrayBuffers) are
 * numbered 0, 1, 2… in the order they are first met, depth first, and met
 * again as a REF to that number: that is how shared parts and cycles survive.
 * `str` is a value with a string tag; `i32`, `f64`, `i64` are fixed-width;
 * `vu` is an unsigned LEB128 varint of at most 5 bytes.
 *
 * ```text
 *  tag         name                    payload                                 decodes to
 *  0x00        (invalid)               —                                       never an item: zeroed memory reads as corrupt
 *  0x01        UNDEFINED               —                                       undefined
 *  0x02        NULL                    —                                       null
 *  0x03/0x04   FALSE/TRUE              —                                       false / true
 *  0x05        INT32                   i32                                     int32 number (not -0)
 *  0x06        FLOAT64                 f64                                     any other number: -0, NaN, ±Infinity kept
 *  0x07        BIGINT64                i64                                     bigint in int64 range
 *  0x08        BIGINT                  u8 sign (1 = -), vu n, n bytes          other bigint, magnitude least significant byte first
 *  0x09        LATIN1                  vu n, n bytes                           string of n characters <= U+00FF
 *  0x0A        UTF16                   vu n, 2n bytes UTF-16LE                 any string of n code units, lone surrogates kept
 *  0x0C        REF                     vu id                                   the object numbered id
 *  0x0D        END                     —                                       closes OBJECT, SPARSE_ARRAY, MAP and SET entries
 *  0x10    #   OBJECT                  (str key, value)* END                   plain object: own enumerable string keys, in order
 *  0x11    #   ARRAY                   vu n, n values                          array of n elements, no holes, no other keys
 *  0x12    #   SPARSE_ARRAY            vu length, (str key, value)* END        array with holes or extra keys: all own keys
 *  0x13    #   MAP                     (value key, value)* END                 Map
 *  0x14    #   SET                     value* END                              Set
 *  0x15    #   DATE                    f64                                     Date
 *  0x16    #   REGEXP                  str source, u8 flags (d g i m s u v y = bits 0-7)   RegExp, lastIndex 0
 *  0x17    #   NUMBER_OBJECT           f64                                     Number wrapper
 *  0x18    #   STRING_OBJECT           str                                     String wrapper
 *  0x19/0x1A # FALSE/TRUE_OBJECT       —                                       Boolean wrapper
 *  0x1B    #   BIGINT_OBJECT           a BIGINT64 or BIGINT value              BigInt wrapper
 *  0x1C    #   ARRAY_BUFFER            vu n, n bytes                           ArrayBuffer, copied
 *  0x1D    #   RESIZABLE_ARRAY_BUFFER  vu n, vu maxByteLength, n bytes         resizable ArrayBuffer, copied
 *  0x1E        SHARED_ARRAY_BUFFER     vu index                                buffers[index] itself: the same memory
 *  0x1F    #   VIEW                    u8 kind, vu byteOffset, vu length,      typed array (length in elements) or DataView
 *                                      buffer (an ARRAY_BUFFER, RESIZABLE_ARRAY_BUFFER, SHARED_ARRAY_BUFFER or REF value)
 *  0x20    #   ERROR                   u8 name, u8 fields, [str message] [str stack] [value cause]
 *  0x21    #   INT32_ARRAY             vu n, n x i32                           array of n int32 numbers (see below)
 *  0x22    #   FLOAT64_ARRAY           vu n, n x f64                           array of n numbers
 *  0x80+n      SHORT_LATIN1            n bytes (n < 64)                        string of n characters <= U+00FF
 *  0xC0+n      SMALL_INT               —                                       the number n (n < 64)
 *
 *  INT32_ARRAY and FLOAT64_ARRAY are written only for an array the caller
 *  vouches has no holes and no other properties (a task's argument list, a
 *  map chunk and its results) and whose elements are all numbers: copied as
 *  a typed array, which is ~10x faster than a value each (little-endian
 *  hosts only; elsewhere such arrays go as ARRAY).
 *  #  numbered: the object takes the next id as its tag is read, so a VIEW before its buffer
 *     and an ERROR before its cause.
 *  view kinds   0 Int8Array  1 Uint8Array  2 Uint8ClampedArray  3 Int16Array  4 Uint16Array  5 Int32Array
 *               6 Uint32Array  7 Float32Array  8 Float64Array  9 BigInt64Array  10 BigUint64Array  11 DataView
 *  error names  0 Error  1 EvalError  2 RangeError  3 ReferenceError  4 SyntaxError  5 TypeError  6 URIError
 *               (any other name is sent as Error, as structured clone does)
 *  error fields 1 message, 2 stack, 4 cause: which of the optional parts follow
 * ```
 *
 * For example `{ i: 1000, s: 'x' }` is 13 bytes:
 * `10 | 81 69 | 05 e8 03 00 00 | 81 73 | 81 78 | 0d`.
 *
 * The codes are defined in `codec-tags.ts`. `codec-encode*.ts` write,
 * `codec-decode*.ts` read, checking every length and reference against the
 * bytes, so damaged bytes throw `RangeError('corrupt item: …')`.
 *
 * Where the result differs from `structuredClone`:
 * - a typed array that tracks the length of a resizable buffer arrives with a
 *   fixed length (JavaScript cannot tell that it tracks);
 * - a Blob is refused (its bytes cannot be read synchronously);
 * - an `arguments` object arrives as a plain object (structured clone refuses
 *   it; telling it apart would cost every plain object a check);
 * - objects with internal state that structured clone refuses are recognised
 *   for the common kinds (Promise, WeakMap, WeakSet, WeakRef, iterators,
 *   generators, Proxy); the marshaller in front refuses class instances
 *   anyway;
 * - decoding assigns keys, so a setter added to `Object.prototype` for a key
 *   would run (structured clone defines the properties).
 *
 * @module
 */

export { ItemWriter } from './codec-writer.js';
export { encodeItem } from './codec-encode.js';
export { NotPlainData } from './codec-encode-builtins.js';
export { decodeItem } from './codec-decode.js';
