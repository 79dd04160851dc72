/**
 * The item ring under every FIFO queue: encoded items go in as frames at the
 * tail and come out at the head (see `layout.ts` for the words and frames).
 *
 * Producers take `putLock` for the whole of one item and consumers take
 * `getLock` for the whole of one item, so each side is a single party at a
 * time and the ring itself is single-producer single-consumer: the producer
 * only moves `tail`, the consumer only moves `head`, each after the bytes are
 * in place. `count` is the only word both sides change (atomically).
 *
 * An item that fits the ring is written whole and counted after its last
 * byte, so a consumer never sees half an item. A larger item is *streamed*:
 * counted when its first frame is in, then written frame by frame as the
 * consumer frees space, which it reads as it comes. A producer that gives up
 * mid-stream (timeout, abort, immediate shutdown) writes an ABORT frame — the
 * ring always keeps room for one — and the consumer drops the partial item
 * and takes the next: nothing half-delivered, nothing duplicated.
 *
 * A party whose thread dies holding a side lock (terminated, out of memory,
 * `process.exit()`) leaves the queue repairable: every change the others can
 * see is a straight-line commit (`#publish`, `#claim`, `#advance`; see
 * side-lock.ts), and the header says when a holder was midway through a
 * streamed item (PUT_STREAM, GET_STREAM). The party that takes a dead
 * holder's lock over repairs: a whole item half written was never published;
 * a streamed item half written gets its ABORT frame (so it is never
 * delivered); the frames left of an item a dead consumer was reading are
 * skipped (that item was taken, by the dead consumer).
 *
 * A process killed outright (SIGKILL; processes scope) stops anywhere, even
 * inside a commit. So each commit first writes a journal of what it stores
 * (layout.ts: putTo*, getTo*), and its point is one atomic add that also
 * flips a bit (UNFINISHED's for a put, COUNT's for a get) the side's
 * *Flips word mirrors once the commit is done: a party taking a dead
 * holder's lock over finds the bit and the mirror apart exactly when the
 * holder was cut off past that point, and finishes the commit from the
 * journal (#rollPut, #rollGet) — every store in it an absolute value, the
 * count's add guarded by its own flip bit. Cut before the point, nothing
 * anyone reads has changed.
 */

import { expired, FOREVER } from '../memory/deadline.js';
import type { Procedure } from '../memory/steps.js';
import type { Waiter } from '../memory/waiter.js';
import { QueueEvents } from './events.js';
import type { StoredKey } from './priority-key.js';
import { CHECK_MS, heldBy, lockSide, SELF, takeOverIfDead, tryLockSide, unlockSide, type SideOwner } from './side-lock.js';
import {
  ABORT, COUNT, COUNT_WAITERS, DRAINING, FIRST, FRAME_HEADER, frameSize, GET_LOCK, GET_STREAM, HEAD, HEAD_WAITERS, LAST,
  MAXSIZE, MORE, OPEN, PUT_LOCK, PUT_STREAM, READING, SHUT_IMMEDIATE, SHUTDOWN, TAIL, TAIL_WAITERS, UNFINISHED, WHOLE,
  CAPACITY, MAX_CAPACITY, TASKS, WAKE, COUNT_GET_FLIP, COUNT_PUT_FLIP, GET_FLIPS, GET_TO_HEAD, GET_TO_STREAM, itemCount,
  PUT_FLIPS, PUT_TO_COUNT, PUT_TO_STREAM, PUT_TO_TAIL, TASKS_FLIP,
} from './layout.js';

/** How a put ended when it did not deliver. */
export type PutRefusal = 'full' | 'shutdown';
/** How a get ended when it took nothing. */
export type GetRefusal = 'empty' | 'shutdown';

/** An item as it sits in the ring: its bytes and the shared buffers it refers to. */
export interface RawItem {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly length: number;
  readonly token: number;
  readonly buffers: number;
}

const ABORTED = Symbol('aborted');
const NOTHING = new Uint8Array(0);
/**
 * How long a non-blocking put or get waits for the other party's lock (held
 * only while an item is written or read) before reporting full or empty.
 */
const NONBLOCKING_GRACE_MS = 5;
/** Items up to this many bytes are copied byte by byte. */
const SMALL = 64;

