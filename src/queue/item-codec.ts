/**
 * Items on their way into and out of a queue's ring: marshalled (shareables
 * become descriptions), encoded to bytes by the codec, and the shared buffers
 * they refer to published beside them.
 *
 * Shared buffers cannot be written into bytes: a `SharedArrayBuffer` only
 * reaches another thread by being posted. So an item that refers to any (a
 * Lock's words, a SharedArray's memory) publishes them in the process-wide
 * shared-memory registry under a token; the consumer claims them by token and
 * removes them. Items without shared buffers — the common case — cost nothing
 * extra.
 *
 * A processes-scope queue's items go to other processes, where that registry
 * does not reach: they are marshalled for a process (shareables of the
 * processes scope carry their shared buffers as segment slices, the threads
 * scope's are refused with an error naming the one to use), and shared
 * buffers in the item itself travel as segment slices too. Such an item's
 * token is {@link PROCESS_ENVELOPE} and it publishes nothing.
 */

import { decode, encode, formatPath, type Destination, type Envelope } from '../share/marshal.js';
import { lookup, register, unregister } from '../shared/registry.js';
import { putSharedSlots, takeSharedSlots, type SharedSlot } from '../memory/shared-slots.js';
import { DataCloneError } from '../errors.js';
import { decodeItem, encodeItem, ItemWriter, NotPlainData } from './codec.js';
import type { RawItem } from './ring.js';

/** An item encoded for the ring. */
export interface EncodedItem {
  readonly writer: ItemWriter;
  /** 0: a plain value. Otherwise the bytes are an envelope, and `buffers` shared buffers are published under it. */
  readonly token: number;
  readonly buffers: number;
}

/** The token of an item marshalled for another process: an envelope, with no buffers published. */
export const PROCESS_ENVELOPE = -1;

/** An envelope for another process, with the segment slices of the shared buffers in its value. */
interface ProcessEnvelope extends Envelope {
  readonly slots?: readonly SharedSlot[];
}

const idle: ItemWriter[] = [];

// Writers are reused: one per put in flight on this thread (a parked async
// put keeps its writer until it ends).
function takeWriter(): ItemWriter {
  const writer = idle.pop() ?? new ItemWriter(4096);
  writer.reset();
  return writer;
}

/** Returns a writer once its put has ended. */
export function releaseWriter(writer: ItemWriter): void {
  if (idle.length < 8) idle.push(writer);
}

function bufferName(token: number, index: number): string {
  return `weft:queue-item:${token}:${index}`;
}

function newToken(): number {
  return (Math.random() * 0x7ffffffe + 1) | 0;
}

/**
 * Encodes `item` for a put, to parties that are threads of this process or
 * (`destination` `'process'`) other processes. Throws {@link DataCloneError}
 * naming the path of anything that cannot cross, before anything is published.
 */
export function encodeForRing(item: unknown, root: string, destination: Destination = 'thread'): EncodedItem {
  const writer = takeWriter();
  const buffers: SharedArrayBuffer[] = [];
  // Fast path: one walk, by the codec, for plain data (the common case). It
  // stops at the first class instance, function or symbol.
  try {
    encodeItem(item, writer, buffers, true);
    if (buffers.length === 0) return { writer, token: 0, buffers: 0 };
  } catch (error) {
    if (!(error instanceof NotPlainData) && !(error instanceof DataCloneError)) {
      releaseWriter(writer);
      throw error;
    }
  }
  // Shareables, shared buffers, or something that cannot cross: the
  // marshaller describes shareables and names the path of what is refused.
  writer.reset();
  buffers.length = 0;
  try {
    if (destination === 'process') {
      encodeItem(forProcess(item, root), writer, buffers);
      if (buffers.length > 0) {
        throw new DataCloneError(root, `${root} holds shared memory inside a Map or Set, which cannot reach another process: put it in an array or a plain object`);
      }
      return { writer, token: PROCESS_ENVELOPE, buffers: 0 };
    }
    const envelope = encode(item, { root });
    encodeItem(envelope.patches === undefined ? { value: envelope.value } : envelope, writer, buffers);
  } catch (error) {
    releaseWriter(writer);
    throw error;
  }
  for (;;) {
    const token = newToken();
    if (!register(bufferName(token, 0), buffers[0] ?? new SharedArrayBuffer(0))) continue;
    for (let i = 1; i < buffers.length; i++) register(bufferName(token, i), buffers[i]!);
    return { writer, token, buffers: buffers.length };
  }
}

/** `item` marshalled for another process, its shared buffers replaced by segment slices. */
function forProcess(item: unknown, root: string): ProcessEnvelope {
  const envelope = encode(item, { root, destination: 'process' });
  const slots: SharedSlot[] = [];
  const value = takeSharedSlots(envelope.value, slots, (path, error) => {
    const where = formatPath(root, path);
    throw new DataCloneError(
      where,
      `${where} is shared memory of this process only (${(error as Error).message}); ` +
        'to share bytes with another process, allocate them from the processes scope (processes.SharedArray, processes.Value)',
    );
  });
  return { value, patches: envelope.patches, slots: slots.length === 0 ? undefined : slots };
}

/** Withdraws what {@link encodeForRing} published, for a put that did not deliver. */
export function withdraw(encoded: EncodedItem): void {
  if (encoded.token <= 0) return;
  for (let i = 0; i < Math.max(1, encoded.buffers); i++) unregister(bufferName(encoded.token, i));
}

/** The value of a raw item from the ring, or its envelope if it holds shareables. */
export function decodeRaw(raw: RawItem): { value: unknown } | { envelope: Envelope } {
  if (raw.token === 0) return { value: decodeItem(raw.bytes, raw.offset, raw.length, []) };
  if (raw.token === PROCESS_ENVELOPE) {
    const { value, patches, slots } = decodeItem(raw.bytes, raw.offset, raw.length, []) as ProcessEnvelope;
    return { envelope: { value: slots === undefined ? value : putSharedSlots(value, slots), patches } };
  }
  const buffers: SharedArrayBuffer[] = [];
  for (let i = 0; i < raw.buffers; i++) {
    const buffer = lookup(bufferName(raw.token, i));
    if (buffer === undefined) {
      throw new DataCloneError('item', `a queue item's shared buffer ${i} (token ${raw.token}) is not reachable from this thread`);
    }
    buffers.push(buffer);
  }
  return { envelope: decodeItem(raw.bytes, raw.offset, raw.length, buffers) as Envelope };
}

/** Removes a taken item's published buffers from the registry. */
export function release(raw: { token: number; buffers: number }): void {
  if (raw.token <= 0) return;
  for (let i = 0; i < Math.max(1, raw.buffers); i++) unregister(bufferName(raw.token, i));
}

export { decode as reviveEnvelope };
