/**
 * The same-host fast path of a manager connection: a request ring and a
 * reply ring in one processes-scope segment shared by the server and one
 * authenticated client, so a call costs no system call while both sides are
 * running (each watches its ring briefly before it sleeps).
 *
 * ```text
 *  word   0  request tail   (client: bytes published)
 *  word  16  request head   (server: bytes consumed)
 *  word  32  server sleeps  (see "Sleeping")
 *  word  48  reply tail     (server)
 *  word  64  reply head     (client)
 *  word  80  client sleeps
 *  byte 512  request ring: CAPACITY bytes
 *  byte 512 + CAPACITY  reply ring: CAPACITY bytes
 * ```
 *
 * A message is a u32 length and that many bytes (one encoded manager
 * message, as a socket frame carries; none: a marker, see client.ts), padded to 4; one that would cross the
 * end of the ring is preceded by a PAD word and starts at 0. Positions are
 * byte counters wrapping at 2^32. Each word has one writer (a sleep word:
 * its reader sets it, its writer clears it).
 *
 * The client cannot be trusted with the server's reading: every length and
 * position the server reads is checked (a bad one is a {@link RingCorruptError}
 * and closes that client's connection, as a bad frame does), and each message
 * is copied out of shared memory before it is decoded, so the client cannot
 * change it mid-decode. The server's own write position is private, so
 * whatever a client stores in the words, the server writes inside the ring.
 *
 * Sleeping: a reader about to go back to its event loop stores 1 in its
 * sleep word and looks at the tail once more; a writer stores the tail and
 * then looks at the sleep word, and if it is 1 clears it and rings the
 * reader's socket (a zero-length frame: the doorbell). With sequentially
 * consistent atomics one of them sees the other: no wake-up is lost. (A
 * doorbell costs one wake-up of the reader's event loop; a futex wait parked
 * for an event loop would cost two thread hops.) A client whose event loop
 * has nothing else to do may instead block its thread for a reply (see
 * {@link Ring.blockForMessage}): it stores 2, and the server, seeing 2,
 * clears it and wakes the client's futex — a system call, not a frame. The
 * server makes those calls once it has written every reply of a pass over
 * its rings: a woken client may take the core at once, and the other
 * clients' replies should be out by then.
 */

import { futexWaiter } from '../memory/futex-waiter.js';

/** The bytes of each ring. */
export const RING_CAPACITY = 128 * 1024;
/** The largest message a ring takes; larger ones go over the socket. */
export const RING_LARGEST = RING_CAPACITY / 4;
const CONTROL_BYTES = 512;
/** The segment's size. */
export const SEGMENT_BYTES = CONTROL_BYTES + 2 * RING_CAPACITY;
/** The layout tag the segment carries ('MGR1'). */
export const SEGMENT_TAG = 0x4d475231;

const REQUEST_TAIL = 0;
const REQUEST_HEAD = 16;
const SERVER_SLEEPS = 32;
const REPLY_TAIL = 48;
const REPLY_HEAD = 64;
const CLIENT_SLEEPS = 80;
const PAD = -1;
/** Sleep word: the reader sleeps in its event loop and wants a doorbell. */
const ON_SOCKET = 1;
/** Sleep word: the reader blocks its thread in a futex wait on the word. */
const BLOCKED = 2;

/** What {@link Ring.write} did. */
export enum Written {
  /** No room now: nothing written. */
  NoRoom = 0,
  Done = 1,
  /** Written; the reader sleeps in its event loop: ring its socket. */
  RingDoorbell = 2,
  /** Written; the reader blocks its thread for it: call {@link Ring.wake} (now, or once a batch of writes is out). */
  Wake = 3,
}

/** A ring's words did not make sense: the peer scribbled on them. */
export class RingCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RingCorruptError';
  }
}

/** One direction of the segment: a writer's or a reader's view. */
class Ring {
  readonly #control: Int32Array;
  readonly #tail: number;
  readonly #head: number;
  readonly #sleep: number;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  /** Writer: where the next message goes. Reader: where the next message is. */
  #position = 0;

  constructor(segment: SharedArrayBuffer, tail: number, head: number, sleep: number, dataOffset: number) {
    this.#control = new Int32Array(segment, 0, CONTROL_BYTES / 4);
    this.#tail = tail;
    this.#head = head;
    this.#sleep = sleep;
    this.#words = new Int32Array(segment, dataOffset, RING_CAPACITY / 4);
    this.#bytes = new Uint8Array(segment, dataOffset, RING_CAPACITY);
  }

  // --- writer ---------------------------------------------------------------