export class FrameRing {
  readonly #words: Int32Array;
  readonly #buffer: SharedArrayBuffer;
  // Fixed-length views of the ring's current capacity, remade when it grows:
  // V8 makes length-tracking views of a growable buffer ~20x slower to index.
  #data: Uint8Array;
  #headerView: Int32Array;
  // This handle's copy of the CAPACITY word; refreshed under a lock.
  #capacity: number;
  #mask: number;
  readonly #waiter: Waiter;
  // The HEAD word as this handle last read it, and TAIL then. HEAD only moves
  // on, so free space counted from it is never more than the truth; reading
  // it less often keeps producers off the consumers' cache line.
  #headSeen: number;
  #tailAtHeadSeen: number;
  /** Who this handle is in a lock word (side-lock.ts): this thread, or whom a step-by-step test plays. */
  readonly #self: SideOwner;
  /** Waiting, waking, tasks and join: shared with the ordered store. */
  readonly events: QueueEvents;

  constructor(words: Int32Array, buffer: SharedArrayBuffer, waiter: Waiter, self: SideOwner = SELF) {
    this.#words = words;
    this.#self = self;
    this.events = new QueueEvents(words, waiter);
    this.#buffer = buffer;
    this.#capacity = Atomics.load(words, CAPACITY);
    this.#mask = this.#capacity - 1;
    this.#data = new Uint8Array(buffer, 0, this.#capacity);
    this.#headerView = new Int32Array(buffer, 0, this.#capacity >> 2);
    this.#waiter = waiter;
    this.#tailAtHeadSeen = Atomics.load(words, TAIL);
    this.#headSeen = Atomics.load(words, HEAD);
  }

  /** Picks up a capacity another thread grew the ring to (caller holds putLock or getLock). */
  #refresh(): void {
    const capacity = Atomics.load(this.#words, CAPACITY);
    if (capacity !== this.#capacity) {
      this.#capacity = capacity;
      this.#mask = capacity - 1;
      this.#data = new Uint8Array(this.#buffer, 0, capacity);
      this.#headerView = new Int32Array(this.#buffer, 0, capacity >> 2);
    }
  }

