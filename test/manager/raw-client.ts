// Helpers of the manager's attack tests: a raw client below the proxies,
// and an honest client that keeps calling while the attacks go on.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { answerChallenge, deliverChallenge } from '../../src/manager/auth.js';
import { FramedSocket, HANDSHAKE_MAX_FRAME_BYTES } from '../../src/manager/frames.js';
import type { DictProxy } from '../../src/manager/proxy-types.js';

export function open(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(address, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves when the server closes `socket` (or after `ms`, with false). */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  socket.resume(); // read (and drop) what the server sends, so its closing is seen
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A raw connection past the handshake, with the right key. */
export async function authenticated(address: string, authkey: Uint8Array, maxBytes: number): Promise<{ socket: Socket; framed: FramedSocket }> {
  const socket = await open(address);
  socket.on('error', () => {});
  const framed = new FramedSocket(socket, {}, HANDSHAKE_MAX_FRAME_BYTES);
  await answerChallenge(framed, authkey);
  await deliverChallenge(framed, authkey);
  framed.maxBytes = maxBytes;
  return { socket, framed };
}

/** Sets and checks items of `dict` until `stop()`, which resolves with how many it did. */
export function honestCalls(dict: DictProxy<number, number>): { stop(): Promise<number> } {
  let going = true;
  const done = (async () => {
    let i = 0;
    while (going) {
      await dict.set(i, i * 2);
      assert.equal(await dict.get(i), i * 2);
      i++;
    }
    return i;
  })();
  return {
    stop() {
      going = false;
      return done;
    },
  };
}
