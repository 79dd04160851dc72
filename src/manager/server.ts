/**
 * A manager's server: owns objects, serves method calls on them to
 * authenticated connections.
 *
 * Concurrency: every request is handled as it arrives, without waiting for
 * the connection's earlier calls to finish. A method that returns at once
 * (a dict's `set`) has run before the next frame is read, so one client's
 * calls take effect in the order it sent them; a method that waits (a
 * queue's `get`, a lock's `acquire`) parks a promise, and the calls behind
 * it — from that client or any other — go on. Replies carry the call id.
 *
 * Lifetime: each object counts references per connection. `create` (and a
 * method whose result becomes a new object) gives the caller's connection
 * one; a proxy revived elsewhere sends `incref` before its first call; a
 * proxy garbage-collected sends `decref`. A connection's references go when
 * it closes. An object whose count drops to zero is forgotten — unless a
 * proxy to it was ever stored in another object on this server (a dict in a
 * list): such objects are pinned until the server stops, since the server
 * cannot see when the stored copy goes.
 *
 * Robustness: a frame that cannot be decoded, or is over the size limit,
 * closes that connection only — nothing it asked for runs. A well-formed
 * request for an unknown typeid, object or method gets a TypeError back.
 * Socket errors never reach the process's error handler.
 *
 * Same host: a client may ask, once authenticated, for a shared-memory
 * segment of its own (`op: 'ring'`; shm-ring.ts, ring-pump.ts). The server
 * makes it under a random name (mode 0600) and tells only that client; once
 * the client writes on its request ring, its replies go on the reply ring
 * too (or on the socket when one does not fit). The socket stays: it carries
 * what is too big for the ring, and its closing is the client's end, as
 * before. A ring whose words do not make sense closes that connection, as a
 * bad frame does.
 */

import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { threadId } from 'node:worker_threads';
import { processesAvailability } from '../memory/native.js';
import { segmentPrefix } from '../memory/segment-names.js';
import { createNamedSegment, unlinkSegment } from '../memory/segments.js';
import { RingPump, type RingLink } from './ring-pump.js';
import { openRings, SEGMENT_BYTES, SEGMENT_TAG, Written, type Ring } from './shm-ring.js';
import { answerChallenge, deliverChallenge } from './auth.js';
import { withDeadline } from './handshake.js';
import { addressKey, servedInThisThread, type Address } from './address.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_BYTES, FramedSocket, HANDSHAKE_MAX_FRAME_BYTES, type StreamLimits,
} from './frames.js';
import { sendError } from './remote-errors.js';
// Proxies sent to the server (a dict stored in a list) are revived as proxies here.
import { BaseProxy } from './proxy.js';
import { describe } from '../share/protocol.js';
import { Peer } from './peer.js';
import { publicMethods, type TypeSpec } from './type-spec.js';
import { decodeMessage, encodeInto, valueOf, type Token } from './wire.js';
import type { ItemWriter } from '../queue/codec.js';

interface Entry {
  readonly typeid: string;
  readonly object: unknown;
  readonly spec: TypeSpec;
  readonly exposed: readonly string[];
  refs: number;
  pinned: boolean;
}

export interface ServerOptions extends StreamLimits {
  readonly authkey: Uint8Array;
  readonly types: ReadonlyMap<string, TypeSpec>;
}

/** One authenticated connection's ways in and out. */
interface Link {
  readonly peer: Peer;
  readonly framed: FramedSocket;
  /** Its shared-memory rings, if it asked for them. */
  ring?: RingLink;
  segment?: string;
  /** When a request last came on the ring (the socket's idle timer does not see those). */
  lastRing: number;
  /** Requests that came on the socket before the ring's marker for them was read. */
  readonly early: Record<string, unknown>[];
}

/** The most requests a client may have on the socket ahead of their markers on its ring. */
const MAX_EARLY = 1024;

/** The server of a manager; `listen()` to start, `close()` to stop. */
export class ManagerServer {
  /** A random id, in every token this server makes: tells its own objects from another server's. */
  readonly id = randomBytes(8).toString('hex');
  readonly #options: ServerOptions;
  readonly #objects = new Map<number, Entry>();
  readonly #peers = new Set<Peer>();
  readonly #sockets = new Set<Socket>();
  readonly #pump = new RingPump();
  /** Reply rings whose blocked clients are woken once this pass's replies are written (see {@link #wakeLater}). */
  readonly #wakes: Ring[] = [];
  readonly #flushWakes = (): void => {
    for (const replies of this.#wakes) replies.wake();
    this.#wakes.length = 0;
  };
  #nextId = 1;
  #server: Server | undefined;
  #address: Address | undefined;
  #closed: Promise<void> | undefined;
  #onShutdown: (() => void) | undefined;

