/**
 * What a Thread and its worker share, kept tiny because the worker loads it
 * before anything else.
 *
 * ```
 *  state words   [0] life       0 new | 1 running | 2 finished (target settled)
 *                [1] cancelled  Timer.cancel() sets 1; the worker sleeps on it
 *                [2] ready      1 once the worker listens for shared-memory names
 * ```
 */

import type { Envelope } from '../share/marshal.js';
import type { TargetDescription } from './task.js';
import type { SentError } from './error-transfer.js';
import { singleton } from '../memory/singleton.js';

export const LIFE = 0;
export const CANCELLED = 1;
export const READY = 2;
export const STATE_WORDS = 3;
export const NEW = 0;
export const RUNNING = 1;
export const FINISHED = 2;

/** The `workerData` a Thread's worker starts with. */
export interface ThreadStart {
  readonly target: TargetDescription;
  readonly args: Envelope;
  /** `this` of a subclass's `run()`: the instance's own fields. */
  readonly self: Envelope | undefined;
  readonly name: string;
  readonly daemon: boolean;
  readonly state: Int32Array;
  readonly port: import('node:worker_threads').MessagePort;
  /** Timer: ms to sleep before running, unless cancelled. */
  readonly delay: number | undefined;
  /** The parent's shared-memory names, for the worker's registry. */
  readonly blocks: ReadonlyMap<string, SharedArrayBuffer>;
  /** The process's thread-liveness table (run/liveness.ts). */
  readonly liveness: SharedArrayBuffer;
}

/** Messages from the worker on its port. */
export type ThreadReport = { readonly type: 'exception'; readonly error: SentError };

/** Identity of the thread this code runs in, as its Thread object knows it. */
export const current = singleton('currentThread', () => ({ name: 'MainThread', daemon: false, main: true }));
