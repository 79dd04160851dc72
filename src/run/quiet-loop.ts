/**
 * Whether this thread's event loop has nothing to do but wait — so a party
 * that expects a message in shared memory within microseconds may block
 * the thread in a futex wait for it (woken directly by the writer, with no
 * event-loop round) instead of returning to the loop.
 *
 * "Nothing to do" means: no timer, immediate, file operation or other
 * request pending, and no handle open beyond the quiet ones — the IPC
 * channel to the parent, stdout and stderr when they are a pipe or a
 * terminal (Node writes those synchronously on Linux, so a blocked thread
 * holds nothing back), and the handles the caller names (its own socket).
 */

import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';

let base: Map<string, number> | undefined;

/** The handles every process of this kind has that never need its event loop. */
function baseHandles(): Map<string, number> {
  // Made now, so they are counted whether or not anything writes to them.
  void process.stdout;
  void process.stderr;
  const handles = new Map([['PipeWrap', process.channel === undefined ? 0 : 1], ['TTYWrap', 0]]);
  for (const fd of [1, 2]) {
    let kind: string | undefined;
    try {
      const stat = fstatSync(fd);
      kind = isatty(fd) ? 'TTYWrap' : stat.isFIFO() || stat.isSocket() ? 'PipeWrap' : undefined;
    } catch {
      // closed: no handle
    }
    if (kind !== undefined) handles.set(kind, handles.get(kind)! + 1);
  }
  return handles;
}

/**
 * True if the event loop has nothing pending but the quiet handles and, by
 * kind (`'PipeWrap'`, `'TCPSocketWrap'`…), `own` more.
 */
export function loopIsQuiet(own?: ReadonlyMap<string, number>): boolean {
  const pending = process.getActiveResourcesInfo();
  if (pending.length === 0) return true;
  base ??= baseHandles();
  const seen = new Map<string, number>();
  for (const kind of pending) {
    const count = (seen.get(kind) ?? 0) + 1;
    if (count > (base.get(kind) ?? 0) + (own?.get(kind) ?? 0)) return false;
    seen.set(kind, count);
  }
  return true;
}
