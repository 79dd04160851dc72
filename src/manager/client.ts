/**
 * A client's connection to a manager: one socket per (address, authkey) in
 * a thread, shared by every proxy there, carrying many calls at once
 * (each reply names its call). The socket does not keep the process alive
 * while no call is waiting, so holding a proxy never stops a program from
 * ending.
 *
 * On the server's host (where the processes scope's addon loads), the
 * connection asks for a shared-memory segment once authenticated and then
 * sends its calls on a ring there (shm-ring.ts); the socket carries what
 * does not fit, rings the doorbell of a side that sleeps, and tells either
 * side when the other is gone. After a call goes out the connection
 * watches the reply ring for up to {@link WATCH_MS} (watch.ts): when the
 * server is running, an awaited call comes back within that time without a
 * system call on either side. If not, and its thread has nothing else to
 * do, it blocks for the reply in a futex wait the server's write ends;
 * otherwise it asks for a doorbell and returns to its event loop.
 */

import { connect as netConnect, type Socket } from 'node:net';
import { threadId } from 'node:worker_threads';
import { AuthenticationError, EOFError } from '../errors.js';
import { addressKey, type Address } from './address.js';
import { answerChallenge, deliverChallenge } from './auth.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_BYTES, FramedSocket, HANDSHAKE_MAX_FRAME_BYTES, type StreamLimits,
} from './frames.js';
import { withDeadline } from './handshake.js';
import { receiveError } from './remote-errors.js';
import { decodeMessage, encodeInto, isToken, valueOf, type Token } from './wire.js';
import { processesAvailability } from '../memory/native.js';
import { attachNamedSegment, unlinkSegment } from '../memory/segments.js';
import type { ItemWriter } from '../queue/codec.js';
import { loopIsQuiet } from '../run/quiet-loop.js';
import { lookAgain, Watch } from './watch.js';
import { openRings, RING_LARGEST, SEGMENT_BYTES, SEGMENT_TAG, Written, type Ring } from './shm-ring.js';

/** How long a client watches its reply ring after its last call or reply, in ms (see watch.ts). */
const WATCH_MS = 0.05;
/**
 * How long a client with nothing else to do blocks its thread for a reply
 * after watching, in ms, before it sleeps in its event loop instead.
 */
const BLOCK_MS = 2;

/** Sockets of ring connections, by handle kind: handles that need no event loop while this thread blocks for a reply. */
const ringSockets = new Map<string, number>();

/** Where a connection handed to a synchronous caller sends what comes on its socket (see sync-calls.ts). */
export interface HandOffTarget {
  /** A reply that came on the socket (too big for the ring, or the ring was full). */
  onFrame(frame: Uint8Array): void;
  /** The connection closed. */
  onClose(error: Error): void;
}

interface Pending {
  resolve(reply: { value?: unknown; token?: Token }): void;
  reject(error: Error): void;
}

