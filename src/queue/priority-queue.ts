import { registerShareable, revive } from '../share/protocol.js';
import { ORDER_KIND, Queue, type QueueOptions } from './queue.js';
import type { PriorityKey } from './priority-key.js';

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * The priority of an item (lower comes out first): a number, a bigint, a
   * string, or an array of those, compared element by element as Python
   * compares tuples. Runs in the putting thread; it crosses with the queue
   * as source text, so it must not capture variables. Without it, an item
   * must be a priority itself or a `[priority, data]` pair.
   */
  key?: (item: T) => PriorityKey;
}

/**
 * A queue that hands out the item with the lowest priority first, FIFO among
 * equal priorities (Python's `queue.PriorityQueue`, with a key instead of
 * comparing items), across threads, with all of {@link Queue}'s API.
 * Priorities are numbers, bigints, strings, or arrays of those compared
 * element by element (Python's tuples); numbers cost least. Priorities of
 * different kinds, which Python refuses to compare, order numbers first,
 * then strings, then arrays.
 *
 * @throws TypeError (from put) if an item's priority is none of those (or NaN).
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
 * const tasks = new PriorityQueue<{ due: [number, string] }>({ key: (task) => task.due });
 * await tasks.put({ due: [2, 'b'] });
 * await tasks.put({ due: [1, 'z'] });
 * await tasks.put({ due: [1, 'a'] });
 * console.log((await tasks.get()).due, (await tasks.get()).due); // [ 1, 'a' ] [ 1, 'z' ]
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
