/**
 * What a pool and its thread workers say to each other over their rings: the
 * message kinds, and the bodies — task arguments, results, errors — encoded
 * by the queue codec.
 *
 * A body that holds shareables or shared buffers, or is too large for the
 * ring, travels on the worker's MessagePort instead (a SharedArrayBuffer can
 * only reach another thread by being posted); its ring message carries the
 * {@link ON_PORT} bit, so order is kept: the reader takes the body from the
 * port when it meets the message.
 */

import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { DataCloneError } from '../../errors.js';
import { decode, encode, type Envelope } from '../../share/marshal.js';
import { decodeItem, encodeItem, ItemWriter, NotPlainData } from '../../queue/codec.js';
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
/** Task flag: report {@link STARTED}. */
export const REPORT_START = 1;
/** Task flag: the arguments are a list of argument lists; run the target on each, return the list of results. */
export const CHUNK = 2;
/** Task flag, with {@link CHUNK}: each element of the chunk is one argument, not an argument list (`map` over one iterable). */
export const ITEMS = 4;

/** An encoded body: ring bytes, or an envelope for the port. */
export type Body = { readonly bytes: Uint8Array; readonly length: number } | { readonly envelope: Envelope };

const scratch: SharedArrayBuffer[] = [];

/**
 * Encodes `value` for the ring into `writer`, or — when it holds shareables
 * or shared buffers or is larger than `largest` bytes — into an envelope for
 * the port. `args`: `value` is a task's argument list (an array with no
 * holes or other properties; see `encodeItem`'s `denseRoot`).
 *
 * @throws DataCloneError naming the path (under `root`) of what cannot cross.
 */
export function encodeBody(value: unknown, root: string, writer: ItemWriter, largest: number, args = false): Body {
  scratch.length = 0;
  try {
    encodeItem(value, writer, scratch, true, args);
    if (scratch.length === 0 && writer.length <= largest) return { bytes: writer.bytes, length: writer.length };
  } catch (error) {
    if (!(error instanceof NotPlainData) && !(error instanceof DataCloneError)) throw error;
  }
  scratch.length = 0;
  return { envelope: encode(value, { root }) };
}

/**
 * Writes a message with `body` to `ring` (the envelope to `port`). Returns
 * false, sending nothing, if the ring has no room.
 */
export function send(ring: MessageRing, port: MessagePort, kind: number, a: number, b: number, c: number, body: Body | undefined): boolean {
  if (body === undefined) return ring.write(kind, a, b, c, undefined, 0);
  if ('bytes' in body) return ring.write(kind, a, b, c, body.bytes, body.length);
  if (!ring.write(kind | ON_PORT, a, b, c, undefined, 0)) return false;
  port.postMessage(body.envelope);
  return true;
}

/** The body of the message at `at`, whether in the ring or on the port. Revives shareables. */
export function receive(ring: MessageRing, port: MessagePort, at: number): unknown {
  if ((ring.word(at, 0) & ON_PORT) !== 0) return decode(portEnvelope(port));
  return decodeItem(ring.bytes, ring.bodyStart(at), ring.bodyLength(at), []);
}

/** The next envelope on `port`: it was posted before its ring message was published. */
export function portEnvelope(port: MessagePort): Envelope {
  const message = receiveMessageOnPort(port);
  if (message === undefined) throw new Error('weft pool: a message announced on the ring is missing from the port');
  return message.message as Envelope;
}

export { ItemWriter };
