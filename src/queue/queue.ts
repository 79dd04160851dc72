import { acquireDeadline, FOREVER, throwIfAborted, waitDeadline } from '../memory/deadline.js';
import type { AsyncBlockingOptions, AsyncTimeoutOptions, BlockingOptions, TimeoutOptions } from '../memory/deadline.js';
import { memoryOf, type Memory } from '../memory/memory.js';
import { runAsync, runSync } from '../memory/steps.js';
import { decodeAsync, type Envelope } from '../share/marshal.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { QueueEmptyError, QueueFullError, ShutDownError } from '../errors.js';
import {
  BUDGET, CAPACITY, itemCount, DEFAULT_CAPACITY, DEFAULT_MAX_CAPACITY, MAX_CAPACITY, frameSize, HEADER_WORDS, MAXSIZE, MIN_CAPACITY, SHUTDOWN, OPEN,
} from './layout.js';
import { FrameRing, type GetRefusal, type PutRefusal, type RawItem } from './ring.js';
import { ENTRIES, ENTRY_BYTES, INITIAL_ENTRIES, LIFO, MAX_ENTRIES, ORDER, ORDERED_WORDS, OrderedStore, PRIORITY } from './ordered-store.js';
import { functionSource, type FunctionSource } from '../run/inline.js';
import { compileFunction } from '../run/compile.js';
import { storedKey, type PriorityKey, type StoredKey } from './priority-key.js';
import { decodeRaw, encodeForRing, release, releaseWriter, reviveEnvelope, withdraw, type EncodedItem } from './item-codec.js';
import { sideOwner } from './side-lock.js';

/** Options of {@link Queue}. */
export interface QueueOptions {
  /** Most items the queue holds; `put` waits while it is full. 0 (default): unbounded. */
  maxsize?: number;
  /**
   * A byte budget: the queue's shared memory never exceeds it, and an item
   * whose encoding is larger fails with a RangeError naming both sizes.
   * Without it, the ring is `ringBytes` and larger items stream through it.
   */
  maxBytes?: number;
  /** Initial ring size in bytes when there is no `maxBytes` (default 64 KiB); it grows as needed. */
  ringBytes?: number;
  /**
   * How far the ring may grow (default 64 MiB). An unbounded queue holds up to
   * this many encoded bytes before `put` waits; larger items stream through.
   */
  maxRingBytes?: number;
}

/** The order items leave a queue in. */
type Order = 'fifo' | 'lifo' | 'priority';
/** @internal Static property of a queue class: its {@link Order}. */
export const ORDER_KIND: unique symbol = Symbol('weft.queue.order');

/** @internal Queue's "an item is there" waits, for Pipe. */
export const readable: unique symbol = Symbol('weft.queue.readable');
/** @internal */
export const readableSync: unique symbol = Symbol('weft.queue.readableSync');

/** Options of the Promise-returning `put` / `get`. */
export type QueueOptionsAsync = AsyncBlockingOptions;

function powerOfTwoAtLeast(n: number): number {
  let size = MIN_CAPACITY;
  while (size < n) size *= 2;
  return size;
}

function checkCount(what: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`${what}: ${name} must be an integer >= 0, got ${String(value)}`);
  }
  return value;
}

const scratch = { bytes: new Uint8Array(4096) };
const scratchBytes = (): Uint8Array => scratch.bytes;

type Taken = { value: unknown } | { envelope: Envelope };

