/**
 * Keys and values in arena blocks: writing an encoded value (and key) into a
 * block, reading it back, and letting go of what it published.
 *
 * Values are encoded by the queues' item codec (queue/item-codec.ts), with
 * the queues' rules: any structured-clone value; shareables (a Lock, a
 * Queue, another SharedDict) become descriptions and arrive live; shared
 * buffers are published in the process-wide registry under the block's
 * TOKEN. A queue item's buffers are withdrawn when it is taken; a stored
 * value's stay published for as long as the block holds the value — every
 * reader looks them up — and are withdrawn when it is overwritten or
 * removed.
 */

import { type ItemWriter } from '../queue/codec.js';
import type { Destination } from '../share/marshal.js';
import { decodeRaw, encodeForRing, release, releaseWriter, reviveEnvelope } from '../queue/item-codec.js';
import type { Arena } from './arena.js';
import { BLOCK_HEADER, BUFFERS, KEY_LENGTH, SIZE, TOKEN, VALUE_LENGTH } from './container-layout.js';
import { decodeKey, type DictKey, type EncodedKey } from './dict-key.js';

/** A value encoded for a block. */
export interface EncodedValue {
  readonly bytes: Uint8Array;
  readonly length: number;
  /** 0, or the registry token its shared buffers are published under (0 again once discarded). */
  token: number;
  readonly buffers: number;
  /** The pooled writer `bytes` belongs to, until {@link settle} or {@link detach}. */
  writer: ItemWriter | undefined;
}

/**
 * Encodes `value` for readers that are threads of this process, or
 * (`destination` `'process'`, a processes-scope container) other processes:
 * then shareables carry their shared memory as segment slices and nothing
 * is published. Shared buffers are published at once: a write that does not
 * happen must {@link discard} it; one that does must {@link settle} it.
 *
 * @throws DataCloneError naming the path of anything that cannot be stored.
 */
export function encodeValue(value: unknown, root: string, destination: Destination = 'thread'): EncodedValue {
  const { writer, token, buffers } = encodeForRing(value, root, destination);
  return { bytes: writer.bytes, length: writer.length, token, buffers, writer };
}

/** The same value with its bytes copied out of the pooled writer (for writes of many values). */
export function detach(value: EncodedValue): EncodedValue {
  const kept = { ...value, bytes: value.bytes.slice(0, value.length), writer: undefined };
  settle(value);
  return kept;
}

/** A value written (or discarded): returns its writer to the pool. Idempotent. */
export function settle(value: EncodedValue): void {
  if (value.writer !== undefined) releaseWriter(value.writer);
  value.writer = undefined;
}

/** A value that was not stored: withdraws its buffers and returns its writer. Idempotent. */
export function discard(value: EncodedValue): void {
  release(value);
  value.token = 0;
  settle(value);
}

/** Encodes every value of `values` (detached); on a failure, discards those done and rethrows. */
export function encodeAll(values: readonly unknown[], root: (index: number) => string, destination: Destination = 'thread'): EncodedValue[] {
  const encoded: EncodedValue[] = [];
  try {
    for (let i = 0; i < values.length; i++) encoded.push(detach(encodeValue(values[i], root(i), destination)));
  } catch (error) {
    for (const value of encoded) discard(value);
    throw error;
  }
  return encoded;
}

/** The payload bytes a key and value take together. */
export function payloadOf(key: EncodedKey | undefined, value: EncodedValue): number {
  return (key?.length ?? 0) + value.length;
}

/** Writes a key (or none) and a value into a fresh block. */
export function writeItem(arena: Arena, block: number, key: EncodedKey | undefined, value: EncodedValue): void {
  const at = block >> 2;
  const keyLength = key?.length ?? 0;
  arena.ints[at + KEY_LENGTH] = keyLength;
  if (key !== undefined) copyInto(arena.bytes, block + BLOCK_HEADER, key.bytes, keyLength);
  writeValue(arena, block, value);
}

/** Replaces a block's value (its key stays); the old value's buffers must be dropped first. */
export function writeValue(arena: Arena, block: number, value: EncodedValue): void {
  const at = block >> 2;
  const ints = arena.ints;
  ints[at + VALUE_LENGTH] = value.length;
  ints[at + TOKEN] = value.token;
  ints[at + BUFFERS] = value.buffers;
  copyInto(arena.bytes, block + BLOCK_HEADER + ints[at + KEY_LENGTH]!, value.bytes, value.length);
}

/** Copies `source[0, length)` to `target[offset]`: short runs by hand (a subarray costs more than the copy). */
function copyInto(target: Uint8Array, offset: number, source: Uint8Array, length: number): void {
  if (length > 64) target.set(source.subarray(0, length), offset);
  else for (let i = 0; i < length; i++) target[offset + i] = source[i]!;
}

/**
 * Whether `block` can take a value of `length` bytes in place: it fits, and
 * the block is not more than twice what it would need (so a value that
 * shrank a lot lets go of the space).
 */
export function fitsInPlace(arena: Arena, block: number, length: number): boolean {
  const ints = arena.ints;
  const needed = BLOCK_HEADER + ints[(block >> 2) + KEY_LENGTH]! + length;
  const size = ints[(block >> 2) + SIZE]!;
  return needed <= size && size <= 2 * needed + 64;
}

/**
 * The value in `block`, decoded (shareables revived).
 *
 * @throws DataCloneError if it holds a shareable of a kind this thread has
 *   not registered (its module was never imported here).
 */
export function readValue(arena: Arena, block: number): unknown {
  const ints = arena.ints;
  const at = block >> 2;
  const taken = decodeRaw({
    bytes: arena.bytes,
    offset: block + BLOCK_HEADER + ints[at + KEY_LENGTH]!,
    length: ints[at + VALUE_LENGTH]!,
    token: ints[at + TOKEN]!,
    buffers: ints[at + BUFFERS]!,
  });
  return 'value' in taken ? taken.value : reviveEnvelope(taken.envelope);
}

/** The key in `block`. */
export function readKey(arena: Arena, block: number): DictKey {
  return decodeKey(arena.bytes, block + BLOCK_HEADER, arena.ints[(block >> 2) + KEY_LENGTH]!);
}

/** Withdraws the shared buffers the block's value published (before it is overwritten or freed). */
export function dropValue(arena: Arena, block: number): void {
  const ints = arena.ints;
  const token = ints[(block >> 2) + TOKEN]!;
  if (token !== 0) release({ token, buffers: ints[(block >> 2) + BUFFERS]! });
}

/** Drops the block's value and frees the block. */
export function freeItem(arena: Arena, block: number): void {
  dropValue(arena, block);
  arena.free(block);
}
