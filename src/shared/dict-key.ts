/**
 * SharedDict's keys: which values may be keys, when two keys are the same
 * key, and the bytes and hash a key is stored and found by.
 *
 * A key is a string, number, bigint, boolean, null, undefined, or an array
 * of keys. Primitives are the same key when JavaScript's `Map` says so
 * (SameValueZero: `0` and `-0` are one key, `NaN` is one key, `1` and `1n`
 * and `true` are three). Arrays are compared by value, element by element,
 * as Python compares tuples: `[1, 'a']` finds what was stored under another
 * array `[1, 'a']`. The dict keeps a copy of an array key, so changing the
 * array afterwards changes nothing stored.
 *
 * Objects, Maps, Dates and other mutable things are refused with a
 * TypeError rather than compared by identity (which cannot cross threads)
 * or by contents (which can change after they are stored): Python refuses
 * unhashable keys the same way.
 *
 * A key is canonicalised (`-0` → `0`, every NaN → one NaN, arrays copied
 * dense without shared parts), then encoded by the item codec, whose
 * encoding of such values is a function of the value alone. Equal keys
 * therefore have equal bytes, and the hash is FNV-1a over those bytes.
 */

import { showTyped } from './typecodes.js';
import { decodeItem, encodeItem, ItemWriter } from '../queue/codec.js';

/** What a SharedDict key can be. */
export type DictKey = string | number | bigint | boolean | null | undefined | readonly DictKey[];

/** A key encoded for lookup or storage. */
export interface EncodedKey {
  readonly bytes: Uint8Array;
  readonly length: number;
  /** FNV-1a of the bytes, as an int32. */
  readonly hash: number;
}

/** How deep arrays may nest in a key (deeper is almost surely a cycle). */
const MAX_DEPTH = 32;
const NO_BUFFERS: SharedArrayBuffer[] = [];
const writer = new ItemWriter(256);
const scratch = { bytes: writer.bytes, length: 0, hash: 0 };

function refuse(key: unknown, what: string, inside: boolean): never {
  throw new TypeError(
    `${what}: a key must be a string, number, bigint, boolean, null, undefined or an array of those ` +
      `(compared by value, like a Python tuple); got ${inside ? 'an array holding ' : ''}${showTyped(key)}`,
  );
}

function canonical(key: unknown, what: string, depth: number): unknown {
  switch (typeof key) {
    case 'string':
    case 'bigint':
    case 'boolean':
    case 'undefined':
      return key;
    case 'number':
      // -0 is 0, and every NaN (whatever its bits) is the one NaN, as in a Map.
      return key === 0 ? 0 : key !== key ? NaN : key;
    case 'object':
      if (key === null) return null;
      if (Array.isArray(key)) {
        if (depth >= MAX_DEPTH) throw new TypeError(`${what}: the key nests arrays deeper than ${MAX_DEPTH} (is it a cycle?)`);
        const copy = new Array<unknown>(key.length);
        for (let i = 0; i < key.length; i++) {
          if (!(i in key)) throw new TypeError(`${what}: the key is an array with a hole at index ${i}`);
          copy[i] = canonical(key[i], what, depth + 1);
        }
        return copy;
      }
  }
  return refuse(key, what, depth > 0);
}

/** FNV-1a, 32 bits, over `bytes[0, length)`. */
function hashOf(bytes: Uint8Array, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash | 0;
}

/**
 * `key` encoded, in a scratch buffer that the next call reuses: copy it
 * ({@link keepKey}) to hold it across another key's encoding.
 *
 * @throws TypeError if `key` cannot be a key (see the top of this file).
 */
export function encodeKey(key: unknown, what: string): EncodedKey {
  encodeItem(typeof key === 'string' ? key : canonical(key, what, 0), writer, NO_BUFFERS);
  scratch.bytes = writer.bytes;
  scratch.length = writer.length;
  scratch.hash = hashOf(writer.bytes, writer.length);
  return scratch;
}

/** A copy of an encoded key that later encodings leave alone. */
export function keepKey(key: EncodedKey): EncodedKey {
  return { bytes: key.bytes.slice(0, key.length), length: key.length, hash: key.hash };
}

/** Whether the `length` bytes at `bytes[offset]` are `key`'s. */
export function sameKey(bytes: Uint8Array, offset: number, length: number, key: EncodedKey): boolean {
  if (length !== key.length) return false;
  const mine = key.bytes;
  for (let i = 0; i < length; i++) if (bytes[offset + i] !== mine[i]) return false;
  return true;
}

/** The key encoded at `bytes[offset, offset + length)`. */
export function decodeKey(bytes: Uint8Array, offset: number, length: number): DictKey {
  return decodeItem(bytes, offset, length, NO_BUFFERS) as DictKey;
}
