/**
 * Task arguments and results between a process pool and its children.
 *
 * Both ways are exact structured clones; they differ in speed. Node's IPC
 * channel runs V8's serializer over every message. A list of many objects —
 * a chunk of `map`'s items, or its results — goes faster encoded by the
 * queue codec into bytes that cross as one `Uint8Array` (V8 then copies it
 * in one go): ~1.5x for 200,000 `{ i, s }` objects in chunks. Everything
 * else — one task's arguments, a list of numbers or strings (which V8
 * writes ~7x faster than the codec walks), class instances, shareables,
 * shared buffers — goes as a marshal envelope, whose encoding refuses what
 * cannot reach another process and names its path.
 */

import { DataCloneError } from '../../errors.js';
import { decode, encode, type Envelope } from '../../share/marshal.js';
import { decodeItem, encodeItem, ItemWriter, NotPlainData } from '../../queue/codec.js';

/** What a task's arguments or result travel as. */
export type ProcessBody = Uint8Array | Envelope;

const writer = new ItemWriter(4096);
const buffers: SharedArrayBuffer[] = [];

/**
 * Encodes `value` for a child process (or from one to its pool).
 *
 * @throws DataCloneError naming the path (under `root`) of what cannot cross.
 */
export function packForProcess(value: unknown, root: string): ProcessBody {
  if (!listOfObjects(value)) return encode(value, { root, destination: 'process' });
  buffers.length = 0;
  try {
    encodeItem(value, writer, buffers, true);
    if (buffers.length === 0) return writer.bytes.slice(0, writer.length);
  } catch (error) {
    if (!(error instanceof NotPlainData) && !(error instanceof DataCloneError)) throw error;
  }
  buffers.length = 0;
  return encode(value, { root, destination: 'process' });
}

/** The bodies the codec carries faster: lists of more than a few objects. */
function listOfObjects(value: unknown): boolean {
  if (!Array.isArray(value) || value.length <= 16) return false;
  const first: unknown = value[0];
  return typeof first === 'object' && first !== null;
}

/** Whether `body` needs {@link unpackAsync} (it holds shareables to revive) rather than {@link unpack}. */
export function needsRevival(body: ProcessBody): boolean {
  return !(body instanceof Uint8Array) && body.patches !== undefined;
}

/** The value of a body that holds no shareables (see {@link needsRevival}). */
export function unpack(body: ProcessBody): unknown {
  return body instanceof Uint8Array ? decodeItem(body, 0, body.length, []) : decode(body);
}
