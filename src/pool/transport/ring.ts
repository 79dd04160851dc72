/**
 * The message ring between a pool and one of its worker threads: one writer,
 * one reader, variable-length messages, in shared memory, with no lock.
 *
 * A pool worker has two: tasks go down one, results come back on the other.
 * The writer writes any number of messages and then publishes them with one
 * store of `tail` (that is the batching: 200 queued tasks cost one store and
 * at most one wake-up); the reader moves `head` after each message it has
 * decoded, so the writer can reuse the space at once.
 *
 * Positions are byte counters that wrap at 2^32 (only their difference and
 * their low bits are used). A message is a 32-bit length and that many bytes,
 * padded to 4: four 32-bit words (a kind and three numbers) and a body; a message that would cross the end of the buffer is preceded
 * by a PAD word and starts again at 0.
 *
 * A message the writer has published can still be taken back, until the
 * reader claims it: both sides compare-and-swap its kind word, the writer
 * setting {@link WITHDRAWN}, the reader {@link TAKEN}; whoever is first
 * decides (see {@link MessageRing.withdraw} and {@link MessageRing.claim}).
 *
 * Sleeping uses the rule that prevents lost wake-ups without a lock: a party
 * about to sleep stores its flag and then looks once more; the other party
 * stores its progress and then looks at the flag. With sequentially
 * consistent atomics one of them sees the other.
 *
 * The shared parts come from a {@link Memory} and sleeping and waking go
 * through its {@link Waiter}: the threads scope's (a `SharedArrayBuffer`,
 * `Atomics.wait`) between a pool and its worker threads, the processes
 * scope's (a shared-memory segment, futexes) between a pool and its child
 * processes.
 */

import { FOREVER } from '../../memory/deadline.js';
import { threadsMemory, type Memory } from '../../memory/memory.js';
import type { Waiter } from '../../memory/waiter.js';

/** Index of the control words; each on its own cache line. */
const TAIL = 0;
const HEAD = 16;
/** 1 while the reader sleeps (when the ring has its own sleep word). */
const READER_SLEEPS = 32;
/** 1 while the writer waits for space. */
const WRITER_WAITS = 48;
const CONTROL_WORDS = 64;
const PAD = -1;
/** kind, a, b, c: the words before a message's body. */
const HEADER_BYTES = 16;
// Bodies up to this many bytes are copied byte by byte rather than by `set`.
const SMALL_BODY = 64;
/** Kind bit: the reader has claimed the message (see {@link MessageRing.claim}). */
export const TAKEN = 0x200;
/** Kind bit: the writer has taken the message back; the reader skips it. */
export const WITHDRAWN = 0x400;

