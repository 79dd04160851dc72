/**
 * The store under LifoQueue and PriorityQueue: encoded items in a shared
 * arena, and an index of entries kept as a stack (LIFO) or a binary min-heap
 * on (key, sequence) (priority; FIFO among equal keys).
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
 *  arena: blocks of 2^(k+4) bytes; a free block's first word links the next
 *  index: entries of 6 float64 — key, seq, offset, length, token, buffers
 * ```
 *
 * Everything is read and written under the one lock; waits for an item or
 * for room happen outside it, as in the ring. Both buffers grow (in place:
 * growable SharedArrayBuffers) up to the limits; a put needing more than the
 * arena's limit fails with a RangeError naming the sizes.
 */

import { expired, FOREVER } from '../memory/deadline.js';
import { lockSteps, type Procedure } from '../memory/steps.js';
import type { Waiter } from '../memory/waiter.js';
import { QueueEvents } from './events.js';
import { tryLock, unlock } from '../sync/mutex-word.js';
import {
  CAPACITY, COUNT, COUNT_WAITERS, HEAD_WAITERS, HEADER_WORDS, MAX_CAPACITY, MAXSIZE, OPEN, PUT_LOCK, SHUT_IMMEDIATE,
  SHUTDOWN, UNFINISHED, WAKE,
} from './layout.js';
import type { GetRefusal, PutRefusal, RawItem } from './ring.js';

export const ORDER = HEADER_WORDS;
export const TOP = HEADER_WORDS + 1;
export const ENTRIES = HEADER_WORDS + 2;
export const SEQ = HEADER_WORDS + 3;
export const FREE = HEADER_WORDS + 4;
const CLASSES = 28;
export const ORDERED_WORDS = FREE + CLASSES;
export const LIFO = 1;
export const PRIORITY = 2;
const FIELDS = 6;
export const MAX_ENTRIES = 1 << 22;
export const ENTRY_BYTES = FIELDS * 8;
export const INITIAL_ENTRIES = 64;

function sizeClass(length: number): number {
  return Math.max(0, 32 - Math.clz32(Math.max(16, length) - 1) - 4);
}

export class OrderedStore {
  readonly #words: Int32Array;
  readonly #arena: SharedArrayBuffer;
  readonly #index: SharedArrayBuffer;
  readonly #waiter: Waiter;
  /** Waiting, waking, tasks and join: shared with the ring. */
  readonly events: QueueEvents;
  #bytes: Uint8Array;
  #links: Int32Array;
  #entries: Float64Array;

  constructor(words: Int32Array, arena: SharedArrayBuffer, index: SharedArrayBuffer, waiter: Waiter) {
    this.#words = words;
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

  /** A block of at least `length` bytes, or -1 if the arena is at its limit (caller holds the lock). */
  #allocate(length: number): number {
    const words = this.#words;
    const k = sizeClass(length);
    const head = words[FREE + k]!;
    if (head !== 0) {
      words[FREE + k] = this.#links[(head - 1) >> 2]!;
      return head - 1;
    }
    const size = 1 << (k + 4);
    const top = words[TOP]!;
    let capacity = words[CAPACITY]!;
    if (top + size > capacity) {
      while (top + size > capacity && capacity < words[MAX_CAPACITY]!) capacity *= 2;
      if (top + size > capacity) return -1;
      this.#arena.grow(capacity);
      words[CAPACITY] = capacity;
      this.#refresh();
    }
    words[TOP] = top + size;
    return top;
  }

