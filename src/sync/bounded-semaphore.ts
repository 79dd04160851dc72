import { constructAttached } from '../memory/memory.js';
import { registerShareable, revive } from '../share/protocol.js';
import { Semaphore } from './semaphore.js';

/**
 * A semaphore whose `release` refuses to raise the counter above its initial
 * value — a guard against releasing more often than acquiring (Python's
 * `threading.BoundedSemaphore`).
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from 'weft';
 * const sem = new BoundedSemaphore(1);
 * try {
 *   sem.release();
 * } catch (error) {
 *   console.log((error as Error).name); // RangeError
 * }
 * ```
 * @see Python's `threading.BoundedSemaphore`
 */
export class BoundedSemaphore extends Semaphore {
  protected override get bounded(): boolean {
    return true;
  }

  /** @internal */
  static override [revive](words: Int32Array): BoundedSemaphore {
    return constructAttached(words, () => new this());
  }
}

registerShareable('BoundedSemaphore', BoundedSemaphore, { module: import.meta.url });