  /** Writes and publishes `length` bytes of `payload` as one message; says when the reader wants a doorbell. */
  write(payload: Uint8Array, length: number): Written {
    if (length > RING_LARGEST) return Written.NoRoom;
    const need = 4 + ((length + 3) & ~3);
    let at = this.#position & (RING_CAPACITY - 1);
    const toEnd = RING_CAPACITY - at;
    const total = need > toEnd ? toEnd + need : need;
    const used = (this.#position - Atomics.load(this.#control, this.#head)) >>> 0;
    // A head the reader never published (a scribbling peer) reads as full, not as room.
    if (used > RING_CAPACITY || RING_CAPACITY - used < total) return Written.NoRoom;
    if (need > toEnd) {
      this.#words[at >>> 2] = PAD;
      this.#position = (this.#position + toEnd) | 0;
      at = 0;
    }
    this.#words[at >>> 2] = length;
    this.#bytes.set(length === payload.length ? payload : payload.subarray(0, length), at + 4);
    this.#position = (this.#position + need) | 0;
    Atomics.store(this.#control, this.#tail, this.#position);
    const sleep = Atomics.load(this.#control, this.#sleep);
    if (sleep === 0) return Written.Done;
    Atomics.store(this.#control, this.#sleep, 0);
    return sleep === BLOCKED ? Written.Wake : Written.RingDoorbell;
  }

  /** Wakes the reader blocked for a message (after a write said {@link Written.Wake}). */
  wake(): void {
    futexWaiter.notify(this.#control, this.#sleep, 1);
  }

  /**
   * Writer, sending a message elsewhere (the socket): true — and the reader
   * is to be {@link wake}d — if it blocks its thread for one on this ring;
   * it then goes back to its event loop, where the message comes.
   */
  takeBlocked(): boolean {
    if (Atomics.load(this.#control, this.#sleep) !== BLOCKED) return false;
    return Atomics.compareExchange(this.#control, this.#sleep, BLOCKED, 0) === BLOCKED;
  }

  // --- reader ---------------------------------------------------------------

  /**
   * The next message, copied out of the ring (and its space given back), or
   * undefined if none is published.
   *
   * @throws RingCorruptError if the writer's words do not describe a message.
   */
  read(): Uint8Array | undefined {
    for (;;) {
      const tail = Atomics.load(this.#control, this.#tail);
      if (tail === this.#position) return undefined;
      const available = (tail - this.#position) >>> 0;
      if (available > RING_CAPACITY || (available & 3) !== 0) throw new RingCorruptError(`a ring tail ${available} bytes ahead`);
      const at = this.#position & (RING_CAPACITY - 1);
      const length = this.#words[at >>> 2]!;
      if (length === PAD) {
        if (RING_CAPACITY - at > available) throw new RingCorruptError('a ring pad past the tail');
        this.#position = (this.#position + RING_CAPACITY - at) | 0;
        continue;
      }
      const need = 4 + ((length + 3) & ~3);
      if (length < 0 || length > RING_LARGEST || at + need > RING_CAPACITY || need > available) {
        throw new RingCorruptError(`a ring message of ${length} bytes that does not fit what was published`);
      }
      const message = this.#bytes.slice(at + 4, at + 4 + length);
      this.#position = (this.#position + need) | 0;
      Atomics.store(this.#control, this.#head, this.#position);
      return message;
    }
  }

  /** Whether a message is published and not yet read. */
  hasMessage(): boolean {
    return Atomics.load(this.#control, this.#tail) !== this.#position;
  }

  /**
   * Blocks this thread until a message is published or `ms` pass, woken by
   * the writer's futex wake (see "Sleeping" above); true if a message is
   * there. Only for a thread with nothing else to do meanwhile. `ready`,
   * if given, is checked once the sleep word says BLOCKED, before sleeping:
   * whoever makes it true and then finds BLOCKED ({@link takeBlocked})
   * wakes this thread, so that news cannot be missed either.
   */
  blockForMessage(ms: number, ready?: () => boolean): boolean {
    Atomics.store(this.#control, this.#sleep, BLOCKED);
    if (!this.hasMessage() && ready?.() !== true) futexWaiter.wait(this.#control, this.#sleep, BLOCKED, performance.now() + ms);
    Atomics.store(this.#control, this.#sleep, 0);
    return this.hasMessage();
  }

  /**
   * Asks the writer for a doorbell on the socket at its next message, then
   * looks once more: false (and the request taken back) if one came meanwhile.
   */
  sleepOnSocket(): boolean {
    Atomics.store(this.#control, this.#sleep, ON_SOCKET);
    if (!this.hasMessage()) return true;
    Atomics.store(this.#control, this.#sleep, 0);
    return false;
  }
}

/**
 * The two rings of a segment. The server reads `requests` and writes
 * `replies`; the client the other way round.
 */
export function openRings(segment: SharedArrayBuffer): { requests: Ring; replies: Ring } {
  return {
    requests: new Ring(segment, REQUEST_TAIL, REQUEST_HEAD, SERVER_SLEEPS, CONTROL_BYTES),
    replies: new Ring(segment, REPLY_TAIL, REPLY_HEAD, CLIENT_SLEEPS, CONTROL_BYTES + RING_CAPACITY),
  };
}

export type { Ring };
