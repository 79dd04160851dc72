/**
 * The child's half of running code in a child process (the parent's is
 * `child.ts`): receiving from the parent, loading a described call, sending
 * back, and the rule that a child does not outlive its parent — when the
 * IPC channel closes without the child having closed it, the parent has
 * exited or was killed, and the child exits with code 1.
 */

import { deserialize } from 'node:v8';
import { decodeAsync } from '../share/marshal.js';
import { loadTarget } from './load.js';
import { sendError, type SentError } from './error-transfer.js';
import type { ProcessCall } from './child.js';
import { loadBuiltins } from '../worker/load-builtins.js';

let leaving = false;

/**
 * Makes this child exit (code 1) when its channel to the parent closes
 * without {@link leaveParent}: an orphan has nobody to report to. The
 * listener also keeps the channel referenced, so the child stays alive while
 * it waits for work or runs a target.
 */
export function exitWithParent(): void {
  process.on('disconnect', () => {
    if (!leaving) process.exit(1);
  });
}

/** The next message from the parent; a `payload` packed by `packMessage` is unpacked. */
export function receiveFromParent<T>(): Promise<T> {
  return new Promise((resolve) => {
    process.once('message', (message: { payload?: Uint8Array }) => {
      resolve((message.payload === undefined ? message : deserialize(message.payload)) as T);
    });
  });
}

/** Sends `message` to the parent; resolves once it is written (or the channel is gone). */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, undefined, () => resolve());
  });
}

/**
 * Reports an exception nothing caught (a throwing timer, an unhandled
 * rejection) to the parent as `toMessage(error)`, then exits with code 1 as
 * Node would — instead of Node printing it here.
 */
export function reportUncaught(toMessage: (error: SentError) => unknown): void {
  process.on('uncaughtException', (error) => {
    void sendToParent(toMessage(sendError(error))).then(() => process.exit(1));
  });
}

/** Closes the channel on purpose: the child then exits when its event loop is empty. */
export function leaveParent(): void {
  leaving = true;
  if (process.connected) process.disconnect();
}

/** Loads a described call: its function, its revived arguments and its `this`. */
export async function loadCall(call: ProcessCall): Promise<() => Promise<unknown>> {
  // Shareables arrived: make every built-in kind revivable here.
  if (call.args.patches !== undefined || call.self?.patches !== undefined) await loadBuiltins();
  const [fn, args, self] = await Promise.all([
    loadTarget(call.target),
    decodeAsync(call.args) as Promise<unknown[]>,
    call.self === undefined ? undefined : decodeAsync(call.self),
  ]);
  return async () => fn.apply(self, args);
}
