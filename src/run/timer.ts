import { Thread } from './thread.js';

type AnyFunction = (...args: any[]) => any;

/**
 * A thread that runs `target(...args)` after `interval` ms unless cancelled
 * first (Python's `threading.Timer`, with milliseconds).
 *
 * @example
 * ```ts
 * import { Timer } from 'weft';
 * const timer = new Timer(50, () => console.log('never printed'));
 * timer.start();
 * timer.cancel();
 * await timer.join();
 * console.log('cancelled');
 * ```
 * @see Python's `threading.Timer`
 */
export class Timer<F extends AnyFunction = AnyFunction> extends Thread<F> {
  /**
   * @param interval milliseconds to wait before running.
   * @throws RangeError if `interval` is negative or not a number.
   */
  constructor(interval: number, target: F | import('./task.js').ModuleTask<F>, args?: Parameters<F>) {
    super({ target, args: args ?? ([] as unknown as Parameters<F>) });
    if (typeof interval !== 'number' || !(interval >= 0)) {
      throw new RangeError(`Timer(): interval must be a number of ms >= 0, got ${String(interval)}`);
    }
    this.startDelay = interval;
  }

  /** Stops the timer if it is still waiting; does nothing once the target runs. */
  cancel(): void {
    this.signalCancel();
  }
}
