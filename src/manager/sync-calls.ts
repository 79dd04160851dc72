/**
 * Synchronous proxy calls, for code that may block: a worker thread, a
 * child process's own logic. The call is made by a helper thread (one per
 * thread that calls synchronously, started on first use) while the caller
 * waits in `Atomics.wait` for its reply — Python's blocking proxy calls.
 * Not for the main thread of a program that must stay responsive.
 */

import { Worker } from 'node:worker_threads';
import { workerScript } from '../run/bootstrap.js';
import type { Address } from './address.js';
import { receiveError } from './remote-errors.js';
import type { SyncRequest } from './sync-helper.js';
import { decodeMessage, encodeMessage, isToken, valueOf, type Token } from './wire.js';

const MAX_REPLY_BYTES = 64 * 1024 * 1024;

interface Helper {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly data: SharedArrayBuffer;
}

let helper: Helper | undefined;

function startHelper(): Helper {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const data = new SharedArrayBuffer(64 * 1024, { maxByteLength: MAX_REPLY_BYTES });
  const entry = new URL(`./sync-helper.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
  const { script, eval: evaluate, workerData } = workerScript(entry, { control, data });
  const worker = new Worker(script, { eval: evaluate, workerData });
  worker.unref(); // the helper never keeps a program alive
  return { worker, control, data };
}

/**
 * Sends `message` to the manager at `address` and blocks until the reply.
 *
 * @throws the method's error, rebuilt with its class.
 */
export function requestSync(address: Address, authkey: Uint8Array, message: Record<string, unknown>): { value?: unknown; token?: Token } {
  helper ??= startHelper();
  const { worker, control, data } = helper;
  const bytes = encodeMessage({ ...message, i: 1 }, 'a', 'args');
  Atomics.store(control, 0, 0);
  worker.postMessage({ address, authkey, bytes } satisfies SyncRequest);
  while (Atomics.load(control, 0) === 0) Atomics.wait(control, 0, 0);
  const length = Atomics.load(control, 1);
  const reply = decodeMessage(new Uint8Array(data, 0, length).slice());
  if (reply.ok !== true) throw receiveError(reply.e);
  if (reply.t !== undefined) {
    if (!isToken(reply.t)) throw new TypeError('the manager sent a malformed token');
    return { token: reply.t };
  }
  return { value: valueOf(reply, 'v', authkey) };
}