  constructor(options: ServerOptions) {
    this.#options = options;
  }

  /** The address clients connect to (with the real port when 0 was asked). */
  get address(): Address {
    if (this.#address === undefined) throw new Error('the server is not listening');
    return this.#address;
  }

  /** How many objects the server holds (for tests and stats). */
  get objectCount(): number {
    return this.#objects.size;
  }

  /** Called once when a client asks the server to shut down. */
  set onShutdown(fn: () => void) {
    this.#onShutdown = fn;
  }

  async listen(address: Address): Promise<Address> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof address === 'string') server.listen(address, resolve);
      else server.listen(address.port, address.host, resolve);
    });
    server.on('error', () => {}); // after listening, errors are per connection
    const bound = server.address();
    this.#address = typeof address === 'string' || bound === null || typeof bound === 'string'
      ? address
      : { host: address.host, port: bound.port };
    servedInThisThread.add(addressKey(this.#address));
    return this.#address;
  }

  /** Stops listening, closes every connection and forgets every object. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#address !== undefined) servedInThisThread.delete(addressKey(this.#address));
      for (const socket of this.#sockets) socket.destroy();
      const server = this.#server;
      if (server === undefined) return resolve();
      server.close(() => {
        if (typeof this.#address === 'string') {
          try {
            unlinkSync(this.#address);
          } catch {
            // already gone
          }
        }
        for (const entry of this.#objects.values()) disposeOf(entry);
        this.#objects.clear();
        resolve();
      });
    });
    return this.#closed;
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay?.(true);
    socket.on('error', () => {}); // a reset peer is a closed peer: 'close' follows
    const limits = this.#options;
    const framed = new FramedSocket(socket, limits, HANDSHAKE_MAX_FRAME_BYTES);
    const peer = new Peer((value) => this.#local(value));
    const link: Link = { peer, framed, lastRing: 0, early: [] };
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.#closeRing(link);
      if (this.#peers.delete(peer)) this.#drop(peer);
    });
    withDeadline(framed, limits.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT, async () => {
      await deliverChallenge(framed, limits.authkey);
      await answerChallenge(framed, limits.authkey);
    }).then(
      () => {
        if (socket.destroyed) return;
        this.#peers.add(peer);
        if (typeof this.#address !== 'string') socket.setKeepAlive(true, 30_000);
        if ((limits.idleTimeout ?? 0) > 0) {
          const idle = limits.idleTimeout!;
          socket.setTimeout(idle, () => {
            if (performance.now() - link.lastRing < idle) socket.setTimeout(idle); // busy on its ring
            else if (peer.running === 0) socket.destroy();
          });
        }
        framed.maxBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
        framed.onFrame = (frame) => this.#receive(link, frame);
        framed.flush();
      },
      () => socket.destroy(),
    );
  }

  #receive(link: Link, frame: Uint8Array): void {
    const { peer, framed } = link;
    if (framed.socket.destroyed) return; // cut off: nothing more it sent runs (its ring may still hold requests)
    if (frame.length === 0 && link.ring !== undefined) {
      this.#pump.wake(); // the doorbell: a request waits on the ring
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = decodeMessage(frame);
    } catch {
      framed.socket.destroy(); // undecodable: the stream cannot be trusted past here
      return;
    }
    const callId = message.i;
    if (typeof callId !== 'number' || !Number.isSafeInteger(callId) || callId < 0) {
      framed.socket.destroy();
      return;
    }
    if (message.q === 1 && link.ring !== undefined) this.#socketRequest(link, message);
    else this.#handle(link, message, callId);
  }

  /**
   * A request a ring client sent on the socket (too big for its ring): it
   * runs where the client put its marker on the ring, not before the ring
   * requests ahead of it.
   */
  #socketRequest(link: Link, message: Record<string, unknown>): void {
    const ring = link.ring!;
    if (ring.held) {
      ring.held = false;
      this.#handle(link, message, message.i as number);
      this.#pump.wake();
    } else if (link.early.length >= MAX_EARLY) {
      link.framed.socket.destroy(); // no well-behaved client gets this far ahead of its ring
    } else {
      link.early.push(message);
      this.#pump.wake();
    }
  }

  #handle(link: Link, message: Record<string, unknown>, callId: number): void {
    const { peer, framed } = link;
    if (framed.socket.destroyed) return;
    let result: unknown;
    try {
      result = message.op === 'ring' ? this.#openRing(link) : this.#dispatch(peer, message);
    } catch (error) {
      this.#reply(link, callId, undefined, error);
      return;
    }
    if (result instanceof Promise) {
      peer.running++;
      result.then(
        (value) => {
          peer.running--;
          this.#reply(link, callId, value);
        },
        (error) => {
          peer.running--;
          this.#reply(link, callId, undefined, error);
        },
      );
    } else {
      this.#reply(link, callId, result);
    }
  }

  /**
   * Makes `link` its rings: a fresh segment under a random name, which only
   * this (authenticated) client learns. Null when shared memory is off or
   * unavailable here: the client stays on the socket.
   */
  #openRing(link: Link): { segment: string; pid: number; thread: number } | null {
    if (this.#options.sharedMemory === false || link.ring !== undefined || !processesAvailability().available) return null;
    const name = `${segmentPrefix()}.manager-${randomBytes(16).toString('hex')}.${process.pid}.0`;
    let segment: SharedArrayBuffer;
    try {
      segment = createNamedSegment(name, SEGMENT_BYTES, { tag: SEGMENT_TAG });
    } catch {
      return null; // no room in /dev/shm, say: the socket still works
    }
    const { requests, replies } = openRings(segment);
    link.segment = name;
    link.ring = {
      requests,
      replies,
      live: false,
      onMessage: (message) => {
        link.lastRing = performance.now();
        this.#receive(link, message);
      },
      onMarker: () => {
        const next = link.early.shift();
        if (next === undefined) link.ring!.held = true;
        else this.#handle(link, next, next.i as number);
      },
      held: false,
      onCorrupt: () => link.framed.socket.destroy(),
    };
    this.#pump.add(link.ring);
    return { segment: name, pid: process.pid, thread: threadId };
  }

  #closeRing(link: Link): void {
    if (link.ring === undefined) return;
    this.#pump.remove(link.ring);
    try {
      unlinkSegment(link.segment!); // the client unlinks it once attached; this is for one that never did
    } catch {
      // gone already
    }
  }

  /** Sends a reply on the client's ring when it reads there and the reply fits, else on the socket. */
  #send(link: Link, written: ItemWriter): void {
    const ring = link.ring;
    if (ring !== undefined && ring.live) {
      const done = ring.replies.write(written.bytes, written.length);
      if (done === Written.RingDoorbell) link.framed.ringDoorbell();
      else if (done === Written.Wake) this.#wakeLater(ring.replies);
      if (done !== Written.NoRoom) return;
    }
    link.framed.sendWriter(written);
    // A client blocked for a reply on its ring would sit out its time: wake it to read its socket.
    if (ring !== undefined && ring.replies.takeBlocked()) this.#wakeLater(ring.replies);
  }

  /**
   * Wakes the client blocked on `replies` once this pass's replies are all
   * written (a microtask: the ring pump lets them run between passes).
   */
  #wakeLater(replies: Ring): void {
    this.#wakes.push(replies);
    if (this.#wakes.length === 1) queueMicrotask(this.#flushWakes);
  }

  #reply(link: Link, callId: number, result: unknown, error?: unknown): void {
    const { framed } = link;
    if (callId === 0 || framed.socket.destroyed) return;
    let written;
    if (error === undefined) {
      try {
        written = result instanceof Created
          ? encodeInto({ i: callId, ok: true, t: result.token }, 'v', 'result')
          : encodeInto({ i: callId, ok: true, v: result }, 'v', 'result');
      } catch (encodeError) {
        written = encodeInto({ i: callId, ok: false, e: sendError(encodeError) }, 'v', 'error');
      }
    } else {
      written = encodeInto({ i: callId, ok: false, e: sendError(error) }, 'v', 'error');
    }
    try {
      framed.checkSize(written.length, 'the result');
    } catch (tooBig) {
      written = encodeInto({ i: callId, ok: false, e: sendError(tooBig) }, 'v', 'error');
    }
    this.#send(link, written);
  }

  #dispatch(peer: Peer, message: Record<string, unknown>): unknown {
    switch (message.op) {
      case 'call': {
        const entry = this.#entry(message.id);
        const method = message.m;
        if (typeof method !== 'string' || !entry.exposed.includes(method)) {
          throw new TypeError(`method ${JSON.stringify(method)} of a ${entry.typeid} is not exposed (exposed: ${entry.exposed.join(', ')})`);
        }
        const args = this.#args(message);
        const result = entry.spec.call(entry.object, method, args, peer);
        const typeid = Object.hasOwn(entry.spec.methodToTypeid, method) ? entry.spec.methodToTypeid[method] : undefined;
        if (typeid === undefined) return result;
        return result instanceof Promise
          ? result.then((value) => this.#keep(peer, typeid, value))
          : this.#keep(peer, typeid, result);
      }
      case 'create': {
        const typeid = message.t;
        const spec = typeof typeid === 'string' && this.#options.types.has(typeid) ? this.#options.types.get(typeid)! : undefined;
        if (spec === undefined) throw new TypeError(`no typeid ${JSON.stringify(typeid)} is registered with this manager`);
        const made = spec.create(this.#args(message), peer);
        return made instanceof Promise
          ? made.then((object) => this.#keep(peer, typeid as string, object))
          : this.#keep(peer, typeid as string, made);
      }
      case 'incref': {
        const entry = this.#entry(message.id);
        entry.refs++;
        peer.refs.set(message.id as number, (peer.refs.get(message.id as number) ?? 0) + 1);
        return undefined;
      }
      case 'decref': {
        const id = message.id as number;
        const held = peer.refs.get(id) ?? 0;
        if (held === 0) return undefined; // not this connection's to drop
        if (held === 1) peer.refs.delete(id);
        else peer.refs.set(id, held - 1);
        this.#release(id, 1);
        return undefined;
      }
      case 'shutdown':
        queueMicrotask(() => this.#onShutdown?.());
        return undefined;
      default:
        throw new TypeError(`unknown request ${JSON.stringify(message.op)}`);
    }
  }

  #args(message: Record<string, unknown>): unknown[] {
    const args = valueOf(message, 'a', this.#options.authkey, (token) => this.#pin(token));
    if (!Array.isArray(args)) throw new TypeError('the arguments of a request must be an array');
    return args;
  }

  /** A proxy to one of ours was sent to us: it may now be stored where we cannot see it go. */
  #pin(token: Token): void {
    if (token.server !== this.id) return;
    const entry = this.#objects.get(token.id);
    if (entry !== undefined) entry.pinned = true;
  }

  #local(value: unknown): unknown {
    if (!(value instanceof BaseProxy)) return undefined;
    const token = value[describe]();
    return token.server === this.id ? this.#objects.get(token.id)?.object : undefined;
  }

  #entry(id: unknown): Entry {
    const entry = typeof id === 'number' ? this.#objects.get(id) : undefined;
    if (entry === undefined) throw new ReferenceError(`no object ${String(id)} on this manager (it was released, or never existed)`);
    return entry;
  }

  /** Keeps a new object, with one reference for `peer`. */
  #keep(peer: Peer, typeid: string, object: unknown): Created {
    const spec = this.#options.types.get(typeid);
    if (spec === undefined) throw new TypeError(`no typeid ${JSON.stringify(typeid)} is registered with this manager`);
    const id = this.#nextId++;
    const exposed = spec.exposed ?? publicMethods(object);
    this.#objects.set(id, { typeid, object, spec, exposed, refs: 1, pinned: false });
    peer.refs.set(id, 1);
    return new Created({ typeid, id, server: this.id, exposed });
  }

  #release(id: number, count: number): void {
    const entry = this.#objects.get(id);
    if (entry === undefined) return;
    entry.refs -= count;
    if (entry.refs <= 0 && !entry.pinned) {
      this.#objects.delete(id);
      disposeOf(entry);
    }
  }

  #drop(peer: Peer): void {
    peer.close();
    for (const [id, count] of peer.refs) this.#release(id, count);
    peer.refs.clear();
  }
}

/** Lets an object the server forgets go of what it holds; a failure there is the object's, not the server's. */
function disposeOf(entry: { readonly spec: TypeSpec; readonly object: unknown }): void {
  try {
    entry.spec.dispose?.(entry.object);
  } catch {
    // nothing to report it to: the object is gone either way
  }
}

/** A method's result that is a new object: sent back as its token. */
class Created {
  constructor(readonly token: Token) {}
}
