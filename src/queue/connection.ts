import type { AsyncTimeoutOptions, TimeoutOptions } from '../memory/deadline.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { BrokenPipeError, EOFError, InvalidStateError, ShutDownError } from '../errors.js';
import { Queue, readable, readableSync } from './queue.js';

const OBJECT = 0;
const BYTES = 1;
type Message = readonly [kind: typeof OBJECT, value: unknown] | readonly [kind: typeof BYTES, bytes: Uint8Array];

/**
 * One end of a {@link Pipe} (Python's `multiprocessing.connection.Connection`).
 * Messages are any structured-clone value (`send` / `recv`) or raw bytes
 * (`sendBytes` / `recvBytes`); each direction is a {@link Queue} ring, so
 * shareables arrive live and nothing is lost or torn.
 *
 * `recv` after the other end closed returns what is still in flight, then
 * throws {@link EOFError}; `send` after the reading end closed throws
 * {@link BrokenPipeError}. Closing an end closes it for every thread that
 * holds it. Sending never blocks (the ring grows as needed).
 *
 * @example
 * ```ts
 * import { Pipe, Connection } from 'weft';
 * const [left, right] = Pipe();
 * console.log(left instanceof Connection, left.readable && left.writable); // true true
 * left.send({ hello: 'world' });
 * console.log(await right.recv()); // { hello: 'world' }
 * right.sendBytes(new TextEncoder().encode('bytes'));
 * console.log(new TextDecoder().decode(await left.recvBytes())); // bytes
 * left.close();
 * console.log(await right.poll({ timeout: 0 })); // true: recv would not block (EOF)
 * ```
 * @see Python's `multiprocessing.connection.Connection`
 */
export class Connection {
  readonly #in: Queue<Message> | undefined;
  readonly #out: Queue<Message> | undefined;
  #closed = false;

  /** @internal Use {@link Pipe}. */
  constructor(incoming: Queue<Message> | undefined, outgoing: Queue<Message> | undefined) {
    this.#in = incoming;
    this.#out = outgoing;
  }

  /** Whether this end can receive. */
  get readable(): boolean {
    return this.#in !== undefined;
  }

  /** Whether this end can send. */
  get writable(): boolean {
    return this.#out !== undefined;
  }

  /** Whether `close()` was called on this handle. */
  get closed(): boolean {
    return this.#closed;
  }

  #incoming(what: string): Queue<Message> {
    if (this.#closed) throw new InvalidStateError(`Connection.${what}: the connection is closed`);
    if (this.#in === undefined) throw new InvalidStateError(`Connection.${what}: this end is write-only`);
    return this.#in;
  }

  #outgoing(what: string): Queue<Message> {
    if (this.#closed) throw new InvalidStateError(`Connection.${what}: the connection is closed`);
    if (this.#out === undefined) throw new InvalidStateError(`Connection.${what}: this end is read-only`);
    return this.#out;
  }

  #put(message: Message, what: string): void {
    try {
      this.#outgoing(what).putSync(message);
    } catch (error) {
      if (error instanceof ShutDownError) throw new BrokenPipeError(`Connection.${what}: the other end was closed`);
      throw error;
    }
  }

  /**
   * Sends `value` to the other end. Never blocks.
   *
   * @throws DataCloneError if the value cannot cross; BrokenPipeError if the other end closed.
   */
  send(value: unknown): void {
    this.#put([OBJECT, value], 'send()');
  }

  /** Sends `size` bytes of `data` from `offset` (copied) to the other end. */
  sendBytes(data: Uint8Array, offset = 0, size = data.length - offset): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('Connection.sendBytes(): data must be a Uint8Array');
    if (!Number.isInteger(offset) || offset < 0 || offset > data.length) {
      throw new RangeError(`Connection.sendBytes(): offset ${offset} is outside 0..${data.length}`);
    }
    if (!Number.isInteger(size) || size < 0 || offset + size > data.length) {
      throw new RangeError(`Connection.sendBytes(): size ${size} from offset ${offset} passes the end (${data.length})`);
    }
    this.#put([BYTES, data.slice(offset, offset + size)], 'sendBytes()');
  }

