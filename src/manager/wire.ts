/**
 * What crosses a manager's socket, after authentication: one message per
 * frame, encoded by weft's structured-clone codec (`queue/codec.ts`) — plain
 * data only. Nothing received is evaluated, imported or used to pick code:
 * a request names a registered typeid or object id and an exposed method,
 * and the server looks both up in its own tables.
 *
 * ```text
 *  request   { i: call id (0: no reply), op: 'create' | 'call' | 'incref' | 'decref',
 *              t?: typeid, id?: object id, m?: method, a: args, x?: 1, q?: 1 }
 *  reply     { i, ok: true, v: value, x?: 1, t?: proxy token of a new object }
 *            { i, ok: false, e: { name, message, code?, fields? } }
 * ```
 *
 * `q: 1` marks a request a client with shared-memory rings sent on the
 * socket (too big for its ring): the server runs it where the client's
 * marker on the ring says (shm-ring.ts).
 *
 * `x: 1` marks `a` / `v` as a marshal envelope `{ value, patches }`: the
 * value held manager proxies, each replaced by its token (typeid, object id,
 * server id, exposed methods, address — never the authkey: the receiver
 * uses the key of the connection the token came on). Proxies are the only
 * shareable that crosses; every patch is checked — its kind, its token's
 * shape, and that its path walks own properties of the decoded value only
 * (so a crafted path cannot reach `Object.prototype`) — before any is
 * revived.
 */

import { DataCloneError } from '../errors.js';
import { decodeItem, encodeItem, ItemWriter, NotPlainData } from '../queue/codec.js';
import { decode, encode, type Envelope, type Patch, type Step } from '../share/marshal.js';

/** The sharing-protocol kind of every manager proxy. */
export const PROXY_KIND = 'weft.manager.Proxy';

/** What identifies an object on a manager: enough for any process to reach it. */
export interface Token {
  readonly typeid: string;
  readonly id: number;
  /** The server's random id: tells its own objects from another manager's. */
  readonly server: string;
  readonly exposed: readonly string[];
}

const writer = new ItemWriter(1024);

/**
 * Encodes `message`, whose field `key` holds the user's value (`a` or `v`).
 *
 * @throws DataCloneError naming the path of what cannot cross: a function,
 *   a class instance, a shareable other than a manager proxy, shared memory.
 */
export function encodeMessage(message: Record<string, unknown>, key: 'a' | 'v', root: string): Uint8Array {
  const written = encodeInto(message, key, root);
  return written.bytes.slice(0, written.length);
}

/**
 * {@link encodeMessage} into a writer shared by every call on this thread:
 * send its bytes before encoding the next message.
 */
export function encodeInto(message: Record<string, unknown>, key: 'a' | 'v', root: string): ItemWriter {
  const buffers: SharedArrayBuffer[] = [];
  try {
    encodeItem(message, writer, buffers, true);
    if (buffers.length === 0) return writer;
  } catch (error) {
    if (!(error instanceof NotPlainData) && !(error instanceof DataCloneError)) throw error;
  }
  const envelope = encode(message[key], { root, destination: 'process' });
  for (const patch of envelope.patches ?? []) {
    if (patch.kind !== PROXY_KIND) {
      const where = patch.path.length === 0 ? root : `${root} at ${JSON.stringify(patch.path)}`;
      throw new DataCloneError(
        where,
        `${where} is a ${patch.kind}, which cannot be sent to a manager: only plain data and manager proxies ` +
          'cross its socket (create the object on the manager instead, e.g. manager.Lock())',
      );
    }
  }
  // A proxy's authkey never crosses the socket (a proxy of another manager
  // stored here would otherwise hand that manager's key to every client of
  // this one): the receiving side fills in the key of the connection it came on.
  const patches = envelope.patches!.map((patch) => {
    const { authkey: _authkey, ...token } = patch.data.value as Token & { authkey?: unknown };
    return { path: patch.path, kind: patch.kind, data: { value: token } };
  });
  buffers.length = 0;
  encodeItem({ ...message, [key]: { value: envelope.value, patches }, x: 1 }, writer, buffers);
  if (buffers.length > 0) {
    throw new DataCloneError(root, `${root} holds shared memory (a SharedArrayBuffer), which cannot cross a socket`);
  }
  return writer;
}

/** Decodes a frame into a message object. @throws RangeError on damaged bytes, TypeError on a non-object. */
export function decodeMessage(frame: Uint8Array): Record<string, unknown> {
  const message = decodeItem(frame, 0, frame.length, []);
  if (typeof message !== 'object' || message === null || Array.isArray(message) || Object.getPrototypeOf(message) !== Object.prototype) {
    throw new TypeError('a message must be a plain object');
  }
  return message as Record<string, unknown>;
}

/** Whether `value` has the shape of a token (and nothing that could be mistaken for more). */
export function isToken(value: unknown): value is Token {
  if (typeof value !== 'object' || value === null) return false;
  const token = value as Record<string, unknown>;
  return (
    typeof token.typeid === 'string' &&
    typeof token.id === 'number' &&
    Number.isSafeInteger(token.id) &&
    typeof token.server === 'string' &&
    Array.isArray(token.exposed) &&
    token.exposed.every((name) => typeof name === 'string')
  );
}

function checkPath(root: unknown, path: readonly Step[]): void {
  let container = root;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    if (typeof container !== 'object' || container === null) throw new TypeError('a proxy patch path leaves the value');
    if (typeof step === 'object' && step !== null) {
      if (!(container instanceof Map) || typeof step.entry !== 'number' || step.entry >= container.size) {
        throw new TypeError('a proxy patch path names a missing Map entry');
      }
      const entry = [...container][step.entry]!;
      container = step.key ? entry[0] : entry[1];
    } else if ((typeof step === 'string' || typeof step === 'number') && Object.hasOwn(container, step)) {
      container = (container as Record<string | number, unknown>)[step];
    } else {
      throw new TypeError('a proxy patch path names a missing property');
    }
  }
}

/**
 * The user's value of a decoded message: itself, or — for an envelope — the
 * value with its proxies revived, once every patch has been checked.
 * `onToken` sees each token first (the server pins its own objects there).
 *
 * @throws TypeError on a malformed envelope; nothing is revived then.
 */
export function valueOf(
  message: Record<string, unknown>,
  key: 'a' | 'v',
  authkey: Uint8Array,
  onToken?: (token: Token) => void,
): unknown {
  const field = message[key];
  if (message.x !== 1) return field;
  const envelope = field as Envelope;
  if (typeof envelope !== 'object' || envelope === null || !Array.isArray(envelope.patches)) {
    throw new TypeError('a malformed envelope');
  }
  for (const patch of envelope.patches as Patch[]) {
    if (
      typeof patch !== 'object' || patch === null || patch.kind !== PROXY_KIND || !Array.isArray(patch.path) ||
      typeof patch.data !== 'object' || patch.data === null || patch.data.patches !== undefined || !isToken(patch.data.value)
    ) {
      throw new TypeError('a malformed proxy patch');
    }
    if (patch.path.length > 0) checkPath(envelope.value, patch.path);
  }
  for (const patch of envelope.patches as Patch[]) onToken?.(patch.data.value as Token);
  return decode({
    value: envelope.value,
    patches: (envelope.patches as Patch[]).map((p) => ({ ...p, module: undefined, data: { value: { ...(p.data.value as Token), authkey } } })),
  });
}
