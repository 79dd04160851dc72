/**
 * What a thread making synchronous proxy calls (sync-calls.ts) and its
 * helper thread (sync-helper.ts) say to each other.
 */

import type { Address } from './address.js';
import type { sendError } from './remote-errors.js';

/** What a caller asks of its helper. */
export type SyncRequest =
  /** The request, encoded (its call id is replaced). */
  | { readonly kind: 'call'; readonly address: Address; readonly authkey: Uint8Array; readonly bytes: Uint8Array }
  | { readonly kind: 'channel'; readonly address: Address; readonly authkey: Uint8Array }
  | { readonly kind: 'doorbell'; readonly channel: number }
  /** The caller gave up on a channel (its ring or a reply was damaged): close its connection. */
  | { readonly kind: 'close'; readonly channel: number };

/** What a `channel` request gets on the port. */
export type ChannelOffer =
  | { readonly id: number; readonly segment: SharedArrayBuffer; readonly closed: Int32Array }
  /** The manager keeps this connection on its socket (another host, or `sharedMemory: false`), or `error` says why there is none. */
  | { readonly id: undefined; readonly error?: ReturnType<typeof sendError> };

/** `control[0]` once a reply or a channel offer is ready. */
export const READY = 1;