  /**
   * Grows the ring so `needed` more bytes fit, if it may grow (caller holds
   * putLock). Takes getLock too — consumers only hold it while reading — and
   * moves each byte from counter position `v & (old - 1)` to `v & (new - 1)`.
   * Returns whether there is room now.
   */
  *#grow(needed: number): Procedure<boolean> {
    const words = this.#words;
    const limit = words[MAX_CAPACITY]!;
    const used = (Atomics.load(words, TAIL) - Atomics.load(words, HEAD)) >>> 0;
    let capacity = this.#capacity;
    while (capacity - used < needed && capacity < limit) capacity *= 2;
    if (capacity === this.#capacity) return false;
    yield* this.#lockGet(FOREVER);
    try {
      const old = this.#capacity;
      // A grower that died before storing CAPACITY may have grown the buffer already (grow never shrinks).
      if (capacity > this.#buffer.byteLength) this.#buffer.grow(capacity);
      const bytes = new Uint8Array(this.#buffer, 0, capacity);
      // Consumers may have moved head meanwhile: relocate what is there now.
      let v = Atomics.load(words, HEAD);
      let left = (Atomics.load(words, TAIL) - v) >>> 0;
      while (left > 0) {
        const from = v & (old - 1);
        const run = Math.min(left, old - from);
        const to = v & (capacity - 1);
        // Destinations lie in [old, capacity), sources in [0, old): no overlap.
        if (to !== from) bytes.copyWithin(to, from, from + run);
        v = (v + run) | 0;
        left -= run;
      }
      Atomics.store(words, CAPACITY, capacity);
      this.#refresh();
    } finally {
      unlockSide(words, GET_LOCK, this.#waiter);
    }
    return capacity - used >= needed;
  }

  /** Takes putLock, repairing what a dead holder left; false if `deadline` passed first. */
  *#lockPut(deadline: number): Procedure<boolean> {
    const got = yield* lockSide(this.#words, PUT_LOCK, deadline, this.#self);
    if (got === 'recovered') this.#recoverPut();
    return got !== false;
  }

  /** Takes getLock, repairing what a dead holder left; false if `deadline` passed first. */
  *#lockGet(deadline: number): Procedure<boolean> {
    const got = yield* lockSide(this.#words, GET_LOCK, deadline, this.#self);
    if (got === 'recovered') this.#rollGet();
    // GET_STREAM set: the holder before died midway through an item (and a recoverer maybe too).
    if (got === 'recovered' || (got && this.#words[GET_STREAM] !== 0)) yield* this.#recoverGet();
    return got !== false;
  }

  /**
   * Repairs the put side after its holder died (the caller took putLock
   * over). A whole item it was writing was never published: its frame lies
   * past the tail, which only the commit moves. A streamed item it was
   * writing gets the ABORT frame it owed, which undoes its task and tells
   * the reader to drop it.
   */
  #recoverPut(): void {
    this.#refresh();
    this.#rollPut();
    if (this.#words[PUT_STREAM] !== 0) this.#publish(this.#writeFrame(ABORT, NOTHING, 0, 0, 0, 0, 0), ABORT);
    this.events.wakeAll();
  }

  /**
   * Repairs the get side after its holder died (the caller took getLock
   * over). If it was midway through a streamed item, the rest of that item's
   * frames are skipped, up to its LAST or ABORT frame: the item was taken by
   * the dead consumer (one an immediate shutdown was dropping is counted
   * done at its LAST, as the dead drainer would have).
   */
  *#recoverGet(): Procedure<void> {
    this.#refresh();
    this.#rollGet();
    while (this.#words[GET_STREAM] !== 0 && !this.#skipPresent()) yield* this.#awaitFrame();
    this.events.wakeAll();
  }

  /**
   * Skips the frames in the ring of the item a dead reader was midway
   * through (caller holds getLock); true once its LAST or ABORT is passed.
   */
  #skipPresent(): boolean {
    const words = this.#words;
    while (Atomics.load(words, TAIL) !== Atomics.load(words, HEAD)) {
      const frame = this.#frame();
      this.#advance(frame.length, frame.kind, false);
      if (frame.kind === LAST || frame.kind === ABORT) return true;
    }
    return false;
  }

  /**
   * For a producer short of room: getLock's holder may have died midway
   * through a streamed item, leaving the ring full of its frames, which no
   * get takes (they are no longer counted). Takes getLock over and skips
   * them; true if it did.
   */
  *#reclaim(): Procedure<boolean> {
    const words = this.#words;
    if (words[GET_STREAM] === 0 || !takeOverIfDead(words, GET_LOCK, this.#self)) return false;
    try {
      yield* this.#recoverGet();
    } finally {
      unlockSide(words, GET_LOCK, this.#waiter);
    }
    return true;
  }

  /**
   * For a party that has waited {@link CHECK_MS} for a change: the other
   * side's lock may be held by a process killed past a commit's point (its
   * item, or its take, not yet counted where the waiter looks) — and only a
   * party that takes that lock over finishes the commit. Takes it over if its
   * holder is dead, repairs, lets go; true if it did.
   */
  *#repairOther(side: typeof PUT_LOCK | typeof GET_LOCK): Procedure<boolean> {
    const words = this.#words;
    if (Atomics.load(words, side) === 0 || !takeOverIfDead(words, side, this.#self)) return false;
    try {
      this.#refresh();
      if (side === PUT_LOCK) this.#recoverPut();
      else yield* this.#recoverGet();
    } finally {
      unlockSide(words, side, this.#waiter);
    }
    return true;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Free ring bytes — at least `needed` if there are, counted from the HEAD
   * this handle saw last when that shows enough (re-read otherwise, and once
   * the tail has moved 1 GiB since, long before counters mod 2^32 could
   * wrap past it).
   */
  #free(needed = Infinity): number {
    const tail = Atomics.load(this.#words, TAIL);
    if (needed !== Infinity && ((tail - this.#tailAtHeadSeen) >>> 0) < 1 << 30) {
      const free = this.#capacity - ((tail - this.#headSeen) >>> 0);
      if (free >= needed) return free;
    }
    this.#tailAtHeadSeen = tail;
    this.#headSeen = Atomics.load(this.#words, HEAD);
    return this.#capacity - ((tail - this.#headSeen) >>> 0);
  }

  /**
   * Writes a frame past the tail, where no consumer looks; returns the tail
   * that publishes it, for {@link #publish}.
   */
  #writeFrame(kind: number, item: Uint8Array, from: number, length: number, itemLength: number, token: number, buffers: number): number {
    const words = this.#words;
    const tail = Atomics.load(words, TAIL);
    const at = tail & this.#mask;
    const header = at >> 2;
    this.#headerView[header] = length;
    this.#headerView[header + 1] = kind | (buffers << 8);
    this.#headerView[header + 2] = itemLength;
    this.#headerView[header + 3] = token;
    const start = (at + FRAME_HEADER) & this.#mask;
    const data = this.#data;
    if (length <= SMALL && start + length <= this.#capacity) {
      // Small items: a byte loop beats creating a subarray to copy from.
      for (let i = 0; i < length; i++) data[start + i] = item[from + i]!;
    } else {
      const first = Math.min(length, this.#capacity - start);
      data.set(item.subarray(from, from + first), start);
      if (first < length) data.set(item.subarray(from + first, from + length), 0);
    }
    return (tail + frameSize(length)) | 0;
  }

  /**
   * The producer's commit of a frame written by {@link #writeFrame}: moving
   * the tail past it makes its bytes visible to the consumer; a WHOLE or
   * FIRST frame also counts the item in and its task, a FIRST starts a
   * stream (PUT_STREAM) that LAST or ABORT ends, and an ABORT undoes the
   * task. Straight-line — no call, no loop — so a thread that dies here has
   * done all of it or none of it (see side-lock.ts).
   */
  #publish(tail: number, kind: number): void {
    const words = this.#words;
    const starts = kind === WHOLE || kind === FIRST;
    // The journal first: what the commit stores, for a party finishing it after this one is cut off.
    words[PUT_TO_TAIL] = tail;
    words[PUT_TO_STREAM] = kind === FIRST ? 1 : kind === WHOLE || kind === MORE ? words[PUT_STREAM]! : 0;
    words[PUT_TO_COUNT] = starts ? 1 : 0;
    const flips = words[PUT_FLIPS]!;
    // The commit point: the task counted (an ABORT's undone) and TASKS_FLIP flipped, in one add.
    // Before count: a taskDone() never sees it missing.
    Atomics.add(words, UNFINISHED, (starts ? 1 : kind === ABORT ? -1 : 0) + ((flips & 1) === 0 ? TASKS_FLIP : -TASKS_FLIP));
    Atomics.store(words, TAIL, tail);
    Atomics.add(words, COUNT, (starts ? 1 : 0) + ((flips & 2) === 0 ? COUNT_PUT_FLIP : -COUNT_PUT_FLIP));
    if (kind !== WHOLE && kind !== MORE) words[PUT_STREAM] = kind === FIRST ? 1 : 0;
    words[PUT_FLIPS] = flips ^ 3;
    Atomics.add(words, WAKE, 1);
    this.events.wakeWaiting(starts ? COUNT_WAITERS : TAIL_WAITERS);
  }

  /**
   * Finishes a put commit whose party was cut off past its point (a process
   * killed outright stops anywhere; caller took putLock over): from the
   * journal, the tail and stream state are stored again and the count added
   * unless its flip shows it was. A commit cut before its point changed
   * nothing anyone reads.
   */
  #rollPut(): void {
    const words = this.#words;
    const flips = words[PUT_FLIPS]!;
    if ((Atomics.load(words, UNFINISHED) & TASKS_FLIP ? 1 : 0) === (flips & 1)) return;
    Atomics.store(words, TAIL, words[PUT_TO_TAIL]!);
    if ((Atomics.load(words, COUNT) & COUNT_PUT_FLIP ? 2 : 0) === (flips & 2)) {
      Atomics.add(words, COUNT, words[PUT_TO_COUNT]! + ((flips & 2) === 0 ? COUNT_PUT_FLIP : -COUNT_PUT_FLIP));
    }
    words[PUT_STREAM] = words[PUT_TO_STREAM]!;
    words[PUT_FLIPS] = flips ^ 3;
  }

  /** The same for a get commit (caller took getLock over): its head and stream state stored again. */
  #rollGet(): void {
    const words = this.#words;
    const flips = words[GET_FLIPS]!;
    if ((Atomics.load(words, COUNT) & COUNT_GET_FLIP ? 1 : 0) === flips) return;
    Atomics.store(words, HEAD, words[GET_TO_HEAD]!);
    words[GET_STREAM] = words[GET_TO_STREAM]!;
    words[GET_FLIPS] = flips ^ 1;
  }

  /**
   * The put fast path, in plain code: delivers a whole item at once if
   * nothing needs waiting for (putLock free, a free slot, room in the ring).
   * `undefined` when delivered; `'wait'` when the caller must run {@link put}.
   */
  tryPut(item: Uint8Array, length: number, token: number, buffers: number, _key?: StoredKey): PutRefusal | 'wait' | undefined {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
    if (!tryLockSide(words, PUT_LOCK, this.#self)) return 'wait';
    try {
      // Again under putLock: after the flag is set, an immediate shutdown()
      // and a get finding the queue empty take putLock to wait for any put
      // past this check to count its item (see shutdown and get).
      if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
      this.#refresh();
      const maxsize = words[MAXSIZE]!;
      const size = frameSize(length);
      if ((maxsize > 0 && itemCount(words) >= maxsize) || size > this.#free(size)) return 'wait';
      this.#publish(this.#writeFrame(WHOLE, item, 0, length, length, token, buffers), WHOLE);
      return undefined;
    } finally {
      unlockSide(words, PUT_LOCK, this.#waiter);
    }
  }

  /**
   * The get fast path, in plain code: takes a whole item at the head if one
   * is there and getLock is free. `'wait'` when the caller must run {@link get}.
   */
  tryGet<R>(scratch: () => Uint8Array, use: (item: RawItem) => R): R | 'shutdown' | 'wait' {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) === SHUT_IMMEDIATE) return 'shutdown';
    if (itemCount(words) === 0 || !tryLockSide(words, GET_LOCK, this.#self)) return 'wait';
    try {
      this.#refresh();
      if (itemCount(words) === 0 || this.#frameKind() !== WHOLE) return 'wait';
      return this.#takeWhole(scratch, use);
    } finally {
      unlockSide(words, GET_LOCK, this.#waiter);
    }
  }

  /**
   * Puts one encoded item. Returns `undefined` when it was delivered (or,
   * for a streamed item, fully written), otherwise why not.
   */
  *put(item: Uint8Array, length: number, token: number, buffers: number, block: boolean, deadline: number, _key?: StoredKey): Procedure<PutRefusal | undefined> {
    const outcome = yield* this.#put(item, length, token, buffers, block, deadline);
    yield* this.#drainIfShut();
    return outcome;
  }

  *#put(item: Uint8Array, length: number, token: number, buffers: number, block: boolean, deadline: number): Procedure<PutRefusal | undefined> {
    const words = this.#words;
    // A non-blocking put still waits briefly for another producer's write in progress.
    const lockDeadline = block ? deadline : performance.now() + NONBLOCKING_GRACE_MS;
    let spaceSeen: number | undefined; // the event count when we last found too little room
    let checkAt = performance.now() + CHECK_MS; // when to look whether a consumer died mid-commit
    for (;;) {
      const seen = spaceSeen ?? Atomics.load(words, WAKE);
      if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
      // Wait for a free slot (maxsize), and for ring space, without holding
      // putLock: it is only held while writing.
      const maxsize = words[MAXSIZE]!;
      const full = maxsize > 0 && itemCount(words) >= maxsize;
      if (full || spaceSeen !== undefined) {
        if (!block || expired(deadline)) return 'full';
        if (performance.now() >= checkAt) {
          checkAt = performance.now() + CHECK_MS;
          if (yield* this.#repairOther(GET_LOCK)) continue;
        }
        if (spaceSeen === undefined || !(yield* this.#reclaim())) {
          yield* this.events.park(spaceSeen !== undefined ? HEAD_WAITERS : COUNT_WAITERS, seen, deadline);
        }
        spaceSeen = undefined;
        continue;
      }
      if (!(yield* this.#lockPut(lockDeadline))) return 'full';
      try {
        this.#refresh();
        if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
        if (maxsize > 0 && itemCount(words) >= maxsize) continue; // another producer took the slot
        const before = Atomics.load(words, WAKE);
        // An item that does not fit may grow the ring (up to its limit) rather than stream.
        if (frameSize(length) > this.#free()) yield* this.#grow(frameSize(length));
        const whole = frameSize(length) <= this.#capacity;
        // Room for the whole item, or for a first chunk plus a spare ABORT frame.
        const needed = whole ? frameSize(length) : frameSize(16) + FRAME_HEADER;
        if (this.#free() < needed) {
          spaceSeen = before;
          continue;
        }
        if (whole) {
          this.#publish(this.#writeFrame(WHOLE, item, 0, length, length, token, buffers), WHOLE);
          return undefined;
        }
        return yield* this.#stream(item, length, token, buffers, deadline);
      } finally {
        unlockSide(words, PUT_LOCK, this.#waiter);
      }
    }
  }

  /** Writes a streamed item frame by frame; ABORT on timeout, abort or immediate shutdown. */
  *#stream(item: Uint8Array, length: number, token: number, buffers: number, deadline: number): Procedure<PutRefusal | undefined> {
    const words = this.#words;
    let sent = 0;
    let handedOver = false;
    try {
      while (sent < length) {
        // Keep room for an ABORT frame after this one.
        let seen = Atomics.load(words, WAKE);
        let room = this.#free() - 2 * FRAME_HEADER;
        while (room < 16) {
          if (Atomics.load(words, SHUTDOWN) === SHUT_IMMEDIATE) return 'shutdown';
          if (expired(deadline)) return 'full';
          if (words[GET_STREAM] !== 0 && takeOverIfDead(words, GET_LOCK, this.#self)) {
            // The reader died midway through an item: skip what is left of it (see #reclaim).
            // If nothing is left but ours, it was reading this very item: delivered, to a
            // consumer that died — the rest of it has nobody to go to.
            this.#refresh();
            this.#rollGet();
            handedOver = !this.#skipPresent() && sent > 0;
            if (handedOver) this.#handOver();
            unlockSide(words, GET_LOCK, this.#waiter);
            if (handedOver) return undefined;
          } else {
            yield* this.events.park(HEAD_WAITERS, seen, deadline);
          }
          seen = Atomics.load(words, WAKE);
          room = this.#free() - 2 * FRAME_HEADER;
        }
        const chunk = Math.min(length - sent, room & ~15);
        const kind = sent === 0 ? FIRST : sent + chunk === length ? LAST : MORE;
        this.#publish(this.#writeFrame(kind, item, sent, chunk, length, token, buffers), kind);
        sent += chunk;
      }
      return undefined;
    } finally {
      // Gave up after the first frame (timeout, abort thrown in, shutdown): the item was not delivered.
      if (sent > 0 && sent < length && !handedOver) this.#publish(this.#writeFrame(ABORT, item, 0, 0, length, token, buffers), ABORT);
    }
  }

  /** The kind of the frame at head. */
  #frameKind(): number {
    return this.#headerView[((Atomics.load(this.#words, HEAD) & this.#mask) >> 2) + 1]! & 0xff;
  }

  /** Takes the WHOLE item at head (caller holds getLock and saw count > 0). */
  #takeWhole<R>(scratch: () => Uint8Array, use: (item: RawItem) => R): R {
    const frame = this.#frame();
    // `use` runs before the item leaves the ring: if it throws (a value this
    // thread cannot revive), the item stays at the head, untaken.
    let result: R;
    if (frame.start + frame.length <= this.#capacity) {
      result = use({ bytes: this.#data, offset: frame.start, length: frame.length, token: frame.token, buffers: frame.buffers });
    } else {
      const copy = scratch().length >= frame.length ? scratch() : new Uint8Array(frame.length);
      this.#copyOut(frame.start, frame.length, copy, 0);
      result = use({ bytes: copy, offset: 0, length: frame.length, token: frame.token, buffers: frame.buffers });
    }
    this.#advance(frame.length, WHOLE, false);
    return result;
  }

  /** Reads the frame header at head. */
  #frame(): { length: number; kind: number; itemLength: number; token: number; buffers: number; start: number } {
    const at = Atomics.load(this.#words, HEAD) & this.#mask;
    const header = at >> 2;
    const word = this.#headerView[header + 1]!;
    return {
      length: this.#headerView[header]!,
      kind: word & 0xff,
      buffers: word >>> 8,
      itemLength: this.#headerView[header + 2]!,
      token: this.#headerView[header + 3]!,
      start: (at + FRAME_HEADER) & this.#mask,
    };
  }

  #copyOut(start: number, length: number, into: Uint8Array, at: number): void {
    const first = Math.min(length, this.#capacity - start);
    into.set(this.#data.subarray(start, start + first), at);
    if (first < length) into.set(this.#data.subarray(0, length - first), at + first);
  }

  /**
   * The consumer's commit: moves head past the frame there, of `kind` and
   * `length` payload bytes. A WHOLE frame is an item taken (uncounted; with
   * `done`, also counted done — an immediate shutdown dropping it); a LAST or
   * ABORT frame ends the streamed item being read (GET_STREAM), and the
   * LAST of one being dropped counts it done. Straight-line from the first
   * change on (see {@link #publish}).
   */
  #advance(length: number, kind: number, done: boolean): void {
    const words = this.#words;
    const head = (Atomics.load(words, HEAD) + frameSize(length)) | 0;
    const ends = kind === LAST || kind === ABORT;
    if (kind === WHOLE ? done : kind === LAST && words[GET_STREAM] === DRAINING) {
      // Counted done as Python's shutdown does: only while tasks are unfinished. A
      // failed CAS changed nothing, so only a successful one leads on to the rest.
      for (let unfinished = Atomics.load(words, UNFINISHED); (unfinished & TASKS) > 0; ) {
        const seen = Atomics.compareExchange(words, UNFINISHED, unfinished, unfinished - 1);
        if (seen === unfinished) break;
        unfinished = seen;
      }
    }
    words[GET_TO_HEAD] = head;
    words[GET_TO_STREAM] = ends ? 0 : words[GET_STREAM]!;
    const flips = words[GET_FLIPS]!;
    // The commit point: the item counted out and COUNT_GET_FLIP flipped, in one add (see #rollGet).
    Atomics.add(words, COUNT, (kind === WHOLE ? -1 : 0) + (flips === 0 ? COUNT_GET_FLIP : -COUNT_GET_FLIP));
    Atomics.store(words, HEAD, head);
    if (ends) words[GET_STREAM] = 0;
    words[GET_FLIPS] = flips ^ 1;
    Atomics.add(words, WAKE, 1);
    this.events.wakeWaiting(HEAD_WAITERS, kind === WHOLE ? COUNT_WAITERS : HEAD_WAITERS);
  }

  /**
   * The commit that ends a streamed item whose reader died having read all
   * of it there was (caller holds both locks): neither side is midway
   * through an item any more. Straight-line (see {@link #publish}).
   */
  #handOver(): void {
    const words = this.#words;
    words[GET_STREAM] = 0;
    words[PUT_STREAM] = 0;
    Atomics.add(words, WAKE, 1);
  }

  /**
   * The consumer's commit that takes the streamed item at head (uncounts
   * it) before reading its frames; `mode` READING, or DRAINING for an
   * immediate shutdown. Straight-line (see {@link #publish}).
   */
  #claim(mode: number): void {
    const words = this.#words;
    words[GET_TO_HEAD] = Atomics.load(words, HEAD);
    words[GET_TO_STREAM] = mode;
    const flips = words[GET_FLIPS]!;
    Atomics.add(words, COUNT, -1 + (flips === 0 ? COUNT_GET_FLIP : -COUNT_GET_FLIP));
    words[GET_STREAM] = mode;
    words[GET_FLIPS] = flips ^ 1;
    Atomics.add(words, WAKE, 1);
    this.events.wakeWaiting(COUNT_WAITERS);
  }

  /**
   * Takes one item and hands it to `use` while its bytes are still in the
   * ring (so decoding needs no copy when the item is contiguous). Returns
   * `use`'s result, or why nothing was taken.
   */
  *get<R>(block: boolean, deadline: number, scratch: () => Uint8Array, use: (item: RawItem) => R): Procedure<R | GetRefusal> {
    const taken = yield* this.#get(block, deadline, scratch, use);
    yield* this.#drainIfShut();
    return taken;
  }

  *#get<R>(block: boolean, deadline: number, scratch: () => Uint8Array, use: (item: RawItem) => R): Procedure<R | GetRefusal> {
    const words = this.#words;
    let checkAt = performance.now() + CHECK_MS; // when to look whether a producer died mid-commit
    for (;;) {
      // Wait for an item without holding getLock, so a producer that needs
      // getLock (to grow the ring) never waits on a consumer that waits on it.
      for (let seen = Atomics.load(words, WAKE); itemCount(words) === 0; seen = Atomics.load(words, WAKE)) {
        const state = Atomics.load(words, SHUTDOWN);
        if (state === SHUT_IMMEDIATE) return 'shutdown';
        if (state !== OPEN) {
          // "Shut down and empty" is final only when no put is still writing
          // an item: one that found the queue open holds putLock until its
          // item is counted, and every later put sees the flag under putLock.
          const lockDeadline = block ? deadline : performance.now() + NONBLOCKING_GRACE_MS;
          if (!(yield* this.#lockPut(lockDeadline))) return 'empty';
          unlockSide(words, PUT_LOCK, this.#waiter);
          if (itemCount(words) === 0) return 'shutdown';
          continue;
        }
        if (!block || expired(deadline)) return 'empty';
        if (performance.now() >= checkAt) {
          checkAt = performance.now() + CHECK_MS;
          if (yield* this.#repairOther(PUT_LOCK)) continue;
        }
        yield* this.events.park(COUNT_WAITERS, seen, deadline);
      }
      if (Atomics.load(words, SHUTDOWN) === SHUT_IMMEDIATE) return 'shutdown';
      // A non-blocking get still waits briefly for another consumer's read in progress.
      if (!(yield* this.#lockGet(block ? deadline : performance.now() + NONBLOCKING_GRACE_MS))) return 'empty';
      try {
        this.#refresh();
        if (itemCount(words) === 0) continue; // another consumer took it first
        const taken = yield* this.#takeLocked(scratch, use);
        if (taken !== ABORTED) return taken;
      } finally {
        unlockSide(words, GET_LOCK, this.#waiter);
      }
    }
  }

  /** Takes the item at head (caller holds getLock, count > 0); ABORTED if its producer gave up on it. */
  *#takeLocked<R>(scratch: () => Uint8Array, use: (item: RawItem) => R): Procedure<R | typeof ABORTED> {
    if (this.#frameKind() === WHOLE) return this.#takeWhole(scratch, use);
    const frame = this.#frame();
    this.#claim(READING);
    const assembled = yield* this.#assemble(frame.itemLength, true);
    if (assembled === undefined) return ABORTED;
    return use({ bytes: assembled, offset: 0, length: frame.itemLength, token: frame.token, buffers: frame.buffers });
  }

  /**
   * Reads the frames of the streamed item taken by {@link #claim} as they
   * arrive, from its FIRST frame or wherever a dead reader left it, up to its
   * LAST; `undefined` if it was aborted. With `keep` false the bytes are
   * only skipped. Not interruptible: the producer is committed to finish or
   * abort the item, so this waits for it whatever the caller's deadline.
   */
  *#assemble(itemLength: number, keep: boolean): Procedure<Uint8Array | undefined> {
    const words = this.#words;
    const out = keep ? new Uint8Array(itemLength) : NOTHING;
    let received = 0;
    for (;;) {
      yield* this.#awaitFrame();
      const frame = this.#frame();
      if (frame.kind === ABORT) {
        this.#advance(0, ABORT, false);
        return undefined;
      }
      if (keep) this.#copyOut(frame.start, frame.length, out, received);
      received += frame.length;
      this.#advance(frame.length, frame.kind, false);
      if (frame.kind === LAST) return out;
    }
  }

  /** Waits until a frame of the streamed item being read is at head (caller holds getLock). */
  *#awaitFrame(): Procedure<void> {
    const words = this.#words;
    for (let seen = Atomics.load(words, WAKE); Atomics.load(words, TAIL) === Atomics.load(words, HEAD); seen = Atomics.load(words, WAKE)) {
      // Its producer may have died mid-stream, owing the ABORT frame: write it in its stead.
      if (words[PUT_STREAM] !== 0 && takeOverIfDead(words, PUT_LOCK, this.#self)) {
        this.#recoverPut();
        unlockSide(words, PUT_LOCK, this.#waiter);
        continue;
      }
      yield* this.events.park(TAIL_WAITERS, seen, FOREVER, false);
    }
  }

  /**
   * Shuts the queue down; with `immediate`, also drops every item in it
   * (each counting as done). Wakes every parked party so it sees the state.
   */
  *shutdown(immediate: boolean): Procedure<void> {
    const words = this.#words;
    this.events.markShutdown(immediate);
    if (!immediate) return;
    // A put that found the queue open before the flag was set holds putLock
    // until its item is counted: wait for it, so the drain below drops that
    // item too instead of leaving it where no get may take it (and join()
    // waiting for it forever). A streaming put parked with putLock held was
    // just woken and aborts on the immediate shutdown. If that put is this
    // thread's own (an un-awaited async put), it cannot go on while we wait
    // here: it drains what is left when it ends instead.
    if (!heldBy(words, PUT_LOCK, this.#self)) {
      yield* this.#lockPut(FOREVER);
      unlockSide(words, PUT_LOCK, this.#waiter);
    }
    yield* this.#drain();
  }

  /** After an immediate shutdown, drops what a put or get of this thread's own kept the shutdown from dropping. */
  *#drainIfShut(): Procedure<void> {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) === SHUT_IMMEDIATE && itemCount(words) > 0) yield* this.#drain();
  }

  /**
   * Drops every item in the ring, each counted done (an immediate shutdown).
   * Leaves what this thread's own async put or get in flight holds up: it
   * cannot go on while this waits, so it drains when it ends.
   */
  *#drain(): Procedure<void> {
    const words = this.#words;
    if (heldBy(words, GET_LOCK, this.#self)) return;
    yield* this.#lockGet(FOREVER);
    try {
      this.#refresh();
      while (itemCount(words) > 0) {
        const frame = this.#frame();
        if (frame.kind === WHOLE) {
          this.#advance(frame.length, WHOLE, true);
          continue;
        }
        if (heldBy(words, PUT_LOCK, this.#self)) break; // possibly this very stream, still being written by our own put
        this.#claim(DRAINING);
        yield* this.#assemble(0, false); // counted done at its LAST; an aborted one was undone by its producer
      }
    } finally {
      unlockSide(words, GET_LOCK, this.#waiter);
    }
    this.events.wakeAll();
  }
}
