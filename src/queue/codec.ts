/**
 * The queue item codec: any structured-cloneable value to bytes and back,
 * with `structuredClone`'s semantics, at a small fraction of
 * `v8.serialize`'s cost. Queues write items into a byte ring in shared memory
 * with it; SharedArrayBuffers are not copied into the bytes but listed beside
 * them and referred to by index, so a typed array over shared memory arrives
 * aliasing the same memory.
 *
 * An item is one value; a value is a tag byte and a payload, little-endian.
 * Containers hold values; objects (everything but SharedArrayBuffers) are
 * numbered 0, 1, 2… in the order they are first met, depth first, and met
 * again as a REF to that number — that is how shared parts and cycles
 * survive. `str` below is a value with a string tag; `u32`, `i32`, `f64`,
 * `i64` are fixed-width; `vu` is an unsigned LEB128 varint of at most 5 bytes.
 *
 * ```text
 *  tag        name                    payload                                  decodes to
 *  0x00       (invalid)               —                                        (zeroed memory is never an item)
 *  0x01       UNDEFINED               —                                        undefined
 *  0x02       NULL                    —                                        null
 *  0x03/0x04  FALSE/TRUE              —                                        false / true
 *  0x05       INT32                   i32                                      int32 number (not -0)
 *  0x06       FLOAT64                 f64                                      any other number (-0, NaN, ±Infinity)
 *  0x07       BIGINT64                i64                                      bigint in int64 range
 *  0x08       BIGINT                  u8 sign (1 = negative), vu n, n bytes    other bigint; magnitude least significant byte first
 *  0x09       LATIN1                  u32 n, n bytes                           string, one byte per char (ASCII when written)
 *  0x0A       UTF8                    u32 n, n bytes                           well-formed string
 *  0x0B       UTF16                   u32 n, n bytes (n even)                  any string, lone surrogates included
 *  0x0C       REF                     vu id                                    the object numbered id
 *  0x0D       END                     —                                        closes the entries of the next four
 *  0x10    *  OBJECT                  (str key, value)* END                    plain object (own enumerable string keys, in order)
 *  0x11    *  ARRAY                   vu n, n values                           array with n elements, no holes, no other keys
 *  0x12    *  SPARSE_ARRAY            vu length, (str key, value)* END         array with holes or extra keys (every own key)
 *  0x13    *  MAP                     (value key, value)* END                  Map
 *  0x14    *  SET                     value* END                               Set
 *  0x15    *  DATE                    f64                                      Date
 *  0x16    *  REGEXP                  str source, u8 flag bits (d g i m s u v y from bit 0)   RegExp (lastIndex 0)
 *  0x17    *  NUMBER_OBJECT           f64                                      Number wrapper
 *  0x18    *  STRING_OBJECT           str                                      String wrapper
 *  0x19/0x1A * FALSE/TRUE_OBJECT      —                                        Boolean wrapper
 *  0x1B    *  BIGINT_OBJECT           BIGINT64 or BIGINT value                 BigInt wrapper
 *  0x1C    *  ARRAY_BUFFER            vu n, n bytes                            ArrayBuffer (copied)
 *  0x1D    *  RESIZABLE_ARRAY_BUFFER  vu n, vu maxByteLength, n bytes          resizable ArrayBuffer (copied)
 *  0x1E       SHARED_ARRAY_BUFFER     vu index                                 buffers[index], the same memory
 *  0x1F    *  VIEW                    u8 kind, vu byteOffset, vu length, buffer    typed array (length in elements) or DataView
 *                                     (buffer: ARRAY_BUFFER, RESIZABLE_ARRAY_BUFFER, SHARED_ARRAY_BUFFER or REF to a buffer)
 *  0x20    *  ERROR                   u8 name, u8 fields, [str message] [str stack] [value cause]
 *  0x80+n     SHORT_LATIN1            n bytes (n < 64)                         short string, one byte per char
 *  0xC0+n     SMALL_INT               —                                        the number n (n < 64)
 *
 *  * = numbered: the object takes the next id when its tag is read (a VIEW before its buffer).
 *  view kinds: 0 Int8Array 1 Uint8Array 2 Uint8ClampedArray 3 Int16Array 4 Uint16Array 5 Int32Array
 *              6 Uint32Array 7 Float32Array 8 Float64Array 9 BigInt64Array 10 BigUint64Array 11 DataView
 *  error names: 0 Error 1 EvalError 2 RangeError 3 ReferenceError 4 SyntaxError 5 TypeError 6 URIError
 *  error fields: 1 message, 2 stack, 4 cause (which optional parts follow)
 * ```
 *
 * For example `{ i: 1000, s: 'x' }` is 13 bytes:
 * `10 | 81 'i' | 05 e8 03 00 00 | 81 's' | 81 'x' | 0d`.
 *
 * The codes are defined in `codec-tags.ts`; encoding is in `codec-encode.ts`,
 * decoding (bounds-checked throughout) in `codec-decode.ts`.
 *
 * Where this differs from `structuredClone`: a typed array that tracks the
 * length of a resizable buffer arrives with a fixed length; a Blob is refused
 * (its bytes cannot be read synchronously); other objects with internal state
 * that structured clone refuses are only recognised for the common kinds
 * (the marshaller in front refuses class instances anyway).
 *
 * @module
 */

export { ItemWriter, encodeItem } from './codec-encode.js';
export { decodeItem } from './codec-decode.js';
