/**
 * The helper thread behind synchronous proxy calls (`callMethodSync`,
 * `<method>Sync`): it owns this thread's connections to managers, makes
 * each call asynchronously, and hands the reply back through shared memory
 * to the caller, which is blocked in `Atomics.wait` meanwhile.
 *
 * ```text
 *  control (Int32Array)  [0] state: 0 idle, 1 reply ready   [1] reply length
 *  data (growable SharedArrayBuffer): the encoded reply
 * ```
 */

import { workerData } from 'node:worker_threads';
import { parentPort } from 'node:worker_threads';
import { sharedConnection } from './client.js';
import { sendError } from './remote-errors.js';
import { decodeMessage, encodeMessage } from './wire.js';
import type { Address } from './address.js';

interface HelperData {
  readonly control: Int32Array;
  readonly data: SharedArrayBuffer;
}

export interface SyncRequest {
  readonly address: Address;
  readonly authkey: Uint8Array;
  /** The request, encoded (its own call id is replaced). */
  readonly bytes: Uint8Array;
}

const { control, data } = (workerData as { data: HelperData }).data;

async function serve(request: SyncRequest): Promise<Uint8Array> {
  try {
    const connection = await sharedConnection(request.address, request.authkey);
    const message = decodeMessage(request.bytes);
    const reply = await connection.request(message);
    return reply.token !== undefined
      ? encodeMessage({ i: 0, ok: true, t: reply.token }, 'v', 'result')
      : encodeMessage({ i: 0, ok: true, v: reply.value }, 'v', 'result');
  } catch (error) {
    return encodeMessage({ i: 0, ok: false, e: sendError(error) }, 'v', 'error');
  }
}

parentPort!.on('message', async (request: SyncRequest) => {
  const reply = await serve(request);
  if (reply.length > data.byteLength) data.grow(Math.min(data.maxByteLength, Math.max(reply.length, data.byteLength * 2)));
  const length = Math.min(reply.length, data.byteLength);
  new Uint8Array(data).set(reply.subarray(0, length));
  Atomics.store(control, 1, length);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
});