  #free(offset: number, length: number): void {
    const words = this.#words;
    const k = sizeClass(length);
    this.#links[offset >> 2] = words[FREE + k]!;
    words[FREE + k] = offset + 1;
  }

  #less(a: number, b: number): boolean {
    const e = this.#entries;
    const ka = e[a * FIELDS]!;
    const kb = e[b * FIELDS]!;
    return ka < kb || (ka === kb && e[a * FIELDS + 1]! < e[b * FIELDS + 1]!);
  }

  #swap(a: number, b: number): void {
    const e = this.#entries;
    for (let f = 0; f < FIELDS; f++) {
      const t = e[a * FIELDS + f]!;
      e[a * FIELDS + f] = e[b * FIELDS + f]!;
      e[b * FIELDS + f] = t;
    }
  }

  #push(key: number, offset: number, length: number, token: number, buffers: number): boolean {
    const words = this.#words;
    const n = Atomics.load(words, COUNT);
    if (n >= words[ENTRIES]!) {
      if (n >= MAX_ENTRIES) return false;
      const entries = words[ENTRIES]! * 2;
      this.#index.grow(entries * FIELDS * 8);
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
    e[at + 5] = buffers;
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

  /** Moves the next entry (top of stack / heap minimum) to slot `count - 1` and returns that slot. */
  #next(n: number): number {
    if (this.#words[ORDER] !== PRIORITY) return n - 1;
    this.#swap(0, n - 1);
    const size = n - 1;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < size && this.#less(left, least)) least = left;
      if (right < size && this.#less(right, least)) least = right;
      if (least === i) break;
      this.#swap(i, least);
      i = least;
    }
    return n - 1;
  }

  /** Non-blocking attempt; 'wait' when it must wait (lock taken, full, or no room). */
  #attempt(item: Uint8Array, length: number, token: number, buffers: number, key: number): PutRefusal | 'wait' | 'room' | undefined {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
    this.#refresh();
    const maxsize = words[MAXSIZE]!;
    if (maxsize > 0 && Atomics.load(words, COUNT) >= maxsize) return 'wait';
    const offset = this.#allocate(length);
    if (offset < 0) return 'room';
    if (!this.#push(key, offset, length, token, buffers)) {
      this.#free(offset, length);
      return 'room';
    }
    this.#bytes.set(item.subarray(0, length), offset);
    Atomics.add(words, UNFINISHED, 1);
    Atomics.add(words, COUNT, 1);
    this.events.signal(COUNT_WAITERS);
    return undefined;
  }

  *put(item: Uint8Array, length: number, token: number, buffers: number, block: boolean, deadline: number, key = 0): Procedure<PutRefusal | undefined> {
    const words = this.#words;
    for (;;) {
      const seen = Atomics.load(words, WAKE);
      if (!(yield* lockSteps(words, PUT_LOCK, block ? deadline : performance.now() + 5))) return 'full';
      let outcome: PutRefusal | 'wait' | 'room' | undefined;
      try {
        outcome = this.#attempt(item, length, token, buffers, key);
      } finally {
        unlock(words, PUT_LOCK, this.#waiter);
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
    const e = this.#entries;
    const at = slot * FIELDS;
    const offset = e[at + 2]!;
    const length = e[at + 3]!;
    // `use` first: if it throws, restore the order and leave the item in place.
    let result: R;
    try {
      result = use({ bytes: this.#bytes, offset, length, token: e[at + 4]!, buffers: e[at + 5]! });
    } catch (error) {
      if (words[ORDER] === PRIORITY) this.#siftUp(slot);
      throw error;
    }
    this.#free(offset, length);
    Atomics.sub(words, COUNT, 1);
    this.events.signal(COUNT_WAITERS);
    this.events.signal(HEAD_WAITERS);
    return result;
  }

  *get<R>(block: boolean, deadline: number, _scratch: () => Uint8Array, use: (item: RawItem) => R): Procedure<R | GetRefusal> {
    const words = this.#words;
    for (;;) {
      const seen = Atomics.load(words, WAKE);
      const state = Atomics.load(words, SHUTDOWN);
      if (state === SHUT_IMMEDIATE) return 'shutdown';
      if (Atomics.load(words, COUNT) === 0) {
        // Every put checks the shutdown flag under the lock, so once shut down and empty here, it stays so.
        if (state !== OPEN) {
          if (!(yield* lockSteps(words, PUT_LOCK, block ? deadline : performance.now() + 5))) return 'empty';
          const empty = Atomics.load(words, COUNT) === 0;
          unlock(words, PUT_LOCK, this.#waiter);
          if (empty) return 'shutdown';
          continue;
        }
        if (!block || expired(deadline)) return 'empty';
        yield* this.events.park(COUNT_WAITERS, seen, deadline);
        continue;
      }
      if (!(yield* lockSteps(words, PUT_LOCK, block ? deadline : performance.now() + 5))) return 'empty';
      try {
        this.#refresh();
        if (Atomics.load(words, COUNT) === 0) continue;
        return this.#take(use);
      } finally {
        unlock(words, PUT_LOCK, this.#waiter);
      }
    }
  }

  /** The put fast path: delivers at once if the lock is free and there is room; otherwise 'wait'. */
  tryPut(item: Uint8Array, length: number, token: number, buffers: number, key = 0): PutRefusal | 'wait' | undefined {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) !== OPEN) return 'shutdown';
    if (!tryLock(words, PUT_LOCK)) return 'wait';
    try {
      const outcome = this.#attempt(item, length, token, buffers, key);
      return outcome === 'room' ? 'wait' : outcome;
    } finally {
      unlock(words, PUT_LOCK, this.#waiter);
    }
  }

  /** The get fast path: takes the next item if one is there and the lock is free; otherwise 'wait'. */
  tryGet<R>(_scratch: () => Uint8Array, use: (item: RawItem) => R): R | 'shutdown' | 'wait' {
    const words = this.#words;
    if (Atomics.load(words, SHUTDOWN) === SHUT_IMMEDIATE) return 'shutdown';
    if (Atomics.load(words, COUNT) === 0 || !tryLock(words, PUT_LOCK)) return 'wait';
    try {
      this.#refresh();
      if (Atomics.load(words, COUNT) === 0) return 'wait';
      return this.#take(use);
    } finally {
      unlock(words, PUT_LOCK, this.#waiter);
    }
  }

  *shutdown(immediate: boolean): Procedure<void> {
    const words = this.#words;
    this.events.markShutdown(immediate);
    if (!immediate) return;
    yield* lockSteps(words, PUT_LOCK, FOREVER);
    try {
      this.#refresh();
      for (let n = Atomics.load(words, COUNT); n > 0; n = Atomics.load(words, COUNT)) {
        const at = this.#next(n) * FIELDS;
        this.#free(this.#entries[at + 2]!, this.#entries[at + 3]!);
        Atomics.sub(words, COUNT, 1);
        this.events.taskDone();
      }
    } finally {
      unlock(words, PUT_LOCK, this.#waiter);
    }
    this.events.wakeAll();
  }
}
