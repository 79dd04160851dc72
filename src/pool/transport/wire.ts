/**
 * What a pool and its workers say to each other over their rings: the
 * message kinds, and the bodies — task arguments, results, errors — encoded
 * by the queue codec.
 *
 * A body that holds shareables or shared buffers, or is too large for the
 * ring, travels beside it instead — on a worker thread's MessagePort (a
 * SharedArrayBuffer can only reach another thread by being posted), on a
 * child process's IPC channel; its ring message carries the {@link ON_PORT}
 * bit, so order is kept: the reader takes the body from the side channel
 * when it meets the message. Between processes, a body the codec cannot
 * carry that still fits the ring goes in it as V8's serialization of its
 * marshal envelope (the {@link SERIALIZED} bit): shareables cross as
 * segment slices, without a trip through the IPC channel.
 */

import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';
import { DataCloneError } from '../../errors.js';
import { encode, type Destination, type Envelope } from '../../share/marshal.js';
import { encodeItem, ItemWriter, NotPlainData } from '../../queue/codec.js';
import { packForProcess, type ProcessBody } from './process-body.js';
import { IN_LANE } from './lanes.js';
import type { MessageRing } from './ring.js';

// Pool → worker. a = task sequence number, b = target id, c = flags.
export const TASK = 1;
/** Defines target b: the body is its description. */
export const DEFINE = 2;
/** Finish and exit. */
export const STOP = 3;

// Worker → pool. a = task sequence number, b = run time in microseconds.
export const RETURNED = 1;
export const THREW = 2;
/** The task with a timeout has started: its clock runs from now. */
export const STARTED = 3;
/** The initializer threw: the body is the error. */
export const INIT_FAILED = 4;
/** Some calls of a chunk threw: the body is `[results, [index, error][]]` (see `PartialChunk`). */
export const PARTIAL = 5;
/** The task was withdrawn before this worker claimed it, and was not run. */
export const SKIPPED = 6;
/** The kind of a ring message, without its flag bits (ON_PORT, and the ring's TAKEN / WITHDRAWN). */
export const KIND_MASK = 0xff;

/** Set on a kind when the body is the next message on the port. */
export const ON_PORT = 0x100;
/** Set on a kind when the body — in the ring, its lane or on the channel — is a marshal envelope serialized by V8 (processes only). */
export const SERIALIZED = 0x800;
/** Task flag: report {@link STARTED}. */
export const REPORT_START = 1;
/** Task flag: the arguments are a list of argument lists; run the target on each, return the list of results. */
export const CHUNK = 2;
/** Task flag, with {@link CHUNK}: each element of the chunk is one argument, not an argument list (`map` over one iterable). */
export const ITEMS = 4;

/**
 * An encoded body: ring bytes (codec, or with `serialized` a V8-serialized
 * envelope); between processes, `large` bytes of the same two kinds for a
 * lane or the IPC channel (see lanes.ts); between threads, an envelope for
 * the MessagePort.
 */
export type Body =
  | { readonly bytes: Uint8Array; readonly length: number; readonly serialized?: true }
  | { readonly large: Uint8Array; readonly serialized: boolean }
  | { readonly aside: Envelope };

/**
 * Where a body the ring does not carry goes instead: a MessagePort, an IPC
 * channel — or, between processes, the lane beside the ring when it takes
 * the body (see lanes.ts).
 */
export interface SideChannel {
  postMessage(body: ProcessBody): void;
  /** The lane, if it takes a large body of `length` bytes now (the pool's is made and announced on first use). */
  lane?(length: number): MessageRing | undefined;
}

const scratch: SharedArrayBuffer[] = [];

