/**
 * The store under LifoQueue and PriorityQueue: encoded items in a shared
 * arena, and an index of entries kept as a stack (LIFO) or a binary min-heap
 * on (key, sequence) (priority; FIFO among equal keys). A key that is not a
 * number (priority-key.ts) is kept encoded in the item's block, after the
 * item; the entry holds its primary number, and ties between primaries are
 * decoded and compared in full.
 *
 * ```
 *  header words: the queue layout (layout.ts) — PUT_LOCK is the store's one
 *  lock, COUNT / MAXSIZE / UNFINISHED / SHUTDOWN / WAKE as for the ring, and
 *  HEAD_WAITERS counts putters waiting for arena room — then:
 *   [ORDER]     LIFO | PRIORITY
 *   [TOP]       arena bump pointer
 *   [ENTRIES]   index capacity, in entries
 *   [SEQ]       next sequence number
 *   [FREE + k]  free list of blocks of 2^(k+4) bytes (offset + 1; 0 = empty)
 *   [PENDING]   offset + 1 of the block a put has taken and not yet committed (0: none)
 *   [PENDING_LENGTH] its item's length
 *   [PENDING_COUNT]  the count that put's commit stores
 *   [FLIPPED]   UNFINISHED's TASKS_FLIP bit as the last completed put commit left it (0 | 1)
 *   [SWAP_A], [SWAP_B]  slot + 1 of two entries being swapped (0: none), and at
 *               [SWAP_LOG] (8-byte aligned) both entries as they were before: 12 float64
 *  arena: blocks of 2^(k+4) bytes (an item, then its encoded key if any); a
 *         free block's first word links the next
 *  index: entries of 6 float64 — key (or primary), seq, offset, length, token,
 *         buffers + keyLength * KEY_UNIT (keyLength 0: the key is the first field)
 * ```
 *
 * Everything is read and written under the one lock; waits for an item or
 * for room happen outside it, as in the ring. Both buffers grow (in place:
 * growable SharedArrayBuffers) up to the limits; a put needing more than the
 * arena's limit fails with a RangeError naming the sizes.
 *
 * The lock names its holder (side-lock.ts); a party that takes it over from
 * a dead holder repairs the store. That works because the holder only ever
 * leaves one of these behind: a block taken for a put not yet committed
 * (PENDING says which, set in the same straight-line run as the taking);
 * an entry for that put, somewhere in slots [0, count] of the index; and a
 * heap whose order a sift was midway through changing — but every swap is
 * straight-line, so the slots always hold whole entries. Repair drops the
 * uncommitted entry and block and rebuilds the heap. Counting an item in
 * or out, with its block, is one straight-line commit.
 *
 * A process killed outright (SIGKILL, processes scope) stops anywhere, even
 * between two stores of straight-line code, so there the commits are built
 * to be cut anywhere: a put's commit point is the one atomic add that
 * counts its task and flips TASKS_FLIP in UNFINISHED — repair compares the
 * bit with FLIPPED to tell a put that passed it (finished for it: COUNT set,
 * PENDING cleared) from one that did not (dropped, as above); a take's
 * commit point is the store of the smaller COUNT, and its block goes back to
 * the free list only after it (cut between: the block is leaked, never
 * handed out twice); a block leaves PENDING before it joins a free list; and
 * in the processes scope every swap logs both entries first (SWAP_*), so
 * repair can put back a swap cut halfway.
 */

import { expired, FOREVER } from '../memory/deadline.js';
import type { Procedure } from '../memory/steps.js';
import type { Waiter } from '../memory/waiter.js';
import { QueueEvents } from './events.js';
import { CHECK_MS, lockSide, SELF, takeOverIfDead, tryLockSide, unlockSide, type SideOwner } from './side-lock.js';
import {
  CAPACITY, COUNT, COUNT_WAITERS, HEAD_WAITERS, HEADER_WORDS, MAX_CAPACITY, MAXSIZE, OPEN, PUT_LOCK, SHUT_IMMEDIATE,
  SHUTDOWN, TASKS, TASKS_FLIP, UNFINISHED, WAKE,
} from './layout.js';
import type { GetRefusal, PutRefusal, RawItem } from './ring.js';
import { compareKeys, primaryOf, readKey, type PriorityKey, type StoredKey } from './priority-key.js';

