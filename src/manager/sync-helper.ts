/**
 * The helper thread behind synchronous proxy calls (`callMethodSync`,
 * `<method>Sync`), one per thread that calls synchronously. It does what
 * needs an event loop, which the blocked caller does not have:
 *
 * - `channel`: opens a connection of the caller's own to a manager and,
 *   once authenticated, hands the caller its shared-memory rings
 *   (`ClientConnection.handOff`; the segment goes back on `port`). The
 *   caller then writes its requests and reads its replies there itself;
 *   this thread keeps the socket, rings the server's doorbell when asked
 *   (`doorbell`), and passes on what the socket brings: a reply too big
 *   for the ring, or the connection's end.
 * - `call`: makes a call on this thread's own connection and hands the
 *   reply back (a manager on another host, or a request too big for a ring).
 *
 * ```text
 *  control (Int32Array)  [0] state: 0 waiting, 1 reply (or channel offer) ready   [1] reply length
 *  data (growable SharedArrayBuffer): the encoded reply
 *  a channel's closed word (Int32Array, its own): 1 once its connection is gone
 * ```
 *
 * The caller blocks in `Atomics.wait` on `control[0]`, or — on a channel —
 * in a futex wait on its reply ring's sleep word, which this thread wakes
 * after it sets `control[0]` or the closed word (`Ring.takeBlocked`).
 */

import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ClientConnection, sharedConnection } from './client.js';
import { sendError } from './remote-errors.js';
import { openRings, type Ring } from './shm-ring.js';
import { READY, type ChannelOffer, type SyncRequest } from './sync-protocol.js';
import { decodeMessage, encodeMessage } from './wire.js';

interface HelperData {
  readonly control: Int32Array;
  readonly data: SharedArrayBuffer;
  readonly port: MessagePort;
}

const { control, data, port } = (workerData as { data: HelperData }).data;

/** The connections handed to the caller, by channel id. */
const channels = new Map<number, { readonly connection: ClientConnection; readonly replies: Ring }>();
let nextChannel = 1;

/** Puts `bytes` where the caller reads them and says they are there. */
function deliver(bytes: Uint8Array | undefined): void {
  let length = 0;
  if (bytes !== undefined) {
    if (bytes.length > data.byteLength) data.grow(Math.min(data.maxByteLength, Math.max(bytes.length, data.byteLength * 2)));
    length = Math.min(bytes.length, data.byteLength);
    new Uint8Array(data).set(bytes.subarray(0, length));
  }
  Atomics.store(control, 1, length);
  Atomics.store(control, 0, READY);
  Atomics.notify(control, 0);
}

async function call(request: Extract<SyncRequest, { kind: 'call' }>): Promise<Uint8Array> {
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

async function openChannel(request: Extract<SyncRequest, { kind: 'channel' }>): Promise<ChannelOffer> {
  let connection: ClientConnection;
  try {
    connection = await ClientConnection.open(request.address, request.authkey);
  } catch (error) {
    return { id: undefined, error: sendError(error) };
  }
  const id = nextChannel++;
  const closed = new Int32Array(new SharedArrayBuffer(4));
  let replies: Ring | undefined;
  const segment = connection.handOff({
    // The caller may be blocked on its reply ring for these: wake it.
    onFrame: (frame) => {
      deliver(frame);
      if (replies?.takeBlocked()) replies.wake();
    },
    onClose: () => {
      channels.delete(id);
      Atomics.store(closed, 0, 1);
      if (replies?.takeBlocked()) replies.wake();
    },
  });
  if (segment === undefined) {
    connection.close();
    return { id: undefined };
  }
  replies = openRings(segment).replies;
  channels.set(id, { connection, replies });
  return { id, segment, closed };
}

parentPort!.on('message', async (request: SyncRequest) => {
  switch (request.kind) {
    case 'call':
      deliver(await call(request));
      return;
    case 'channel': {
      const offer = await openChannel(request);
      port.postMessage(offer);
      deliver(undefined);
      return;
    }
    case 'doorbell':
      channels.get(request.channel)?.connection.ringDoorbell();
      return;
    case 'close':
      channels.get(request.channel)?.connection.close();
      return;
  }
});
