/**
 * The authkey handshake, as Python's `multiprocessing.connection`
 * (`deliver_challenge` / `answer_challenge`), run in both directions so each
 * side proves it holds the key before either trusts a byte from the other:
 *
 * ```text
 *  server                                   client
 *    -- "#CHALLENGE#{sha256}" + 32 random bytes -->
 *    <-- HMAC-SHA256(authkey, that whole message) --
 *    -- "#WELCOME#" (or "#FAILURE#", then close) -->
 *    <-- "#CHALLENGE#{sha256}" + 32 random bytes --
 *    -- HMAC-SHA256(authkey, that whole message) -->
 *    <-- "#WELCOME#" (or "#FAILURE#", then close) --
 * ```
 *
 * Digests are compared with `crypto.timingSafeEqual`. The key itself never
 * crosses; a fresh nonce each time means a recorded answer is worthless.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../errors.js';
import type { FramedSocket } from './frames.js';

const CHALLENGE = Buffer.from('#CHALLENGE#{sha256}');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
const NONCE_BYTES = 32;

function digest(authkey: Uint8Array, message: Uint8Array): Buffer {
  return createHmac('sha256', authkey).update(message).digest();
}

/** Challenges the peer; resolves when it answered right, throws AuthenticationError (after telling it) otherwise. */
export async function deliverChallenge(framed: FramedSocket, authkey: Uint8Array): Promise<void> {
  const message = Buffer.concat([CHALLENGE, randomBytes(NONCE_BYTES)]);
  framed.send(message);
  const answer = await framed.next();
  const expected = digest(authkey, message);
  if (answer.length !== expected.length || !timingSafeEqual(answer, expected)) {
    framed.send(FAILURE);
    throw new AuthenticationError('the peer answered the authkey challenge wrongly: its authkey differs');
  }
  framed.send(WELCOME);
}

/** Answers the peer's challenge; throws AuthenticationError if the peer refuses the answer. */
export async function answerChallenge(framed: FramedSocket, authkey: Uint8Array): Promise<void> {
  const message = await framed.next();
  if (message.length !== CHALLENGE.length + NONCE_BYTES || !message.subarray(0, CHALLENGE.length).equals(CHALLENGE)) {
    throw new AuthenticationError('the peer did not open with an authkey challenge (not a weft manager?)');
  }
  framed.send(digest(authkey, message));
  const verdict = await framed.next();
  if (verdict.equals(WELCOME)) return;
  throw new AuthenticationError(
    verdict.equals(FAILURE) ? 'the manager refused our authkey: the keys differ' : 'the peer sent a malformed verdict',
  );
}

/** An authkey as bytes: a string is taken as UTF-8. */
export function authkeyBytes(authkey: Uint8Array | string): Uint8Array {
  if (typeof authkey === 'string') return Buffer.from(authkey, 'utf8');
  if (authkey instanceof Uint8Array) return authkey;
  throw new TypeError(`authkey must be a Uint8Array or a string, got ${typeof authkey}`);
}