/**
 * Encodes `value` for the ring into `writer`, or — when it holds shareables
 * or shared buffers or is larger than `largest` bytes — for the side
 * channel. `args`: `value` is an array with no holes or other properties —
 * a task's argument list, a map chunk, a chunk's results (see `encodeItem`'s
 * `denseRoot`). For a `'process'` destination, an envelope that fits the
 * ring is serialized into it (see {@link SERIALIZED}), and a body too large
 * for it is encoded once, as `large` bytes: a list longer than
 * `largest / 16` is not tried in the ring at all unless it is such an array
 * of numbers (which the codec copies as a typed array), and plain data the
 * codec encoded too large goes as those bytes.
 *
 * @throws DataCloneError naming the path (under `root`) of what cannot cross.
 */
export function encodeBody(value: unknown, root: string, writer: ItemWriter, largest: number, args = false, destination: Destination = 'thread'): Body {
  const toProcess = destination === 'process';
  // A dense list of numbers (a map chunk) the codec copies as a typed array; V8 writes other long lists faster.
  if (toProcess && Array.isArray(value) && value.length > largest >>> 4 && !(args && typeof value[0] === 'number')) return packLarge(value, root);
  scratch.length = 0;
  try {
    encodeItem(value, writer, scratch, true, args);
    if (scratch.length === 0) {
      if (writer.length <= largest) return { bytes: writer.bytes, length: writer.length };
      if (toProcess) return { large: writer.bytes.slice(0, writer.length), serialized: false };
    }
  } catch (error) {
    if (!(error instanceof NotPlainData) && !(error instanceof DataCloneError)) throw error;
  }
  scratch.length = 0;
  const envelope = encode(value, { root, destination });
  if (!toProcess) return { aside: envelope };
  const bytes = serialize(envelope);
  return bytes.length <= largest ? { bytes, length: bytes.length, serialized: true } : { large: bytes, serialized: true };
}

/** A large body for another process: codec bytes for a list of objects, else V8's serialization of its envelope (see process-body.ts). */
function packLarge(value: unknown[], root: string): Body {
  const packed = packForProcess(value, root);
  return packed instanceof Uint8Array ? { large: packed, serialized: false } : { large: serialize(packed), serialized: true };
}

/**
 * Writes a message with `body` to `ring` (a large one to `side`'s lane or
 * channel, an envelope to `side`). Returns false, sending nothing, if the
 * ring has no room.
 */
export function send(ring: MessageRing, side: SideChannel, kind: number, a: number, b: number, c: number, body: Body | undefined): boolean {
  if (body === undefined) return ring.write(kind, a, b, c, undefined, 0);
  if ('bytes' in body) return ring.write(body.serialized ? kind | SERIALIZED : kind, a, b, c, body.bytes, body.length);
  if ('aside' in body) {
    if (!ring.write(kind | ON_PORT, a, b, c, undefined, 0)) return false;
    side.postMessage(body.aside);
    return true;
  }
  const { large } = body;
  const marked = body.serialized ? kind | SERIALIZED : kind;
  // The lane's message is published before the ring's marker can be: the marker is written first, published later.
  const lane = side.lane?.(large.length);
  if (lane !== undefined) {
    if (!ring.write(marked | IN_LANE, a, b, c, undefined, 0)) return false;
    lane.write(0, 0, 0, 0, large, large.length);
    lane.publish();
    return true;
  }
  if (!ring.write(marked | ON_PORT, a, b, c, undefined, 0)) return false;
  side.postMessage(large);
  return true;
}

/** The envelope in the ring at `at`, whose kind has {@link SERIALIZED}. */
export function serializedEnvelope(ring: MessageRing, at: number): Envelope {
  const start = ring.bodyStart(at);
  // Copied out: the ring's bytes are reused once the message is consumed.
  return deserialize(ring.bytes.slice(start, start + ring.bodyLength(at))) as Envelope;
}

/** The next envelope on `port`: it was posted before its ring message was published. */
export function portEnvelope(port: MessagePort): Envelope {
  const message = receiveMessageOnPort(port);
  if (message === undefined) throw new Error('weft pool: a message announced on the ring is missing from the port');
  return message.message as Envelope;
}

export { ItemWriter };
