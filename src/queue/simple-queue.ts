import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { memoryOf } from '../memory/memory.js';
import { scopedClass } from '../memory/scoped-classes.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { Queue } from './queue.js';

/**
 * An unbounded FIFO queue with only the basics (Python's `queue.SimpleQueue`):
 * `put` never waits for room in item terms, `get` waits for an item; no
 * `taskDone` / `join` / `shutdown`.
 *
 * @example
 * ```ts
 * import { SimpleQueue } from 'weft';
 * const q = new SimpleQueue<number>();
 * q.put(1);
 * q.put(2);
 * console.log(await q.get(), q.getSync(), q.empty()); // 1 2 true
 * ```
 * @see Python's `queue.SimpleQueue`
 */
export class SimpleQueue<T = unknown> {
  readonly #queue: Queue<T>;

  constructor() {
    // A Queue of this class's scope (the processes scope's SimpleQueue wraps a processes Queue).
    this.#queue = attached ?? new (scopedClass(memoryOf(new.target), Queue))<T>();
    attached = undefined;
  }

  /**
   * Puts `item` at once. (Python's `block` and `timeout` arguments exist only
   * for compatibility there; here there are none.) Only an item that does
   * not fit the ring waits, for a consumer to stream it through.
   */
  put(item: T): void {
    this.#queue.putSync(item);
  }

  /** The same as {@link put}. */
  putNowait(item: T): void {
    this.put(item);
  }

  /** Takes the oldest item, waiting without blocking the event loop. @see Queue.get */
  get(options?: AsyncBlockingOptions): Promise<T> {
    return this.#queue.get(options);
  }

  /** Takes the oldest item, blocking the calling thread. @see Queue.getSync */
  getSync(options?: BlockingOptions): T {
    return this.#queue.getSync(options);
  }

  /** Takes without waiting. @throws QueueEmptyError if empty. */
  getNowait(): T {
    return this.#queue.getNowait();
  }

  /** Whether the queue is empty (a snapshot). */
  empty(): boolean {
    return this.#queue.empty();
  }

  /** Approximate number of items. */
  qsize(): number {
    return this.#queue.qsize();
  }

  /** @internal */
  get [SCOPE]() {
    return (this.#queue as unknown as { [SCOPE]: string })[SCOPE];
  }

  /** @internal */
  [describe](): Queue<T> {
    return this.#queue;
  }

  /** @internal */
  static [revive](queue: Queue): SimpleQueue {
    attached = queue;
    return new this();
  }
}

let attached: Queue<any> | undefined;

registerShareable('SimpleQueue', SimpleQueue, { module: import.meta.url });
