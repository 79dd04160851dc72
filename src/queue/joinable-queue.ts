import { registerShareable, revive } from '../share/protocol.js';
import { Queue } from './queue.js';

/**
 * A {@link Queue} under multiprocessing's name for a queue with
 * `taskDone()` / `join()` (weft's `Queue` has them too, like `queue.Queue`).
 *
 * @example
 * ```ts
 * import { JoinableQueue } from 'weft';
 * const jobs = new JoinableQueue<string>();
 * await jobs.put('a');
 * await jobs.get();
 * jobs.taskDone();
 * console.log(await jobs.join({ timeout: 100 })); // true
 * ```
 * @see Python's `multiprocessing.JoinableQueue`
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /** @internal */
  static override [revive](state: Parameters<(typeof Queue)[typeof revive]>[0]): JoinableQueue {
    return super[revive](state) as JoinableQueue;
  }
}

registerShareable('JoinableQueue', JoinableQueue, { module: import.meta.url });
