/**
 * Processes-scope handles as text: for processes weft does not start itself
 * — `node:cluster` workers, a process started with `child_process.spawn`, a
 * service started by a supervisor — which can be handed a string (an
 * environment variable, an argument, a line on a pipe) but not a live object.
 * The text carries the same description a `Process` argument crosses with:
 * for each shareable, the segment slices naming its shared memory.
 */

import { deserialize, serialize } from 'node:v8';
import { decode, encode, type Envelope } from '../share/marshal.js';
import './processes-family.js'; // every processes-scope class registered before a text is read

const PREFIX = 'weft1:';

/**
 * `value` — any structured-clone data holding processes-scope objects (a
 * Lock, a Value, a SharedDict, a Queue...) at any depth — as text another
 * process on this host turns back into live handles on the same shared state
 * with {@link importHandles}.
 *
 * The text names shared memory; it does not hold it. Keep the objects alive
 * in this process until the other process has imported the text (a
 * segment's name goes when no live process uses it).
 *
 * @throws DataCloneError naming the path of anything that cannot reach
 *   another process (a threads-scope object, a function...).
 * @example
 * ```ts
 * import { processes } from 'weft';
 * const hits = new processes.Value('i', 41);
 * const text = processes.exportHandles({ hits }); // e.g. cluster.fork({ WEFT_SHARED: text })
 * const { hits: same } = processes.importHandles<{ hits: typeof hits }>(text); // in the other process
 * same.value += 1;
 * console.log(hits.value); // 42
 * ```
 * @see Python's pickling of `multiprocessing` objects for a child process
 */
export function exportHandles(value: unknown): string {
  const envelope = encode(value, { root: 'value', destination: 'process' });
  return PREFIX + serialize(envelope).toString('base64');
}

/**
 * The live handles in a text made by {@link exportHandles} (in this process
 * or another on the host, of the same user and `WEFT_NAMESPACE`),
 * synchronously.
 *
 * @throws TypeError if `text` is not such a text.
 * @throws SegmentNotFoundError if the shared memory it names is gone (the
 *   exporting process let go of the objects, or exited).
 * @throws DataCloneError for a shareable of a user class whose module this
 *   process has not imported.
 */
export function importHandles<T = unknown>(text: string): T {
  if (typeof text !== 'string' || !text.startsWith(PREFIX)) {
    throw new TypeError(`importHandles(): expected a text made by exportHandles() (starting '${PREFIX}'), got ${typeof text === 'string' ? JSON.stringify(text.slice(0, 20)) : typeof text}`);
  }
  let envelope: Envelope;
  try {
    envelope = deserialize(Buffer.from(text.slice(PREFIX.length), 'base64')) as Envelope;
  } catch (error) {
    throw new TypeError('importHandles(): the text is damaged (it does not decode)', { cause: error });
  }
  if (envelope === null || typeof envelope !== 'object' || !('value' in envelope)) {
    throw new TypeError('importHandles(): the text is damaged (it holds no handles)');
  }
  return decode(envelope) as T;
}
