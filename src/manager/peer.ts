/**
 * One authenticated connection as the server's objects see it: the owner
 * of what it acquires, the signal that stops its blocking calls when it
 * closes, the cleanups that let go of what it still holds, and the
 * references it has on objects.
 */

import type { CallContext } from './type-spec.js';

/** One authenticated connection. */
export class Peer implements CallContext {
  readonly owner = this;
  readonly local: (value: unknown) => unknown;
  readonly #abort = new AbortController();
  readonly refs = new Map<number, number>();
  /** Calls still running (a blocking call parked in the server): the connection is not idle. */
  running = 0;
  readonly #cleanups = new Map<object, () => void>();

  constructor(local: (value: unknown) => unknown) {
    this.local = local;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  onClose(key: object, cleanup: () => void): void {
    if (!this.#cleanups.has(key)) this.#cleanups.set(key, cleanup);
  }

  close(): void {
    this.#abort.abort(new Error('the connection closed'));
    for (const cleanup of this.#cleanups.values()) {
      try {
        cleanup();
      } catch {
        // A cleanup that fails (a lock released by someone else meanwhile) leaves the others to run.
      }
    }
    this.#cleanups.clear();
  }
}