  #unwrap(message: Message | typeof END, what: string, bytes: boolean, maxlength?: number): unknown {
    if (message === END) throw new EOFError(`Connection.${what}: the other end was closed and everything sent has been received`);
    if (!bytes) return message[1];
    if (message[0] !== BYTES) throw new TypeError(`Connection.${what}: the message is an object, not bytes; use recv()`);
    if (maxlength !== undefined && message[1].length > maxlength) {
      throw new RangeError(`Connection.${what}: the message has ${message[1].length} bytes, more than maxlength ${maxlength}`);
    }
    return message[1];
  }

  async #take(what: string, options?: AsyncTimeoutOptions): Promise<Message | typeof END> {
    try {
      return await this.#incoming(what).get({ timeout: options?.timeout, signal: options?.signal });
    } catch (error) {
      if (error instanceof ShutDownError) return END;
      throw error;
    }
  }

  #takeSync(what: string, options?: TimeoutOptions): Message | typeof END {
    try {
      return this.#incoming(what).getSync({ timeout: options?.timeout });
    } catch (error) {
      if (error instanceof ShutDownError) return END;
      throw error;
    }
  }

  /**
   * Receives the next message, waiting without blocking the event loop.
   *
   * @throws EOFError once the other end closed and nothing is left.
   * @throws QueueEmptyError if `timeout` ms pass first.
   */
  async recv(options?: AsyncTimeoutOptions): Promise<unknown> {
    return this.#unwrap(await this.#take('recv()', options), 'recv()', false);
  }

  /** {@link recv}, blocking the calling thread. */
  recvSync(options?: TimeoutOptions): unknown {
    return this.#unwrap(this.#takeSync('recvSync()', options), 'recvSync()', false);
  }

  /**
   * Receives the next message sent with `sendBytes`.
   *
   * @throws TypeError if it was sent with `send`; RangeError if longer than `maxlength`.
   */
  async recvBytes(options?: AsyncTimeoutOptions & { maxlength?: number }): Promise<Uint8Array> {
    return this.#unwrap(await this.#take('recvBytes()', options), 'recvBytes()', true, options?.maxlength) as Uint8Array;
  }

  /** {@link recvBytes}, blocking the calling thread. */
  recvBytesSync(options?: TimeoutOptions & { maxlength?: number }): Uint8Array {
    return this.#unwrap(this.#takeSync('recvBytesSync()', options), 'recvBytesSync()', true, options?.maxlength) as Uint8Array;
  }

  /**
   * Whether `recv` would return without waiting — a message is there, or the
   * other end closed — waiting up to `timeout` ms (default 0) for that.
   */
  async poll(options?: AsyncTimeoutOptions): Promise<boolean> {
    const incoming = this.#incoming('poll()');
    return (await incoming[readable](options?.timeout ?? 0, options?.signal)) || incoming.isShutdown;
  }

  /** {@link poll}, blocking the calling thread. */
  pollSync(options?: TimeoutOptions): boolean {
    const incoming = this.#incoming('pollSync()');
    return incoming[readableSync](options?.timeout ?? 0) || incoming.isShutdown;
  }

  /**
   * Closes this end for every thread that holds it: the other end's `recv`
   * gets what is in flight, then EOFError; its `send` gets BrokenPipeError.
   * Closing twice does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out?.shutdown();
    this.#in?.shutdown({ immediate: true });
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Yields messages until the other end closes. */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      const message = await this.#take('recv()');
      if (message === END) return;
      yield message[1];
    }
  }

  /** @internal The scope of its queues. */
  get [SCOPE]() {
    return (this.#in ?? this.#out)![SCOPE];
  }

  /** @internal */
  [describe](): { incoming: Queue<Message> | undefined; outgoing: Queue<Message> | undefined } {
    if (this.#closed) throw new InvalidStateError('Connection: a closed connection cannot be sent');
    return { incoming: this.#in, outgoing: this.#out };
  }

  /** @internal */
  static [revive](data: { incoming: Queue<Message> | undefined; outgoing: Queue<Message> | undefined }): Connection {
    return new Connection(data.incoming, data.outgoing);
  }
}

const END = Symbol('end of pipe');

registerShareable('Connection', Connection, { module: import.meta.url });
