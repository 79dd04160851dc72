/**
 * Bounds a handshake in time and in the socket's life: it fails if the
 * deadline passes or the socket closes first (a peer that connects and
 * says nothing is a slow peer, not a reason to wait forever).
 */

import { AuthenticationError } from '../errors.js';
import type { FramedSocket } from './frames.js';

export function withDeadline<T>(framed: FramedSocket, timeout: number, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new AuthenticationError(`the authkey handshake did not finish within ${timeout} ms`));
      framed.socket.destroy();
    }, timeout);
    timer.unref();
    const closed = (): void => reject(new AuthenticationError('the connection closed during the authkey handshake'));
    framed.socket.once('close', closed);
    run().then(
      (value) => {
        clearTimeout(timer);
        framed.socket.off('close', closed);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        framed.socket.off('close', closed);
        reject(error);
      },
    );
  });
}
