/**
 * A client's connection to a manager: one socket per (address, authkey) in
 * a process, shared by every proxy there, carrying many calls at once
 * (each reply names its call). The socket does not keep the process alive
 * while no call is waiting, so holding a proxy never stops a program from
 * ending.
 */

import { connect as netConnect, type Socket } from 'node:net';
import { AuthenticationError, EOFError } from '../errors.js';
import { addressKey, type Address } from './address.js';
import { answerChallenge, deliverChallenge } from './auth.js';
import {
  DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAME_BYTES, FramedSocket, HANDSHAKE_MAX_FRAME_BYTES, type StreamLimits,
} from './frames.js';
import { withDeadline } from './handshake.js';
import { receiveError } from './remote-errors.js';
import { decodeMessage, encodeInto, isToken, valueOf, type Token } from './wire.js';

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
    return new ClientConnection(address, authkey, framed);
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
      this.#framed.checkSize(written.length, 'the request');
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<{ value?: unknown; token?: Token }>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#framed.socket.ref();
      this.#framed.sendWriter(written);
    });
  }

  /** Sends a request that has no reply (a decref). */
  notify(message: Record<string, unknown>): void {
    if (this.#closedBy !== undefined) return;
    message.i = 0;
    this.#framed.sendWriter(encodeInto(message, 'a', 'args'));
  }

  close(): void {
    this.#framed.socket.destroy();
  }

  #receive(frame: Buffer): void {
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
    this.#closedBy ??= error;
    forget(this);
    for (const pending of this.#pending.values()) pending.reject(this.#closedBy);
    this.#pending.clear();
  }
}

const connections = new Map<string, Promise<ClientConnection>>();

function keyOf(address: Address, authkey: Uint8Array): string {
  return `${addressKey(address)}#${Buffer.from(authkey).toString('hex')}`;
}

function forget(connection: ClientConnection): void {
  const key = keyOf(connection.address, connection.authkey);
  const current = connections.get(key);
  if (current !== undefined) current.then((c) => c === connection && connections.delete(key), () => {});
}

/** This process's connection to the manager at `address` (opened on first use, reopened after a close). */
export function sharedConnection(address: Address, authkey: Uint8Array, limits?: StreamLimits): Promise<ClientConnection> {
  const key = keyOf(address, authkey);
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