/** An authenticated connection to a manager's server. */
export class ClientConnection {
  readonly address: Address;
  readonly authkey: Uint8Array;
  readonly #framed: FramedSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedBy: Error | undefined;
  #rings: { readonly requests: Ring; readonly replies: Ring } | undefined;
  /** Requests waiting for room on the request ring (or, when too big for it, for the ring to empty). */
  readonly #backlog: Uint8Array[] = [];
  #pumpQueued = false;
  /** A look on the next turn of the loop (or a timer) is due. */
  #laterQueued = false;
  #lastActivity = 0;
  readonly #pump = (): void => {
    this.#pumpQueued = false;
    this.#readReplies();
  };
  readonly #look = (): void => {
    this.#laterQueued = false;
    this.#readReplies();
  };
  readonly #watch = new Watch(WATCH_MS);
  /** The server runs on this thread (`listen()` here): watching for it here would stall it. */
  #sameThread = false;
  /** The kind of handle of this connection's socket while it has rings (counted in {@link ringSockets}). */
  #socketKind: string | undefined;
  /** The segment of the rings. */
  #segment: SharedArrayBuffer | undefined;
  /** Set once the rings are handed to a synchronous caller: this thread then only keeps the socket. */
  #handedOff: HandOffTarget | undefined;

  private constructor(address: Address, authkey: Uint8Array, framed: FramedSocket) {
    this.address = address;
    this.authkey = authkey;
    this.#framed = framed;
    framed.onFrame = (frame) => this.#receive(frame);
    framed.socket.on('close', () => this.#close(new EOFError(`the connection to the manager at ${addressKey(address)} closed`)));
    framed.socket.unref();
  }

  /**
   * Connects and authenticates, both ways.
   *
   * @throws AuthenticationError if either side's key differs or the handshake times out.
   */
  static async open(address: Address, authkey: Uint8Array, limits: StreamLimits = {}): Promise<ClientConnection> {
    const socket: Socket = typeof address === 'string' ? netConnect(address) : netConnect(address.port, address.host);
    socket.setNoDelay?.(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => {}); // 'close' follows and fails what is pending
    const framed = new FramedSocket(socket, limits, HANDSHAKE_MAX_FRAME_BYTES);
    try {
      await withDeadline(framed, limits.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT, async () => {
        await answerChallenge(framed, authkey);
        await deliverChallenge(framed, authkey);
      });
    } catch (error) {
      socket.destroy();
      if (error instanceof AuthenticationError) throw error;
      throw new AuthenticationError(`the authkey handshake with the manager failed: ${(error as Error).message}`, { cause: error });
    }
    framed.maxBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    const connection = new ClientConnection(address, authkey, framed);
    if (limits.sharedMemory !== false && processesAvailability().available) await connection.#attachRings();
    return connection;
  }

  /** Whether calls go on shared-memory rings (this client is on the server's host). */
  get sharedMemory(): boolean {
    return this.#rings !== undefined;
  }

  /**
   * Asks the server for a segment and maps it. A server that says no (its
   * `sharedMemory: false`), or a segment this host cannot see (the server
   * is elsewhere), leaves the connection on its socket.
   */
  async #attachRings(): Promise<void> {
    let reply;
    try {
      reply = await this.request({ op: 'ring' });
    } catch {
      return; // a server that does not know the request: the socket it is
    }
    const offer = reply.value as { segment?: unknown; pid?: unknown; thread?: unknown } | null;
    const segment = offer?.segment;
    if (typeof segment !== 'string') return;
    this.#sameThread = offer!.pid === process.pid && offer!.thread === threadId;
    let memory: SharedArrayBuffer;
    try {
      memory = attachNamedSegment(segment, { tag: SEGMENT_TAG, byteLength: SEGMENT_BYTES });
    } catch {
      return; // not this host's segment
    }
    try {
      unlinkSegment(segment); // mapped by both sides: nobody else may open it now
    } catch {
      // the name is gone already; the mapping is what counts
    }
    this.#segment = memory;
    this.#rings = openRings(memory);
    this.#socketKind = typeof this.address === 'string' ? 'PipeWrap' : 'TCPSocketWrap';
    ringSockets.set(this.#socketKind, (ringSockets.get(this.#socketKind) ?? 0) + 1);
  }

  get closed(): boolean {
    return this.#closedBy !== undefined;
  }

  /** Sends a request and resolves with the reply's value (or a new object's token as `{ token }`). */
  request(message: Record<string, unknown>): Promise<{ value?: unknown; token?: Token }> {
    if (this.#closedBy !== undefined) return Promise.reject(this.#closedBy);
    const id = this.#nextId++;
    message.i = id;
    let written;
    try {
      written = encodeInto(message, 'a', 'args');
      if (this.#rings !== undefined && written.length > RING_LARGEST) {
        message.q = 1; // too big for the ring: on the socket, where its marker on the ring says (see #flushBacklog)
        written = encodeInto(message, 'a', 'args');
      }
      this.#framed.checkSize(written.length, 'the request');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<{ value?: unknown; token?: Token }>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#framed.socket.ref();
      this.#send(written);
    });
  }

  /** Sends a request that has no reply (a decref). */
  notify(message: Record<string, unknown>): void {
    if (this.#closedBy !== undefined) return;
    message.i = 0;
    this.#send(encodeInto(message, 'a', 'args'));
  }

  close(): void {
    this.#framed.socket.destroy();
  }

  /**
   * Gives this connection's rings to a thread that will call over them
   * synchronously (sync-calls.ts): this thread stops reading them and
   * passes on what the socket brings. Returns the rings' segment, or
   * undefined (and nothing changes) if the connection has no rings. Only
   * for a fresh connection nobody else uses.
   */
  handOff(target: HandOffTarget): SharedArrayBuffer | undefined {
    if (this.#segment === undefined || this.#handedOff !== undefined) return undefined;
    if (this.#closedBy !== undefined) return undefined;
    this.#handedOff = target;
    return this.#segment;
  }

  /** Rings the server's doorbell (for the synchronous caller a connection was handed to). */
  ringDoorbell(): void {
    if (this.#closedBy === undefined) this.#framed.ringDoorbell();
  }

  /** Sends on the ring (in order behind any backlog) or, without rings, on the socket. */
  #send(written: ItemWriter): void {
    const rings = this.#rings;
    if (rings === undefined) {
      this.#framed.sendWriter(written);
      return;
    }
    if (this.#backlog.length > 0 || !this.#write(rings.requests, written.bytes, written.length)) {
      this.#backlog.push(written.bytes.slice(0, written.length));
      this.#flushBacklog(rings.requests);
    }
    this.#lastActivity = performance.now();
    this.#schedule();
  }

  /** Writes a request on the ring, ringing the server's doorbell if it sleeps. False if there is no room. */
  #write(requests: Ring, bytes: Uint8Array, length: number): boolean {
    const done = requests.write(bytes, length);
    if (done === Written.RingDoorbell) this.#framed.ringDoorbell();
    else if (done === Written.Wake) requests.wake();
    return done !== Written.NoRoom;
  }

  /**
   * Moves backlogged requests to the ring, in order. One too big for the
   * ring goes on the socket, and an empty message — a marker — on the ring
   * in its place: the server runs it when it reads the marker, so it
   * neither overtakes the ring requests before it nor falls behind those
   * after it.
   */
  #flushBacklog(requests: Ring): void {
    const backlog = this.#backlog;
    while (backlog.length > 0) {
      const bytes = backlog[0]!;
      if (bytes.length > RING_LARGEST) {
        if (!this.#write(requests, bytes, 0)) return;
        this.#framed.send(bytes);
      } else if (!this.#write(requests, bytes, bytes.length)) {
        return;
      }
      backlog.shift();
    }
  }

  /**
   * Reads replies from the ring. While calls are out and the last call or
   * reply is fresh, it watches the ring (a spin that adapts, watch.ts: on a
   * loaded machine it soon stops), then asks the server for a doorbell on
   * the socket and returns to the event loop. After delivering replies it
   * returns, so the callers' continuations run (and send their next calls),
   * and looks again on the next turn of the loop.
   */
  #readReplies(): void {
    const rings = this.#rings;
    if (rings === undefined || this.#closedBy !== undefined || this.#handedOff !== undefined) return;
    let watching = false;
    let blocked = false;
    let budget = 0;
    for (;;) {
      if (this.#backlog.length > 0) this.#flushBacklog(rings.requests);
      let delivered = 0;
      try {
        for (let reply = rings.replies.read(); reply !== undefined; reply = rings.replies.read()) {
          this.#receive(reply);
          delivered++;
        }
      } catch (error) {
        this.#framed.socket.destroy();
        this.#close(new EOFError(`the manager's reply ring is damaged: ${(error as Error).message}`));
        return;
      }
      if (delivered > 0) {
        if (watching) this.#watch.caught();
        this.#lastActivity = performance.now();
        if (this.#pending.size > 0 || this.#backlog.length > 0) this.#later(setImmediate);
        return;
      }
      if (this.#pending.size === 0 && this.#backlog.length === 0) return;
      if (!watching) {
        watching = true;
        budget = this.#sameThread ? 0 : this.#watch.budget();
      }
      const waited = performance.now() - this.#lastActivity;
      if (waited < budget) {
        lookAgain(waited);
        continue;
      }
      if (budget > 0) this.#watch.missed();
      // Nothing else for this thread to do: wait for the reply in a futex, woken by the server's write.
      if (!blocked && !this.#sameThread && loopIsQuiet(ringSockets) && rings.replies.blockForMessage(BLOCK_MS)) {
        blocked = true;
        continue;
      }
      break;
    }
    if (this.#backlog.length > 0) {
      this.#later(setTimeout); // the server empties the ring without being asked: look again soon
      return;
    }
    // The server rings the socket at its next reply (the socket holds the loop open while calls are out).
    if (!rings.replies.sleepOnSocket()) this.#schedule();
  }

  /** Looks at the ring again on a later turn of the event loop (once, however often asked). */
  #later(when: (fn: () => void) => unknown): void {
    if (this.#laterQueued) return;
    this.#laterQueued = true;
    when(this.#look);
  }

  #schedule(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(this.#pump);
  }

  #receive(frame: Uint8Array): void {
    if (this.#handedOff !== undefined) {
      if (frame.length > 0) this.#handedOff.onFrame(frame);
      return;
    }
    if (frame.length === 0 && this.#rings !== undefined) {
      this.#readReplies(); // the doorbell: replies wait on the ring
      return;
    }
    let reply: Record<string, unknown>;
    try {
      reply = decodeMessage(frame);
    } catch (error) {
      this.#framed.socket.destroy();
      this.#close(new EOFError(`the manager sent a damaged frame: ${(error as Error).message}`));
      return;
    }
    const pending = typeof reply.i === 'number' ? this.#pending.get(reply.i) : undefined;
    if (pending === undefined) return;
    this.#pending.delete(reply.i as number);
    if (this.#pending.size === 0) this.#framed.socket.unref();
    try {
      if (reply.ok !== true) pending.reject(receiveError(reply.e));
      else if (reply.t === undefined) pending.resolve({ value: valueOf(reply, 'v', this.authkey) });
      else if (isToken(reply.t)) pending.resolve({ token: reply.t });
      else pending.reject(new TypeError('the manager sent a malformed token'));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  #close(error: Error): void {
    if (this.#socketKind !== undefined) {
      ringSockets.set(this.#socketKind, ringSockets.get(this.#socketKind)! - 1);
      this.#socketKind = undefined;
    }
    const first = this.#closedBy === undefined;
    this.#closedBy ??= error;
    if (first) this.#handedOff?.onClose(error);
    forget(this);
    for (const pending of this.#pending.values()) pending.reject(this.#closedBy);
    this.#pending.clear();
  }
}

const connections = new Map<string, Promise<ClientConnection>>();

/** A manager's key among a thread's connections: its address and authkey. */
export function connectionKey(address: Address, authkey: Uint8Array): string {
  return `${addressKey(address)}#${Buffer.from(authkey).toString('hex')}`;
}

function forget(connection: ClientConnection): void {
  const key = connectionKey(connection.address, connection.authkey);
  const current = connections.get(key);
  if (current !== undefined) current.then((c) => c === connection && connections.delete(key), () => {});
}

/** This process's connection to the manager at `address` (opened on first use, reopened after a close). */
export function sharedConnection(address: Address, authkey: Uint8Array, limits?: StreamLimits): Promise<ClientConnection> {
  const key = connectionKey(address, authkey);
  let connection = connections.get(key);
  if (connection === undefined) {
    connection = ClientConnection.open(address, authkey, limits);
    connections.set(key, connection);
    connection.catch(() => connections.delete(key));
  }
  return connection;
}

/** Closes this process's connections to `address` (a manager's shutdown). */
export function closeConnections(address: Address): void {
  const prefix = `${addressKey(address)}#`;
  for (const [key, connection] of connections) {
    if (!key.startsWith(prefix)) continue;
    connections.delete(key);
    connection.then((c) => c.close(), () => {});
  }
}