/**
 * A multi-producer, multi-consumer FIFO queue between threads (Python's
 * `queue.Queue`, and `multiprocessing.Queue` / `JoinableQueue`).
 *
 * Items are any structured-clone value; shareables among them (a Lock, a
 * Value…) arrive as live handles. Each item is encoded into a ring of shared
 * memory — no message per item — and decoded by the taker. Nothing is lost,
 * duplicated or torn: a put either delivers the whole item or throws, also
 * when it times out or is aborted halfway, and an item larger than the ring
 * streams through it. FIFO per producer.
 *
 * Every blocking call exists twice: `put` / `get` / `join` return Promises and
 * never block the event loop; `putSync` / `getSync` / `joinSync` block the
 * calling thread. Shutdown follows Python 3.13.
 *
 * @example
 * ```ts
 * import { Queue, Thread } from 'weft';
 * const queue = new Queue<{ n: number }>({ maxsize: 5 });
 * const producer = new Thread({
 *   target: (q: Queue<{ n: number }>) => {
 *     for (let n = 1; n <= 3; n++) q.putSync({ n });
 *     q.shutdown();
 *   },
 *   args: [queue],
 * });
 * producer.start();
 * const seen: number[] = [];
 * for await (const item of queue) seen.push(item.n);
 * console.log(seen); // [ 1, 2, 3 ]
 * ```
 *
 * The processes scope's `processes.Queue` (and every queue kind, and
 * `processes.Pipe()`) is this class with its memory in `/dev/shm`: the
 * parties may be other processes, and processes-scope objects inside items
 * arrive there live.
 *
 * @example
 * ```ts
 * import { processes, type Queue } from 'weft';
 * const results = new processes.Queue<{ pid: number; n: number }>();
 * const child = new processes.Process({
 *   target: (results: Queue<{ pid: number; n: number }>) => results.putSync({ pid: process.pid, n: 42 }),
 *   args: [results],
 * });
 * child.start();
 * const { pid, n } = await results.get({ timeout: 10_000 });
 * console.log(pid !== process.pid, n); // true 42
 * await child.join();
 * ```
 * @see Python's `queue.Queue` and `multiprocessing.JoinableQueue`
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  /** @internal The order items leave in; subclasses set it. */
  static readonly [ORDER_KIND]: Order = 'fifo';

  readonly #memory: Memory;
  readonly #state: QueueState;
  readonly #ring: FrameRing | OrderedStore;
  readonly #key: ((item: T) => PriorityKey) | undefined;

  /**
   * @throws RangeError for a negative or non-integer `maxsize`, `maxBytes` or `ringBytes`.
   */
  constructor(options: QueueOptions & { key?: Function } = {}) {
    this.#memory = memoryOf(new.target);
    const order = (new.target as unknown as { [ORDER_KIND]: Order })[ORDER_KIND];
    const attaching = attached;
    attached = undefined;
    this.#state = attaching ?? createState(this.#memory, order, `${new.target.name}()`, options);
    const { words, data, index } = this.#state;
    const owner = sideOwner(this.#memory);
    this.#ring = index === undefined
      ? new FrameRing(words, data, this.#memory.waiter, owner)
      : new OrderedStore(words, data, index, this.#memory.waiter, owner, this.#memory.scope !== 'threads');
    const key = this.#state.key;
    this.#key = key === undefined ? undefined : (compileFunction(key) as (item: T) => PriorityKey);
  }

  /** The priority of `item` (PriorityQueue), ready for the store; 0 otherwise. */
  #keyOf(item: T, what: string): StoredKey {
    if (this.#words[ORDER] !== PRIORITY) return 0;
    const key = this.#key === undefined ? defaultKey(item) : this.#key(item);
    return storedKey(key, what, this.#key === undefined ? ' (give PriorityQueue a key function, or put priorities or [priority, data] pairs)' : ' from the key function');
  }

  get #words(): Int32Array {
    return this.#state.words;
  }

  /** Most items the queue holds (0: unbounded). */
  get maxsize(): number {
    return this.#words[MAXSIZE]!;
  }

  /** Approximate number of items in the queue. */
  qsize(): number {
    return itemCount(this.#words);
  }

  /** Whether the queue is empty (a snapshot). */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** Whether the queue holds `maxsize` items (a snapshot). */
  full(): boolean {
    const maxsize = this.maxsize;
    return maxsize > 0 && this.qsize() >= maxsize;
  }

  /** Whether `shutdown()` has been called. */
  get isShutdown(): boolean {
    return Atomics.load(this.#words, SHUTDOWN) !== OPEN;
  }

  #encode(item: T, what: string): EncodedItem {
    const encoded = encodeForRing(item, 'item', this.#memory.scope === 'threads' ? 'thread' : 'process');
    const limited = this.#words[BUDGET] === 1 || this.#ring instanceof OrderedStore;
    if (limited && frameSize(encoded.writer.length) > this.#ring.capacity) {
      withdraw(encoded);
      releaseWriter(encoded.writer);
      throw new RangeError(
        `${what}: the item takes ${encoded.writer.length} bytes encoded, more than the queue can hold ` +
          `(${this.#ring.capacity - 16} bytes)`,
      );
    }
    return encoded;
  }

  /** Ends a put: returns the writer; if the item was not delivered, withdraws it and throws why. */
  #endPut(encoded: EncodedItem, outcome: PutRefusal | 'aborted' | undefined, item: T, what: string, block: boolean): void {
    releaseWriter(encoded.writer);
    if (outcome === undefined) return;
    withdraw(encoded);
    if (outcome === 'shutdown') throw new ShutDownError(`${what}: the queue has been shut down`);
    if (outcome === 'full') {
      throw new QueueFullError(item, block ? `${what}: the queue stayed full for the whole timeout` : `${what}: the queue is full`);
    }
  }

  /**
   * Puts `item`, waiting while the queue is full (unless `blocking: false`),
   * without blocking the event loop.
   *
   * @throws QueueFullError (carrying the item) if still full after `timeout` ms, or at once with `blocking: false`.
   * @throws ShutDownError if the queue is shut down.
   * @throws DataCloneError if the item cannot cross to another thread; RangeError if it exceeds `maxBytes`.
   * @throws `signal.reason` on abort; the item is then not in the queue.
   */
  async put(item: T, options?: QueueOptionsAsync): Promise<void> {
    throwIfAborted(options?.signal);
    const deadline = acquireDeadline('Queue.put()', options);
    const block = deadline !== undefined;
    const key = this.#keyOf(item, 'Queue.put()');
    const encoded = this.#encode(item, 'Queue.put()');
    const { writer, token, buffers } = encoded;
    const now = this.#ring.tryPut(writer.bytes, writer.length, token, buffers, key);
    if (now !== 'wait') return this.#endPut(encoded, now, item, 'Queue.put()', block);
    let outcome: PutRefusal | undefined;
    try {
      const run = this.#ring.put(writer.bytes, writer.length, token, buffers, block, deadline ?? FOREVER, key);
      outcome = await runAsync(run, this.#memory.waiter, options?.signal);
    } catch (error) {
      this.#endPut(encoded, 'aborted', item, 'Queue.put()', block);
      throw error;
    }
    this.#endPut(encoded, outcome, item, 'Queue.put()', block);
  }

  /** {@link put}, blocking the calling thread. */
  putSync(item: T, options?: BlockingOptions): void {
    const deadline = acquireDeadline('Queue.putSync()', options);
    const block = deadline !== undefined;
    const key = this.#keyOf(item, 'Queue.putSync()');
    const encoded = this.#encode(item, 'Queue.putSync()');
    const { writer, token, buffers } = encoded;
    let outcome = this.#ring.tryPut(writer.bytes, writer.length, token, buffers, key);
    if (outcome === 'wait') {
      outcome = runSync(this.#ring.put(writer.bytes, writer.length, token, buffers, block, deadline ?? FOREVER, key), this.#memory.waiter);
    }
    this.#endPut(encoded, outcome, item, 'Queue.putSync()', block);
  }

  /** Puts without waiting. @throws QueueFullError if full. */
  putNowait(item: T): void {
    this.putSync(item, { blocking: false });
  }

  #take(raw: RawItem, revive: boolean): Taken {
    const taken = decodeRaw(raw);
    if ('value' in taken) return taken;
    // Sync: revive here, so a failure leaves the item in the queue.
    const value = revive ? { value: reviveEnvelope(taken.envelope) } : taken;
    release(raw);
    return value;
  }

  #refused(refusal: GetRefusal, what: string, block: boolean): never {
    if (refusal === 'shutdown') throw new ShutDownError(`${what}: the queue has been shut down and is empty`);
    throw new QueueEmptyError(block ? `${what}: no item arrived within the timeout` : `${what}: the queue is empty`);
  }

  /**
   * Takes the oldest item, waiting for one (unless `blocking: false`),
   * without blocking the event loop.
   *
   * @throws QueueEmptyError if none arrives within `timeout` ms, or at once with `blocking: false`.
   * @throws ShutDownError once the queue is shut down and drained (at once after an immediate shutdown).
   * @throws `signal.reason` on abort; nothing is taken.
   */
  async get(options?: QueueOptionsAsync): Promise<T> {
    throwIfAborted(options?.signal);
    const deadline = acquireDeadline('Queue.get()', options);
    const block = deadline !== undefined;
    const now = this.#ring.tryGet(scratchBytes, (raw) => this.#take(raw, false));
    if (now === 'shutdown') this.#refused(now, 'Queue.get()', block);
    if (now !== 'wait') return ('value' in now ? now.value : await decodeAsync(now.envelope)) as T;
    const run = this.#ring.get(block, deadline ?? FOREVER, scratchBytes, (raw) => this.#take(raw, false));
    const taken = await runAsync(run, this.#memory.waiter, options?.signal);
    if (typeof taken === 'string') this.#refused(taken, 'Queue.get()', block);
    return ('value' in taken ? taken.value : await decodeAsync(taken.envelope)) as T;
  }

  /** {@link get}, blocking the calling thread. */
  getSync(options?: BlockingOptions): T {
    const deadline = acquireDeadline('Queue.getSync()', options);
    const block = deadline !== undefined;
    const now = this.#ring.tryGet(scratchBytes, (raw) => this.#take(raw, true));
    if (now === 'shutdown') this.#refused(now, 'Queue.getSync()', block);
    if (now !== 'wait') return (now as { value: unknown }).value as T;
    const run = this.#ring.get(block, deadline ?? FOREVER, scratchBytes, (raw) => this.#take(raw, true));
    const taken = runSync(run, this.#memory.waiter);
    if (typeof taken === 'string') this.#refused(taken, 'Queue.getSync()', block);
    return (taken as { value: unknown }).value as T;
  }

  /** Takes without waiting. @throws QueueEmptyError if empty. */
  getNowait(): T {
    return this.getSync({ blocking: false });
  }

  /**
   * Marks one taken item as processed, for `join`.
   *
   * @throws RangeError if called more times than items were put.
   */
  taskDone(): void {
    if (!this.#ring.events.taskDone()) throw new RangeError('Queue.taskDone(): called more times than there were items');
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   * Resolves `true`, or `false` if `timeout` ms passed first.
   */
  async join(options?: AsyncTimeoutOptions): Promise<boolean> {
    throwIfAborted(options?.signal);
    return runAsync(this.#ring.events.join(waitDeadline('Queue.join()', options?.timeout)), this.#memory.waiter, options?.signal);
  }

  /** {@link join}, blocking the calling thread. */
  joinSync(options?: TimeoutOptions): boolean {
    return runSync(this.#ring.events.join(waitDeadline('Queue.joinSync()', options?.timeout)), this.#memory.waiter);
  }

  /**
   * Shuts the queue down (Python 3.13): `put` throws {@link ShutDownError}
   * from now on, `get` drains what is left and then throws it, and every
   * blocked caller wakes. With `immediate: true` the items left are dropped
   * (each counted done for `join`) and `get` throws at once.
   */
  shutdown(options: { immediate?: boolean } = {}): void {
    runSync(this.#ring.shutdown(options.immediate === true), this.#memory.waiter);
  }

  /** @internal Waits until an item can be taken, without taking it (Pipe's poll). */
  [readable](timeout: number | undefined, signal?: AbortSignal): Promise<boolean> {
    return runAsync(this.#ring.events.readable(waitDeadline('poll()', timeout)), this.#memory.waiter, signal);
  }

  /** @internal The same, blocking. */
  [readableSync](timeout: number | undefined): boolean {
    return runSync(this.#ring.events.readable(waitDeadline('pollSync()', timeout)), this.#memory.waiter);
  }

  /** Yields items as they arrive; ends when the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.get();
      } catch (error) {
        if (error instanceof ShutDownError) return;
        throw error;
      }
    }
  }

  get [Symbol.toStringTag](): string {
    return `${this.constructor.name} size=${this.qsize()}${this.maxsize ? `/${this.maxsize}` : ''}${this.isShutdown ? ' shut down' : ''}`;
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /** @internal */
  [describe](): QueueState {
    return this.#state;
  }

  /** @internal */
  static [revive](state: QueueState): Queue {
    attached = state;
    return new this();
  }
}

/** A queue's shared state, as it crosses to another thread. */
interface QueueState {
  readonly words: Int32Array;
  /** The ring (FIFO) or the arena (LIFO, priority). */
  readonly data: SharedArrayBuffer;
  /** The ordered stores' index of entries. */
  readonly index: SharedArrayBuffer | undefined;
  /** PriorityQueue's key function, as source. */
  readonly key: FunctionSource | undefined;
}

function createState(memory: Memory, order: Order, what: string, options: QueueOptions & { key?: Function }): QueueState {
  const maxsize = checkCount(what, 'maxsize', options.maxsize ?? 0);
  const budget = options.maxBytes === undefined ? undefined : checkCount(what, 'maxBytes', options.maxBytes);
  const ring = checkCount(what, 'ringBytes', options.ringBytes ?? DEFAULT_CAPACITY);
  const limit = checkCount(what, 'maxRingBytes', options.maxRingBytes ?? Math.max(ring, DEFAULT_MAX_CAPACITY));
  if (options.key !== undefined && typeof options.key !== 'function') throw new TypeError(`${what}: key must be a function`);
  const capacity = powerOfTwoAtLeast(budget ?? Math.min(ring, limit));
  const maxCapacity = budget === undefined ? powerOfTwoAtLeast(limit) : capacity;
  const words = new Int32Array(memory.allocate((order === 'fifo' ? HEADER_WORDS : ORDERED_WORDS) * 4));
  words[MAXSIZE] = maxsize;
  words[CAPACITY] = capacity;
  words[MAX_CAPACITY] = maxCapacity;
  words[BUDGET] = budget === undefined ? 0 : 1;
  const data = memory.allocateGrowable(capacity, maxCapacity);
  if (order === 'fifo') return { words, data, index: undefined, key: undefined };
  words[ORDER] = order === 'lifo' ? LIFO : PRIORITY;
  words[ENTRIES] = INITIAL_ENTRIES;
  const index = memory.allocateGrowable(INITIAL_ENTRIES * ENTRY_BYTES, MAX_ENTRIES * ENTRY_BYTES);
  const key = options.key === undefined ? undefined : functionSource(options.key, `${what} key`);
  return { words, data, index, key };
}

/** PriorityQueue's ordering without a key function: a number, or the first element of a [priority, data] pair. */
function defaultKey(item: unknown): unknown {
  return Array.isArray(item) ? item[0] : item;
}

// The state a revived handle attaches to (see Queue[revive]).
let attached: QueueState | undefined;

registerShareable('Queue', Queue, { module: import.meta.url });
