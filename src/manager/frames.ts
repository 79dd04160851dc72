/**
 * Length-prefixed frames on a byte stream (a Unix domain socket or TCP):
 *
 * ```text
 *  +----------------+---------------------------+
 *  | u32 LE length  | length bytes of payload   |
 *  +----------------+---------------------------+
 * ```
 *
 * A reader collects chunks into whole frames. A length above the reader's
 * cap is refused before a byte of the frame is buffered, so a peer cannot
 * make the other side allocate what it claims; a frame that starts but does
 * not finish within `frameTimeout` ms (a slow or stalled peer) is refused too.
 */

import type { Socket } from 'node:net';
import type { ItemWriter } from '../queue/codec.js';

/** The header: a little-endian u32 payload length. */
export const HEADER_BYTES = 4;

/** An empty frame: "look at your ring" (see {@link FramedSocket.ringDoorbell}). */
const DOORBELL = Buffer.alloc(HEADER_BYTES);

/** Why a reader gave up on its stream. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** The bytes of one frame: the header and `payload`, in one buffer (one write, one syscall). */
export function frameBytes(payload: Uint8Array, length = payload.length): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + length);
  bytes.writeUInt32LE(length, 0);
  bytes.set(payload.subarray(0, length), HEADER_BYTES);
  return bytes;
}

/** Collects a stream's chunks into frames of at most `maxBytes` bytes. */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The length of the frame being collected, once its header is in. */
  #expected = -1;
  #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Changes the cap for the frames after the current one (small before authentication, larger after). */
  set maxBytes(value: number) {
    this.#maxBytes = value;
  }

  /** Whether part of a frame is buffered (the peer is in the middle of sending one). */
  get partial(): boolean {
    return this.#buffered > 0;
  }

  /**
   * Adds a chunk and returns the frames it completed.
   *
   * @throws FrameError when a frame announces more than the cap.
   */
  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#expected < 0) {
        if (this.#buffered < HEADER_BYTES) break;
        const length = this.#take(HEADER_BYTES).readUInt32LE(0);
        if (length > this.#maxBytes) {
          throw new FrameError(`a frame of ${length} bytes is over the limit of ${this.#maxBytes} bytes`);
        }
        this.#expected = length;
      }
      if (this.#buffered < this.#expected) break;
      frames.push(this.#take(this.#expected));
      this.#expected = -1;
    }
    return frames;
  }

  #take(n: number): Buffer {
    const whole = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const taken = whole.subarray(0, n);
    const rest = whole.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}

/** Options both ends use to bound what a peer can make them do. */
export interface StreamLimits {
  /** Largest frame accepted after authentication, in bytes. Default 64 MiB. */
  readonly maxFrameBytes?: number;
  /** A frame must arrive whole within this many ms of its first byte. Default 30 000. */
  readonly frameTimeout?: number;
  /** The authentication handshake must end within this many ms. Default 10 000. */
  readonly handshakeTimeout?: number;
  /**
   * Server side: an authenticated connection with no call waiting and
   * nothing received for this many ms is closed (and its references
   * dropped, as for any closed connection). Default 0: never — a client
   * holding proxies may rightly stay quiet for hours; TCP keep-alive probes
   * still find peers whose host has gone.
   */
  readonly idleTimeout?: number;
  /**
   * Whether a client on the server's host may use shared memory instead of
   * the socket for its calls (the processes scope's shared-memory segments;
   * only where its native addon loads). Server side: `false` refuses every
   * client; client side: `false` does not ask. Default `true`.
   */
  readonly sharedMemory?: boolean;
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
export const DEFAULT_FRAME_TIMEOUT = 30_000;
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
/** Handshake frames are small: a peer that has not authenticated cannot make us buffer more. */
export const HANDSHAKE_MAX_FRAME_BYTES = 256;

/**
 * Reads frames from `socket`, one `onFrame` call per frame, in order. Ends
 * the socket (calling `onError`) on an oversized frame or one that stalls
 * past `frameTimeout`.
 */
export class FramedSocket {
  readonly socket: Socket;
  readonly #reader: FrameReader;
  readonly #frameTimeout: number;
  #timer: NodeJS.Timeout | undefined;
  #corked = false;
  #maxBytes: number;
  #waiters: ((frame: Buffer) => void)[] = [];
  #queued: Buffer[] = [];
  onFrame: ((frame: Buffer) => void) | undefined;
  onError: ((error: Error) => void) | undefined;

  constructor(socket: Socket, limits: StreamLimits, maxBytes: number) {
    this.socket = socket;
    this.#reader = new FrameReader(maxBytes);
    this.#maxBytes = maxBytes;
    this.#frameTimeout = limits.frameTimeout ?? DEFAULT_FRAME_TIMEOUT;
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('close', () => clearTimeout(this.#timer));
  }

  /** The largest frame either way: received frames over it end the stream, sent ones are refused. */
  set maxBytes(value: number) {
    this.#reader.maxBytes = value;
    this.#maxBytes = value;
  }

  /**
   * Throws a RangeError naming `what` if `length` bytes would be over the
   * frame limit (the peer would close the connection on it).
   */
  checkSize(length: number, what: string): void {
    if (length > this.#maxBytes) {
      throw new RangeError(
        `${what} is ${length} bytes, over the manager's frame limit of ${this.#maxBytes} bytes (the maxFrameBytes option)`,
      );
    }
  }

  /** The next frame (for the handshake, before `onFrame` is set). */
  next(): Promise<Buffer> {
    const queued = this.#queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  send(payload: Uint8Array): void {
    this.#write(frameBytes(payload));
  }

  /**
   * Sends an empty frame at once, ahead of frames corked for this tick: the
   * doorbell that tells the peer to look at its shared-memory ring.
   */
  ringDoorbell(): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    const corked = socket.writableCorked;
    for (let i = 0; i < corked; i++) socket.uncork();
    socket.write(DOORBELL);
    for (let i = 0; i < corked; i++) socket.cork();
  }

  /** Sends what `writer` holds as one frame. */
  sendWriter(writer: ItemWriter): void {
    this.#write(frameBytes(writer.bytes, writer.length));
  }

  // Frames sent in one go of the event loop (the replies to a chunk of
  // requests, or calls issued together) leave in one writev.
  #write(bytes: Buffer): void {
    if (this.socket.destroyed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  fail(error: Error): void {
    clearTimeout(this.#timer);
    this.onError?.(error);
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#reader.partial) {
      this.#timer = setTimeout(
        () => this.fail(new FrameError(`a frame did not arrive whole within ${this.#frameTimeout} ms`)),
        this.#frameTimeout,
      );
      this.#timer.unref();
    }
    for (const frame of frames) {
      if (this.socket.destroyed) return;
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(frame);
      else if (this.onFrame !== undefined) this.onFrame(frame);
      else this.#queued.push(frame);
    }
  }

  /** Hands frames queued during the handshake to `onFrame`, once it is set. */
  flush(): void {
    for (let frame = this.#queued.shift(); frame !== undefined; frame = this.#queued.shift()) this.onFrame?.(frame);
  }
}