export const ORDER = HEADER_WORDS;
export const TOP = HEADER_WORDS + 1;
export const ENTRIES = HEADER_WORDS + 2;
export const SEQ = HEADER_WORDS + 3;
export const FREE = HEADER_WORDS + 4;
const CLASSES = 28;
export const PENDING = FREE + CLASSES;
const PENDING_LENGTH = PENDING + 1;
const PENDING_COUNT = PENDING + 2;
const FLIPPED = PENDING + 3;
const SWAP_A = PENDING + 4;
const SWAP_B = PENDING + 5;
/** 12 float64 (24 words) at an even word index, so its bytes are 8-byte aligned. */
const SWAP_LOG = (SWAP_B + 2) & ~1;
export const ORDERED_WORDS = SWAP_LOG + 24;
export const LIFO = 1;
export const PRIORITY = 2;
const FIELDS = 6;
/** The last field holds the item's buffer count plus its encoded key's length in these units. */
const KEY_UNIT = 2 ** 24;
export const MAX_ENTRIES = 1 << 22;
export const ENTRY_BYTES = FIELDS * 8;
export const INITIAL_ENTRIES = 64;

/**
 * @internal A test's hook into the lock's critical sections: called, holding
 * the lock, once a put has taken its block and placed its entry but not
 * committed (`'put'`), and once a take has picked its entry but not removed
 * it (`'take'`), so a test can stop a thread there and kill it.
 */
export const storeSteps: { hook: ((step: 'put' | 'take') => void) | undefined } = { hook: undefined };

function sizeClass(length: number): number {
  return Math.max(0, 32 - Math.clz32(Math.max(16, length) - 1) - 4);
}

export class OrderedStore {
  readonly #words: Int32Array;
  readonly #arena: SharedArrayBuffer;
  readonly #index: SharedArrayBuffer;
  readonly #waiter: Waiter;
  /** Who this handle is in the lock word (side-lock.ts). */
  readonly #self: SideOwner;
  /** Waiting, waking, tasks and join: shared with the ring. */
  readonly events: QueueEvents;
  #bytes: Uint8Array;
  #links: Int32Array;
  #entries: Float64Array;
  /** The SWAP_LOG words as float64; undefined where swaps need no log (threads: a dying thread stops between statements). */
  readonly #swapLog: Float64Array | undefined;

  constructor(words: Int32Array, arena: SharedArrayBuffer, index: SharedArrayBuffer, waiter: Waiter, self: SideOwner = SELF, killable = false) {
    this.#words = words;
    this.#swapLog = killable ? new Float64Array(words.buffer, words.byteOffset + SWAP_LOG * 4, 12) : undefined;
    this.#self = self;
    this.#arena = arena;
    this.#index = index;
    this.#waiter = waiter;
    this.events = new QueueEvents(words, waiter);
    this.#bytes = new Uint8Array(0);
    this.#links = new Int32Array(0);
    this.#entries = new Float64Array(0);
    this.#refresh();
  }

  get capacity(): number {
    return this.#words[MAX_CAPACITY]!;
  }

  /** Fixed-length views of the current sizes (see ring.ts on length-tracking views). */
  #refresh(): void {
    const capacity = this.#words[CAPACITY]!;
    if (this.#bytes.length !== capacity) {
      this.#bytes = new Uint8Array(this.#arena, 0, capacity);
      this.#links = new Int32Array(this.#arena, 0, capacity >> 2);
    }
    const entries = this.#words[ENTRIES]! * FIELDS;
    if (this.#entries.length !== entries) this.#entries = new Float64Array(this.#index, 0, entries);
  }

