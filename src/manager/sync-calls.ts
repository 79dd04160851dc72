/**
 * Synchronous proxy calls, for code that may block: a worker thread, a
 * child process's own logic — Python's blocking proxy calls. Not for the
 * main thread of a program that must stay responsive, nor for the thread
 * that runs the manager's server (it could never answer).
 *
 * A thread that calls synchronously gets a helper thread (sync-helper.ts)
 * on first use, for what needs an event loop. On the manager's host the
 * helper opens a connection for this thread and hands it its shared-memory
 * rings: each call is then written on the request ring by the caller
 * itself, which watches the reply ring briefly and then blocks in a futex
 * wait that the server's reply ends — no thread hop on the way. The helper
 * keeps the socket: it rings the server's doorbell when the server sleeps,
 * and passes on a reply too big for the ring, or the connection's end.
 * Elsewhere (another host, `sharedMemory: false`), and for a request too
 * big for a ring, the helper makes the call on its own connection while
 * the caller waits in `Atomics.wait`.
 */

import { receiveMessageOnPort, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { EOFError, InvalidStateError } from '../errors.js';
import { processesAvailability } from '../memory/native.js';
import { workerScript } from '../run/bootstrap.js';
import { addressKey, servedInThisThread, type Address } from './address.js';
import { receiveError } from './remote-errors.js';
import { connectionKey } from './client.js';
import { openRings, RING_LARGEST, Written, type Ring } from './shm-ring.js';
import { READY, type ChannelOffer, type SyncRequest } from './sync-protocol.js';
import { lookAgain } from './watch.js';
import { decodeMessage, encodeInto, encodeMessage, isToken, valueOf, type Token } from './wire.js';

const MAX_REPLY_BYTES = 64 * 1024 * 1024;
/** How long a caller watches its reply ring before it blocks, in ms. */
const WATCH_MS = 0.05;
/** How long each futex wait for a reply lasts before the caller looks at the channel's state again, in ms. */
const BLOCK_MS = 50;

interface Helper {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly data: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** A connection of this thread's own whose rings it writes and reads itself. */
interface Channel {
  readonly id: number;
  /** Its manager's key in {@link channels}. */
  readonly key: string;
  readonly requests: Ring;
  readonly replies: Ring;
  /** 1 once the connection is gone (set by the helper). */
  readonly closed: Int32Array;
  nextCall: number;
}

let helper: Helper | undefined;
/** This thread's channels by manager (address and key); null: that manager keeps this thread on the helper's calls. */
const channels = new Map<string, Channel | null>();
/** The channel found last, with the address and key objects it was asked for by. */
let lastChannel: { readonly address: Address; readonly authkey: Uint8Array; readonly channel: Channel } | undefined;

function startHelper(): Helper {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const data = new SharedArrayBuffer(64 * 1024, { maxByteLength: MAX_REPLY_BYTES });
  const { port1, port2 } = new MessageChannel();
  const entry = new URL(`./sync-helper.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
  const { script, eval: evaluate, workerData } = workerScript(entry, { control, data, port: port2 });
  const worker = new Worker(script, { eval: evaluate, workerData, transferList: [port2] });
  worker.unref(); // the helper never keeps a program alive
  port1.unref();
  return { worker, control, data, port: port1 };
}

/** Asks the helper for `request` and blocks until it says it is done. */
function askHelper(request: SyncRequest): Helper {
  helper ??= startHelper();
  Atomics.store(helper.control, 0, 0);
  helper.worker.postMessage(request);
  while (Atomics.load(helper.control, 0) !== READY) Atomics.wait(helper.control, 0, 0);
  return helper;
}

/** The reply the helper left in its data buffer. */
function helperReply(from: Helper): Record<string, unknown> {
  return decodeMessage(new Uint8Array(from.data, 0, Atomics.load(from.control, 1)).slice());
}

/** This thread's channel to the manager at `address`, opened on first use; null if it keeps this thread on the helper's calls. */
function channelFor(address: Address, authkey: Uint8Array): Channel | null {
  // A thread's calls mostly go to one manager, through proxies sharing one address and key: skip making its key.
  const last = lastChannel;
  if (last !== undefined && last.address === address && last.authkey === authkey && Atomics.load(last.channel.closed, 0) === 0) {
    return last.channel;
  }
  const key = connectionKey(address, authkey);
  const known = channels.get(key);
  if (known === null) return null;
  if (known !== undefined && Atomics.load(known.closed, 0) === 0) {
    lastChannel = { address, authkey, channel: known };
    return known;
  }
  channels.delete(key);
  if (!processesAvailability().available) {
    channels.set(key, null);
    return null;
  }
  const { port } = askHelper({ kind: 'channel', address, authkey });
  const offer = receiveMessageOnPort(port)?.message as ChannelOffer | undefined;
  if (offer === undefined) throw new Error('the synchronous-call helper sent no channel offer');
  if (offer.id === undefined) {
    if (offer.error !== undefined) throw receiveError(offer.error);
    channels.set(key, null);
    return null;
  }
  const { requests, replies } = openRings(offer.segment);
  const channel: Channel = { id: offer.id, key, requests, replies, closed: offer.closed, nextCall: 1 };
  channels.set(key, channel);
  lastChannel = { address, authkey, channel };
  return channel;
}

/** Whether this thread's synchronous calls to the manager at `address` go on rings of its own (known after its first call). */
export function usesOwnRings(address: Address, authkey: Uint8Array): boolean {
  const channel = channels.get(connectionKey(address, authkey));
  return channel !== undefined && channel !== null && Atomics.load(channel.closed, 0) === 0;
}

/** Forgets `channel` and has the helper close its connection. */
function dropChannel(channel: Channel): void {
  if (channels.get(channel.key) === channel) channels.delete(channel.key);
  if (lastChannel?.channel === channel) lastChannel = undefined;
  helper?.worker.postMessage({ kind: 'close', channel: channel.id } satisfies SyncRequest);
}

function closedError(address: Address): EOFError {
  return new EOFError(`the connection to the manager at ${addressKey(address)} closed`);
}

/** Makes a call over `channel`'s rings; undefined if the request is too big for a ring (the helper makes it then). */
function callOnChannel(channel: Channel, address: Address, message: Record<string, unknown>): Record<string, unknown> | undefined {
  const id = channel.nextCall++;
  const written = encodeInto({ ...message, i: id }, 'a', 'args');
  if (written.length > RING_LARGEST) return undefined;
  const control = helper!.control;
  Atomics.store(control, 0, 0);
  if (Atomics.load(channel.closed, 0) !== 0) throw closedError(address);
  // One call at a time: the ring is empty but for this request.
  const done = channel.requests.write(written.bytes, written.length);
  if (done === Written.NoRoom) throw new Error('a synchronous call found its request ring full');
  if (done === Written.RingDoorbell) helper!.worker.postMessage({ kind: 'doorbell', channel: channel.id } satisfies SyncRequest);
  else if (done === Written.Wake) channel.requests.wake();
  const sent = performance.now();
  const news = (): boolean => Atomics.load(control, 0) === READY || Atomics.load(channel.closed, 0) !== 0;
  for (;;) {
    // Read before looking for the reply: a reply written before the connection closed is still taken.
    const closed = Atomics.load(channel.closed, 0) !== 0;
    let reply: Record<string, unknown> | undefined;
    try {
      const bytes = channel.replies.read();
      if (bytes !== undefined) {
        reply = decodeMessage(bytes);
      } else if (Atomics.load(control, 0) === READY) {
        reply = helperReply(helper!);
        Atomics.store(control, 0, 0);
      }
    } catch (error) {
      // A damaged ring or reply: this connection cannot be trusted past here.
      dropChannel(channel);
      throw new EOFError(`the manager's reply to a synchronous call was damaged: ${(error as Error).message}`, { cause: error });
    }
    if (reply !== undefined) {
      if (reply.i === id) return reply;
      continue; // not this call's (there is none such): keep waiting for ours
    }
    if (closed) throw closedError(address);
    const waited = performance.now() - sent;
    if (waited < WATCH_MS) lookAgain(waited);
    else channel.replies.blockForMessage(BLOCK_MS, news);
  }
}

/**
 * Sends `message` to the manager at `address` and blocks until the reply.
 *
 * @throws the method's error, rebuilt with its class; EOFError if the
 *   connection closes first; InvalidStateError if this thread runs that manager's server.
 */
export function requestSync(address: Address, authkey: Uint8Array, message: Record<string, unknown>): { value?: unknown; token?: Token } {
  if (servedInThisThread.size > 0 && servedInThisThread.has(addressKey(address))) {
    throw new InvalidStateError(
      `a synchronous call to the manager at ${addressKey(address)} from the thread that runs its server would never be answered: ` +
        'await the method instead, or call it from another thread or process',
    );
  }
  const channel = channelFor(address, authkey);
  let reply = channel === null ? undefined : callOnChannel(channel, address, message);
  if (reply === undefined) {
    const bytes = encodeMessage({ ...message, i: 1 }, 'a', 'args');
    reply = helperReply(askHelper({ kind: 'call', address, authkey, bytes }));
  }
  if (reply.ok !== true) throw receiveError(reply.e);
  if (reply.t !== undefined) {
    if (!isToken(reply.t)) throw new TypeError('the manager sent a malformed token');
    return { token: reply.t };
  }
  return { value: valueOf(reply, 'v', authkey) };
}
