/**
 * Holds the event loop open while an async wait is parked.
 *
 * A pending `Atomics.waitAsync` does not keep Node's event loop alive
 * (nodejs/node#44729): a worker whose only pending work is a parked wait
 * exits with code 13, and on the main thread the process exits with the
 * promise unsettled. So every parked async wait holds this keep-alive and
 * releases it when it settles. One long interval timer per thread is shared by
 * all parked waits; holding and releasing only flips its ref, which is cheap.
 */

let timer: ReturnType<typeof setInterval> | undefined;
let holders = 0;

/** Keeps the event loop of this thread alive until the matching {@link release}. */
export function hold(): void {
  if (holders++ === 0) {
    if (timer === undefined) timer = setInterval(() => {}, 0x7fffffff);
    else timer.ref();
  }
}

/** Releases one {@link hold}. */
export function release(): void {
  if (--holders === 0) timer?.unref();
}
