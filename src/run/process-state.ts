/**
 * What a Process and its child share: the start message, the child's reports,
 * and the identity of the process this code runs in. Kept tiny because the
 * child loads it before anything else.
 *
 * ```
 *  parent                                   child (src/worker/process-entry.ts)
 *  fork(entry, { serialization: 'advanced' })
 *  send { type: 'start', payload }  ───────▶ identity ← start; load target, revive args
 *                                            run target(...args)
 *                 ◀─────── { type: 'exception', error }   (only if it threw)
 *                 ◀─────── disconnect                      (target settled)
 *  'close' (exit status + channel closed)    event loop drains, process exits
 * ```
 */

import type { ProcessCall } from './child.js';
import type { SentError } from './error-transfer.js';
import { singleton } from '../memory/singleton.js';

/** Who a process is: what `currentProcess()` reports in it. */
export interface ProcessIdentity {
  name: string;
  daemon: boolean;
  /** Python's `_identity`: the main process is `[]`, its first child `[1]`, that child's first `[1, 1]`. */
  identity: readonly number[];
  /** The process that started this one; `undefined` in the main process. */
  parent: { readonly pid: number; readonly name: string } | undefined;
  /** How many Process objects this process has created, for default names. */
  created: number;
}

/** What the child receives first, v8-serialized as `payload` (see `packMessage`). */
export interface ProcessStart {
  readonly call: ProcessCall;
  readonly name: string;
  readonly daemon: boolean;
  readonly identity: readonly number[];
  readonly parent: { readonly pid: number; readonly name: string };
}

/** Messages from the child on its IPC channel. */
export type ProcessReport = { readonly type: 'exception'; readonly error: SentError };

// Worker threads of a child process have their own globals but inherit the
// environment, so the child's entry also writes its identity there. The pid
// in it keeps an unrelated program the child spawns from believing it.
const ENV = 'WEFT_CURRENT_PROCESS';

function inherited(): Omit<ProcessIdentity, 'created'> | undefined {
  const text = process.env[ENV];
  if (text === undefined) return undefined;
  try {
    const { pid, ...identity } = JSON.parse(text) as Omit<ProcessIdentity, 'created'> & { pid: number };
    return pid === process.pid ? identity : undefined;
  } catch {
    return undefined;
  }
}

/** The identity of the process this code runs in (one object per thread). */
export const current = singleton<ProcessIdentity>('currentProcess', () => ({
  ...(inherited() ?? { name: 'MainProcess', daemon: false, identity: [], parent: undefined }),
  created: 0,
}));

/** Called once by a child's entry: this process is the one `start` describes. */
export function becomeChild(start: ProcessStart): void {
  current.name = start.name;
  current.daemon = start.daemon;
  current.identity = start.identity;
  current.parent = start.parent;
  const { created: _, ...identity } = current;
  process.env[ENV] = JSON.stringify({ pid: process.pid, ...identity });
}
