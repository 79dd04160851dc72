import { registerShareable, revive } from '../share/protocol.js';
import { ORDER_KIND, Queue } from './queue.js';

/**
 * A queue that hands out the most recently put item first (Python's
 * `queue.LifoQueue`), with all of {@link Queue}'s API and guarantees, across
 * threads. Items live in a shared arena that grows as needed (up to
 * `maxRingBytes`, default 64 MiB); an item larger than that fails with a
 * RangeError naming the sizes.
 *
 * @example
 * ```ts
 * import { LifoQueue } from 'weft';
 * const stack = new LifoQueue<string>();
 * for (const word of ['a', 'b', 'c']) await stack.put(word);
 * console.log(await stack.get(), await stack.get(), stack.getSync()); // c b a
 * ```
 * @see Python's `queue.LifoQueue`
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** @internal */
  static override readonly [ORDER_KIND] = 'lifo' as const;

  /** @internal */
  static override [revive](state: Parameters<(typeof Queue)[typeof revive]>[0]): LifoQueue {
    return super[revive](state) as LifoQueue;
  }
}

registerShareable('LifoQueue', LifoQueue, { module: import.meta.url });