  /**
   * A block of at least `length` bytes, recorded as PENDING until the put
   * commits; -1 if the arena is at its limit (caller holds the lock).
   */
  #allocate(length: number): number {
    const words = this.#words;
    const k = sizeClass(length);
    words[PENDING_LENGTH] = length;
    const head = words[FREE + k]!;
    if (head !== 0) {
      const next = this.#links[(head - 1) >> 2]!;
      // Straight-line: taken and recorded together (see side-lock.ts).
      words[FREE + k] = next;
      words[PENDING] = head;
      return head - 1;
    }
    const size = 1 << (k + 4);
    const top = words[TOP]!;
    let capacity = words[CAPACITY]!;
    if (top + size > capacity) {
      while (top + size > capacity && capacity < words[MAX_CAPACITY]!) capacity *= 2;
      if (top + size > capacity) return -1;
      // A holder that died before storing CAPACITY may have grown the arena already.
      if (capacity > this.#arena.byteLength) this.#arena.grow(capacity);
      words[CAPACITY] = capacity;
      this.#refresh();
    }
    words[TOP] = top + size;
    words[PENDING] = top + 1;
    return top;
  }

  /** Gives the PENDING block back (a put that did not commit). Out of PENDING first: cut between, it is leaked, not freed twice. */
  #unpend(): void {
    const words = this.#words;
    const offset = words[PENDING]! - 1;
    const k = sizeClass(words[PENDING_LENGTH]!);
    const links = this.#links;
    Atomics.store(words, PENDING, 0);
    links[offset >> 2] = words[FREE + k]!;
    words[FREE + k] = offset + 1;
  }

  #less(a: number, b: number): boolean {
    const e = this.#entries;
    const ka = e[a * FIELDS]!;
    const kb = e[b * FIELDS]!;
    if (ka !== kb) return ka < kb;
    if (e[a * FIELDS + 5]! < KEY_UNIT && e[b * FIELDS + 5]! < KEY_UNIT) return e[a * FIELDS + 1]! < e[b * FIELDS + 1]!;
    return this.#lessByKey(a, b);
  }

  /** {@link #less} for entries whose primaries tie and one of which has an encoded key. */
  #lessByKey(a: number, b: number): boolean {
    const order = compareKeys(this.#keyAt(a), this.#keyAt(b));
    return order !== 0 ? order < 0 : this.#entries[a * FIELDS + 1]! < this.#entries[b * FIELDS + 1]!;
  }

  /** The key of the entry in `slot`, decoded if it is not a number. */
  #keyAt(slot: number): PriorityKey {
    const e = this.#entries;
    const keyLength = Math.floor(e[slot * FIELDS + 5]! / KEY_UNIT);
    if (keyLength === 0) return e[slot * FIELDS]!;
    return readKey(this.#bytes, e[slot * FIELDS + 2]! + e[slot * FIELDS + 3]!, keyLength);
  }

  /** Swaps two entries. Unrolled, so straight-line: a dying holder leaves whole entries (see side-lock.ts). */
  #swap(a: number, b: number): void {
    const e = this.#entries;
    const i = a * FIELDS;
    const j = b * FIELDS;
    const f0 = e[i]!, f1 = e[i + 1]!, f2 = e[i + 2]!, f3 = e[i + 3]!, f4 = e[i + 4]!, f5 = e[i + 5]!;
    const log = this.#swapLog;
    if (log !== undefined) {
      // Both entries as they were, then the slots: a process cut anywhere below leaves what repair needs.
      log[0] = f0; log[1] = f1; log[2] = f2; log[3] = f3; log[4] = f4; log[5] = f5;
      log[6] = e[j]!; log[7] = e[j + 1]!; log[8] = e[j + 2]!; log[9] = e[j + 3]!; log[10] = e[j + 4]!; log[11] = e[j + 5]!;
      this.#words[SWAP_B] = b + 1;
      Atomics.store(this.#words, SWAP_A, a + 1);
    }
    e[i] = e[j]!; e[i + 1] = e[j + 1]!; e[i + 2] = e[j + 2]!; e[i + 3] = e[j + 3]!; e[i + 4] = e[j + 4]!; e[i + 5] = e[j + 5]!;
    e[j] = f0; e[j + 1] = f1; e[j + 2] = f2; e[j + 3] = f3; e[j + 4] = f4; e[j + 5] = f5;
    if (log !== undefined) Atomics.store(this.#words, SWAP_A, 0);
  }

  /** Puts back the two entries of a swap its process was cut in the middle of (SWAP_A set). */
  #unswap(): void {
    const words = this.#words;
    const log = this.#swapLog;
    if (log === undefined || words[SWAP_A] === 0) return;
    const e = this.#entries;
    const i = (words[SWAP_A]! - 1) * FIELDS;
    const j = (words[SWAP_B]! - 1) * FIELDS;
    for (let f = 0; f < FIELDS; f++) {
      e[i + f] = log[f]!;
      e[j + f] = log[FIELDS + f]!;
    }
    Atomics.store(words, SWAP_A, 0);
  }

  #push(key: number, offset: number, length: number, token: number, buffers: number, keyLength: number): boolean {
    const words = this.#words;
    const n = Atomics.load(words, COUNT);
    if (n >= words[ENTRIES]!) {
      if (n >= MAX_ENTRIES) return false;
      const entries = words[ENTRIES]! * 2;
      if (entries * FIELDS * 8 > this.#index.byteLength) this.#index.grow(entries * FIELDS * 8);
      words[ENTRIES] = entries;
      this.#refresh();
    }
    const e = this.#entries;
    const at = n * FIELDS;
    e[at] = key;
    e[at + 1] = words[SEQ]!++;
    e[at + 2] = offset;
    e[at + 3] = length;
    e[at + 4] = token;
    e[at + 5] = buffers + keyLength * KEY_UNIT;
    if (words[ORDER] === PRIORITY) this.#siftUp(n);
    return true;
  }

  #siftUp(slot: number): void {
    for (let i = slot; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Restores the heap order below slot `i` of the first `size` entries. */
  #siftDown(i: number, size: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < size && this.#less(left, least)) least = left;
      if (right < size && this.#less(right, least)) least = right;
      if (least === i) return;
      this.#swap(i, least);
      i = least;
    }
  }

  /** Moves the next entry (top of stack / heap minimum) to slot `count - 1` and returns that slot. */
  #next(n: number): number {
    if (this.#words[ORDER] !== PRIORITY) return n - 1;
    this.#swap(0, n - 1);
    this.#siftDown(0, n - 1);
    return n - 1;
  }

  /**
   * The commit that counts the item in slot `count - 1` out and frees its
   * block (a take, or a drop by an immediate shutdown, which with `done`
   * also counts it done as Python does: while tasks are unfinished).
   * Straight-line from the first change on (see side-lock.ts).
   */
  #remove(slot: number, done: boolean): void {
    const words = this.#words;
    const e = this.#entries;
    const offset = e[slot * FIELDS + 2]!;
    const k = sizeClass(e[slot * FIELDS + 3]! + Math.floor(e[slot * FIELDS + 5]! / KEY_UNIT));
    const links = this.#links;
    if (done) {
      // A failed CAS changed nothing, so only a successful one leads on to the rest.
      for (let unfinished = Atomics.load(words, UNFINISHED); (unfinished & TASKS) > 0; ) {
        const seen = Atomics.compareExchange(words, UNFINISHED, unfinished, unfinished - 1);
        if (seen === unfinished) break;
        unfinished = seen;
      }
    }
    // The commit point: counted out. The block is freed after it (cut between: leaked, not handed out twice).
    Atomics.store(words, COUNT, slot);
    links[offset >> 2] = words[FREE + k]!;
    words[FREE + k] = offset + 1;
    Atomics.add(words, WAKE, 1);
  }

  /** Takes the lock, repairing what a dead holder left; false if `deadline` passed first. */
  *#lock(deadline: number): Procedure<boolean> {
    const got = yield* lockSide(this.#words, PUT_LOCK, deadline, this.#self);
    if (got === 'recovered') this.#recover();
    return got !== false;
  }

  /**
   * Repairs the store after the lock's holder died (the caller took the lock
   * over): drops the entry and block of a put it had not committed, and
   * rebuilds the heap a sift may have left out of order.
   */
  #recover(): void {
    const words = this.#words;
    this.#refresh();
    this.#unswap();
    const flipped = (Atomics.load(words, UNFINISHED) & TASKS_FLIP) !== 0 ? 1 : 0;
    if (words[PENDING] !== 0 && flipped !== words[FLIPPED]) {
      // A put cut after its commit point (its task counted): finish it.
      Atomics.store(words, COUNT, words[PENDING_COUNT]!);
      Atomics.store(words, PENDING, 0);
    }
    words[FLIPPED] = flipped;
    const n = Atomics.load(words, COUNT);
    if (words[PENDING] !== 0) {
      const offset = words[PENDING]! - 1;
      const e = this.#entries;
      let slot = 0;
      while (slot < n && e[slot * FIELDS + 2] !== offset) slot++;
      // Sifted up into the counted slots: the entry it displaced last is in slot n.
      if (slot < n) this.#swap(slot, n);
      this.#unpend();
    }
    if (words[ORDER] === PRIORITY) for (let i = (n >> 1) - 1; i >= 0; i--) this.#siftDown(i, n);
    this.events.wakeAll();
  }

  /** Non-blocking attempt; 'wait' when it must wait (lock taken, full, or no room). */
  #attempt(item: Uint8Array, length: number, token: number, buffers: number, key: StoredKey): PutRefusal | 'wait' | 'room' | undefined {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
    this.#refresh();
    const maxsize = words[MAXSIZE]!;
    if (maxsize > 0 && Atomics.load(words, COUNT) >= maxsize) return 'wait';
    const numeric = typeof key === 'number';
    const keyLength = numeric ? 0 : key.length;
    const offset = this.#allocate(length + keyLength);
    if (offset < 0) return 'room';
    // The bytes first: the heap's comparisons may read the key.
    this.#bytes.set(item.subarray(0, length), offset);
    if (!numeric) this.#bytes.set(key, offset + length);
    if (!this.#push(numeric ? key : primaryOf(key), offset, length, token, buffers, keyLength)) {
      this.#unpend();
      return 'room';
    }
    storeSteps.hook?.('put');
    // The commit: straight-line (see side-lock.ts), and cut anywhere repairable (see the top):
    // the add that counts the task and flips TASKS_FLIP is its point.
    const count = Atomics.load(words, COUNT) + 1;
    words[PENDING_COUNT] = count;
    const flipped = words[FLIPPED]!;
    Atomics.add(words, UNFINISHED, flipped === 0 ? 1 + TASKS_FLIP : 1 - TASKS_FLIP);
    Atomics.store(words, COUNT, count);
    Atomics.store(words, PENDING, 0);
    words[FLIPPED] = flipped ^ 1;
    Atomics.add(words, WAKE, 1);
    this.events.wakeWaiting(COUNT_WAITERS);
    return undefined;
  }

  *put(item: Uint8Array, length: number, token: number, buffers: number, block: boolean, deadline: number, key: StoredKey = 0): Procedure<PutRefusal | undefined> {
    const words = this.#words;
    for (;;) {
      const seen = Atomics.load(words, WAKE);
      if (!(yield* this.#lock(block ? deadline : performance.now() + 5))) return 'full';
      let outcome: PutRefusal | 'wait' | 'room' | undefined;
      try {
        outcome = this.#attempt(item, length, token, buffers, key);
      } finally {
        unlockSide(words, PUT_LOCK, this.#waiter);
      }
      if (outcome !== 'wait' && outcome !== 'room') return outcome;
      if (!block || expired(deadline)) return 'full';
      yield* this.events.park(outcome === 'wait' ? COUNT_WAITERS : HEAD_WAITERS, seen, deadline);
    }
  }

  /** Takes the next item (caller holds the lock and saw count > 0). */
  #take<R>(use: (item: RawItem) => R): R {
    const words = this.#words;
    const slot = this.#next(Atomics.load(words, COUNT));
    storeSteps.hook?.('take');
    const e = this.#entries;
    const at = slot * FIELDS;
    const offset = e[at + 2]!;
    const length = e[at + 3]!;
    // `use` first: if it throws, restore the order and leave the item in place.
    let result: R;
    try {
      result = use({ bytes: this.#bytes, offset, length, token: e[at + 4]!, buffers: e[at + 5]! % KEY_UNIT });
    } catch (error) {
      if (words[ORDER] === PRIORITY) this.#siftUp(slot);
      throw error;
    }
    this.#remove(slot, false);
    this.events.wakeWaiting(COUNT_WAITERS, HEAD_WAITERS);
    return result;
  }

  *get<R>(block: boolean, deadline: number, _scratch: () => Uint8Array, use: (item: RawItem) => R): Procedure<R | GetRefusal> {
    const words = this.#words;
    let checkAt = performance.now() + CHECK_MS; // when to look whether a put was cut off past its commit point
    for (;;) {
      const seen = Atomics.load(words, WAKE);
      const state = Atomics.load(words, SHUTDOWN);
      if (state === SHUT_IMMEDIATE) return 'shutdown';
      if (Atomics.load(words, COUNT) === 0) {
        // Every put checks the shutdown flag under the lock, so once shut down and empty here, it stays so.
        if (state !== OPEN) {
          if (!(yield* this.#lock(block ? deadline : performance.now() + 5))) return 'empty';
          const empty = Atomics.load(words, COUNT) === 0;
          unlockSide(words, PUT_LOCK, this.#waiter);
          if (empty) return 'shutdown';
          continue;
        }
        if (!block || expired(deadline)) return 'empty';
        if (performance.now() >= checkAt) {
          checkAt = performance.now() + CHECK_MS;
          // Its holder killed past a put's commit point: the item is not counted until somebody repairs.
          if (takeOverIfDead(words, PUT_LOCK, this.#self)) {
            this.#recover();
            unlockSide(words, PUT_LOCK, this.#waiter);
            continue;
          }
        }
        yield* this.events.park(COUNT_WAITERS, seen, deadline);
        continue;
      }
      if (!(yield* this.#lock(block ? deadline : performance.now() + 5))) return 'empty';
      try {
        this.#refresh();
        if (Atomics.load(words, COUNT) === 0) continue;
        return this.#take(use);
      } finally {
        unlockSide(words, PUT_LOCK, this.#waiter);
      }
    }
  }

  /** The put fast path: delivers at once if the lock is free and there is room; otherwise 'wait'. */
  tryPut(item: Uint8Array, length: number, token: number, buffers: number, key: StoredKey = 0): PutRefusal | 'wait' | undefined {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
    if (!tryLockSide(words, PUT_LOCK, this.#self)) return 'wait';
    try {
      const outcome = this.#attempt(item, length, token, buffers, key);
      return outcome === 'room' ? 'wait' : outcome;
    } finally {
      unlockSide(words, PUT_LOCK, this.#waiter);
    }
  }

  /** The get fast path: takes the next item if one is there and the lock is free; otherwise 'wait'. */
  tryGet<R>(_scratch: () => Uint8Array, use: (item: RawItem) => R): R | 'shutdown' | 'wait' {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) === SHUT_IMMEDIATE) return 'shutdown';
    if (Atomics.load(words, COUNT) === 0 || !tryLockSide(words, PUT_LOCK, this.#self)) return 'wait';
    try {
      this.#refresh();
      if (Atomics.load(words, COUNT) === 0) return 'wait';
      return this.#take(use);
    } finally {
      unlockSide(words, PUT_LOCK, this.#waiter);
    }
  }

  *shutdown(immediate: boolean): Procedure<void> {
    const words = this.#words;
    this.events.markShutdown(immediate);
    if (!immediate) return;
    yield* this.#lock(FOREVER);
    try {
      this.#refresh();
      for (let n = Atomics.load(words, COUNT); n > 0; n = Atomics.load(words, COUNT)) this.#remove(this.#next(n), true);
    } finally {
      unlockSide(words, PUT_LOCK, this.#waiter);
    }
    this.events.wakeAll();
  }
}