/** The shared parts of a ring, as posted to a worker. */
export interface RingBuffers {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

/**
 * A word the reader sleeps on: its own, or one it shares with other rings (a
 * pool's doorbell). Slept on and woken with the ring's waiter.
 */
export interface SleepWord {
  readonly words: Int32Array;
  readonly index: number;
}

/**
 * Allocates the shared parts of a ring of `capacity` bytes (a power of two,
 * at least 1 KiB) from `memory` (default: the threads scope's). `sparse`:
 * the data's pages are committed only as they are written (see
 * `Memory.allocateGrowable`).
 */
export function allocateRing(capacity: number, memory: Memory = threadsMemory, sparse = false): RingBuffers {
  if (!Number.isInteger(capacity) || capacity < 1024 || capacity > 2 ** 30 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two between 1 KiB and 1 GiB, got ${capacity}`);
  }
  return { control: memory.allocate(CONTROL_WORDS * 4), data: sparse ? memory.allocateGrowable(capacity, capacity) : memory.allocate(capacity) };
}

/** The largest body a ring of `capacity` bytes takes; larger ones go another way. */
export function largestBody(capacity: number): number {
  return (capacity >>> 2) - HEADER_BYTES - 4;
}

/** One side's view of a ring. The same object must not be used to both read and write. */
export class MessageRing {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #words: Int32Array;
  readonly #mask: number;
  readonly #capacity: number;
  readonly #sleep: SleepWord;
  readonly #waiter: Waiter;
  /** Writer: where the next message goes (published or not). Reader: where the next message is. */
  #position: number;
  /** Writer: the last head seen. Reader: the last tail seen. */
  #other: number;
  /** Writer: where the last message written starts (for {@link withdraw}). */
  #last = 0;

  /** `waiter`: how the parties sleep and wake (the memory's waiter; default `Atomics`). */
  constructor(buffers: RingBuffers, sleep?: SleepWord, waiter: Waiter = threadsMemory.waiter) {
    this.#waiter = waiter;
    this.#control = new Int32Array(buffers.control);
    this.#bytes = new Uint8Array(buffers.data);
    this.#words = new Int32Array(buffers.data);
    this.#capacity = this.#bytes.length;
    this.#mask = this.#capacity - 1;
    this.#sleep = sleep ?? { words: this.#control, index: READER_SLEEPS };
    // A ring is created empty; both sides start at 0.
    this.#position = 0;
    this.#other = 0;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** How this ring's parties sleep and wake (for {@link wake}). */
  get waiter(): Waiter {
    return this.#waiter;
  }

  // --- writer ---------------------------------------------------------------

  /**
   * Writes one message — four words and a body — not yet visible to the
   * reader (see {@link publish}). Returns false, writing nothing, when the
   * ring has no room for it now.
   */
  write(kind: number, a: number, b: number, c: number, body: Uint8Array | undefined, bodyLength: number): boolean {
    const length = HEADER_BYTES + bodyLength;
    const need = 4 + ((length + 3) & ~3);
    let at = this.#position & this.#mask;
    const toEnd = this.#capacity - at;
    const total = need > toEnd ? toEnd + need : need;
    if (this.#capacity - ((this.#position - this.#other) | 0) < total) {
      this.#other = Atomics.load(this.#control, HEAD);
      if (this.#capacity - ((this.#position - this.#other) | 0) < total) return false;
    }
    if (need > toEnd) {
      this.#words[at >>> 2] = PAD;
      this.#position = (this.#position + toEnd) | 0;
      at = 0;
    }
    const words = this.#words;
    const word = at >>> 2;
    this.#last = at;
    words[word] = length;
    words[word + 1] = kind;
    words[word + 2] = a;
    words[word + 3] = b;
    words[word + 4] = c;
    if (bodyLength > 0) {
      const bytes = this.#bytes;
      const start = at + 4 + HEADER_BYTES;
      // A trivial task's body is a few bytes: copied by hand, it needs no subarray view (an allocation per message).
      if (bodyLength <= SMALL_BODY) for (let i = 0; i < bodyLength; i++) bytes[start + i] = body![i]!;
      else bytes.set(bodyLength === body!.length ? body! : body!.subarray(0, bodyLength), start);
    }
    this.#position = (this.#position + need) | 0;
    return true;
  }

  /** Whether a message with a body of `bodyLength` bytes fits now (so {@link write} will take it). */
  canWrite(bodyLength: number): boolean {
    const need = 4 + ((HEADER_BYTES + bodyLength + 3) & ~3);
    const toEnd = this.#capacity - (this.#position & this.#mask);
    const total = need > toEnd ? toEnd + need : need;
    if (this.#capacity - ((this.#position - this.#other) | 0) >= total) return true;
    this.#other = Atomics.load(this.#control, HEAD);
    return this.#capacity - ((this.#position - this.#other) | 0) >= total;
  }

  /** Where the last message written starts: its ticket for {@link withdraw} and {@link taken}. */
  get lastWritten(): number {
    return this.#last;
  }

  /**
   * Takes back the message at `at` (a {@link lastWritten}) whose word `a` is
   * `a`, if the reader has not claimed it: true if withdrawn, false if the
   * reader has it (or has consumed it).
   */
  withdraw(at: number, a: number): boolean {
    const word = (at >>> 2) + 1;
    const words = this.#words;
    // The writer is the only one to reuse space, so a message with another `a` here means ours was consumed.
    if (words[word + 1] !== a) return false;
    for (;;) {
      const kind = Atomics.load(words, word);
      if ((kind & TAKEN) !== 0) return false;
      if ((kind & WITHDRAWN) !== 0 || Atomics.compareExchange(words, word, kind, kind | WITHDRAWN) === kind) return true;
    }
  }

  /** Whether the reader has claimed (or consumed) the message at `at` whose word `a` is `a`. */
  taken(at: number, a: number): boolean {
    const word = (at >>> 2) + 1;
    return this.#words[word + 1] !== a || (Atomics.load(this.#words, word) & TAKEN) !== 0;
  }

  /** Makes every written message visible. Returns true if the reader was asleep (the caller wakes it). */
  publish(): boolean {
    Atomics.store(this.#control, TAIL, this.#position);
    const { words, index } = this.#sleep;
    return Atomics.load(words, index) !== 0;
  }

  /** Blocks the writer (a worker) until the reader frees space or `ms` pass. */
  waitForSpaceSync(ms: number): void {
    Atomics.store(this.#control, WRITER_WAITS, 1);
    // Sleep only if the reader has not moved since the write was refused.
    if (Atomics.load(this.#control, HEAD) === this.#other) this.#waiter.wait(this.#control, WRITER_WAITS, 1, performance.now() + ms);
    Atomics.store(this.#control, WRITER_WAITS, 0);
  }

  // --- reader ---------------------------------------------------------------

  /**
   * Where the next published message is (see {@link lengthAt} and
   * {@link bytes}), or -1 if there is none. It stays until {@link consume}.
   */
  peek(): number {
    for (;;) {
      if (this.#position === this.#other) {
        this.#other = Atomics.load(this.#control, TAIL);
        if (this.#position === this.#other) return -1;
      }
      const at = this.#position & this.#mask;
      const length = this.#words[at >>> 2]!;
      if (length !== PAD) return at;
      this.#position = (this.#position + this.#capacity - at) | 0;
    }
  }

  /**
   * Claims the message at `at` (from {@link peek}) before acting on it:
   * false if the writer has withdrawn it (the reader then skips it).
   */
  claim(at: number): boolean {
    const word = (at >>> 2) + 1;
    const words = this.#words;
    for (;;) {
      const kind = Atomics.load(words, word);
      if ((kind & WITHDRAWN) !== 0) return false;
      if (Atomics.compareExchange(words, word, kind, kind | TAKEN) === kind) return true;
    }
  }

  /** Word `i` (0 = kind, 1..3 = a, b, c) of the message at `at` (from {@link peek}). */
  word(at: number, i: number): number {
    return this.#words[(at >>> 2) + 1 + i]!;
  }

  /** Where the body of the message at `at` starts in {@link bytes}. */
  bodyStart(at: number): number {
    return at + 4 + HEADER_BYTES;
  }

  /** The body's length of the message at `at`. */
  bodyLength(at: number): number {
    return this.#words[at >>> 2]! - HEADER_BYTES;
  }

  /** The ring's bytes (bodies are read from here). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Frees the message {@link peek} returned. */
  consume(at: number): void {
    // peek() left the position at `at` (past any PAD).
    this.#position = (this.#position + 4 + ((this.#words[at >>> 2]! + 3) & ~3)) | 0;
    Atomics.store(this.#control, HEAD, this.#position);
    if (Atomics.load(this.#control, WRITER_WAITS) !== 0) {
      Atomics.store(this.#control, WRITER_WAITS, 0);
      this.#waiter.notify(this.#control, WRITER_WAITS, 1);
    }
  }

  /** Whether a published message is waiting. */
  hasMessage(): boolean {
    return this.#position !== Atomics.load(this.#control, TAIL);
  }

  /**
   * Announces that the reader is about to sleep on its sleep word. Returns
   * false (and takes the announcement back) if a message came meanwhile.
   */
  prepareToSleep(): boolean {
    const { words, index } = this.#sleep;
    Atomics.store(words, index, 1);
    if (this.hasMessage()) {
      Atomics.store(words, index, 0);
      return false;
    }
    return true;
  }

  /**
   * Blocks the reader (a worker) until a message is published (after
   * {@link prepareToSleep}) or `ms` pass; false if the time ran out.
   */
  sleepSync(ms = Infinity): boolean {
    const { words, index } = this.#sleep;
    const outcome = this.#waiter.wait(words, index, 1, ms === Infinity ? FOREVER : performance.now() + ms);
    Atomics.store(words, index, 0);
    return outcome !== 'timed-out';
  }

  /** Waits without blocking until a message is published (after {@link prepareToSleep}). */
  async sleepAsync(): Promise<void> {
    const { words, index } = this.#sleep;
    await this.#waiter.waitAsync(words, index, 1, FOREVER);
    Atomics.store(words, index, 0);
  }
}

/** Wakes whoever sleeps on `word` (after {@link MessageRing.publish} said the reader sleeps), with `waiter` (default `Atomics`). */
export function wake(word: SleepWord, waiter: Waiter = threadsMemory.waiter): void {
  Atomics.store(word.words, word.index, 0);
  waiter.notify(word.words, word.index, Infinity);
}

/** The sleep word of a ring's own reader. */
export function readerSleepWord(buffers: RingBuffers): SleepWord {
  return { words: new Int32Array(buffers.control), index: READER_SLEEPS };
}
