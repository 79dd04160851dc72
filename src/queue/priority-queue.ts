import { registerShareable, revive } from '../share/protocol.js';
import { ORDER_KIND, Queue, type QueueOptions } from './queue.js';

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * The priority of an item, a number (lower comes out first). Runs in the
   * putting thread; it crosses with the queue as source text, so it must not
   * capture variables. Without it, an item must be a number or a
   * `[priority, data]` pair, as Python's tuples.
   */
  key?: (item: T) => number;
}

/**
 * A queue that hands out the item with the lowest priority first, FIFO among
 * equal priorities (Python's `queue.PriorityQueue`, with a key instead of
 * comparing items), across threads, with all of {@link Queue}'s API.
 *
 * @throws TypeError (from put) if an item's priority is not a number.
 * @example
 * ```ts
 * import { PriorityQueue } from 'weft';
 * const jobs = new PriorityQueue<{ name: string; urgency: number }>({ key: (job) => job.urgency });
 * await jobs.put({ name: 'later', urgency: 5 });
 * await jobs.put({ name: 'now', urgency: 1 });
 * await jobs.put({ name: 'also later', urgency: 5 });
 * console.log((await jobs.get()).name, (await jobs.get()).name, (await jobs.get()).name); // now later also later
 * const pairs = new PriorityQueue<[number, string]>();
 * await pairs.put([2, 'b']);
 * await pairs.put([1, 'a']);
 * console.log(await pairs.get()); // [ 1, 'a' ]
 * ```
 * @see Python's `queue.PriorityQueue`
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /** @internal */
  static override readonly [ORDER_KIND] = 'priority' as const;

  constructor(options: PriorityQueueOptions<T> = {}) {
    super(options);
  }

  /** @internal */
  static override [revive](state: Parameters<(typeof Queue)[typeof revive]>[0]): PriorityQueue {
    return super[revive](state) as PriorityQueue;
  }
}

registerShareable('PriorityQueue', PriorityQueue, { module: import.meta.url });
