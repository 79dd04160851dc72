/** Python's `join(timeout)` over a Promise: wait for it, or for the timeout, or until aborted. */

import { FOREVER, remaining, throwIfAborted, waitDeadline, type AsyncTimeoutOptions } from '../memory/deadline.js';

/**
 * Waits until `settled` resolves or `timeout` ms pass, whichever is first;
 * like Python's `join` it returns nothing either way. Leaves no timer or
 * listener behind.
 *
 * @param what names the call in errors (`Process.join()`).
 * @throws `signal.reason` (rejection) on abort.
 */
export async function joinWithin(settled: Promise<void>, what: string, options?: AsyncTimeoutOptions): Promise<void> {
  const signal = options?.signal;
  throwIfAborted(signal);
  const deadline = waitDeadline(what, options?.timeout);
  if (deadline === FOREVER && signal === undefined) return settled;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      settled,
      new Promise<void>((resolve, reject) => {
        if (deadline !== FOREVER) timer = setTimeout(resolve, remaining(deadline));
        if (signal === undefined) return;
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
