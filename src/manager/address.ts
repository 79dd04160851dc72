/**
 * Where a manager listens: a Unix domain socket path (processes on one host)
 * or a TCP host and port (other hosts).
 */

import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Unix domain socket path, or a TCP host and port (port 0: any free port). */
export type Address = string | { readonly host: string; readonly port: number };

/** A fresh socket path in the temporary directory, as Python's `arbitrary_address('AF_UNIX')`. */
export function arbitraryAddress(): string {
  return join(tmpdir(), `weft-manager-${process.pid}-${randomBytes(6).toString('hex')}.sock`);
}

/** Checks an address given by a user; returns a copy safe to keep. */
export function checkAddress(address: unknown, what = 'address'): Address {
  if (typeof address === 'string' && address.length > 0) return address;
  if (typeof address === 'object' && address !== null) {
    const { host, port } = address as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && typeof port === 'number' && Number.isInteger(port) && port >= 0 && port < 65536) {
      return { host, port };
    }
  }
  throw new TypeError(`${what} must be a socket path or { host, port }, got ${JSON.stringify(address)}`);
}

/** A stable text form, for maps and messages. */
export function addressKey(address: Address): string {
  return typeof address === 'string' ? `unix:${address}` : `tcp:${address.host}:${address.port}`;
}

/**
 * The addresses (by {@link addressKey}) of the manager servers this thread
 * runs: a synchronous call to one of them from this thread would block the
 * only thread that could answer it.
 */
export const servedInThisThread = new Set<string>();
