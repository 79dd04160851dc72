/**
 * The parent's half of running code in a child process, in small pieces a
 * Process and a process pool both build on: which entry file to fork and
 * with which flags, describing a call so it can cross, packing a message
 * (failing early, naming what cannot cross), and reading an exit status the
 * way Python reports it. The child's half is `in-child.ts`.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { DataCloneError } from '../errors.js';
import { encode, type Envelope } from '../share/marshal.js';
import { functionSource } from './inline.js';
import { describeTarget, type TargetDescription } from './task.js';

/** A call as it crosses to a child process: what to run, its arguments, and `this` for a subclass's `run()`. */
export interface ProcessCall {
  readonly target: TargetDescription;
  readonly args: Envelope;
  readonly self: Envelope | undefined;
}

/**
 * The file a child process starts from: `src/worker/<name>.ts` when weft runs
 * from source (under tsx, which the child inherits through `execArgv`), the
 * bundled `dist/worker/<name>.cjs` when it runs built — the same choice
 * Thread makes for its worker entry.
 */
export function childEntry(name: string): URL {
  return new URL(`../worker/${name}.${import.meta.url.endsWith('.ts') ? 'ts' : 'cjs'}`, import.meta.url);
}

// Flags a child must not repeat: the parent's own program (`-e`/`-p` would run
// again instead of the entry, and `--input-type` is refused without them), a
// second debugger on the same port, and the test runner.
const VALUED = new Set(['-e', '--eval', '-p', '--print', '--input-type']);
const DROPPED = /^(--inspect(-brk|-wait|-port)?|--debug-port|--test|--eval|--print|--input-type)(=|$)/;

/**
 * The parent's `execArgv` as a child should get it: loader flags
 * (`--import tsx`, `--loader …`), memory and V8 flags are kept; `-e`/`-p`
 * with their script, `--input-type`, `--inspect*` and `--test` are dropped.
 */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (VALUED.has(arg)) i++;
    else if (!DROPPED.test(arg)) kept.push(arg);
  }
  return kept;
}

/** Options of {@link forkChild}. */
export interface ForkOptions {
  /** Extra `process.argv` entries for the child. */
  readonly argv?: readonly string[];
  /** A daemon child keeps neither its process handle nor its channel referenced: it does not keep the parent alive. */
  readonly daemon?: boolean;
  /** Node flags for the child after the parent's (see {@link childExecArgv}), e.g. a heap limit. */
  readonly execArgv?: readonly string[];
}

/**
 * Forks `entry` as a child process with an IPC channel using structured
 * clone (`serialization: 'advanced'`), the parent's loader flags, stdin on
 * `/dev/null` (as Python's multiprocessing does) and stdout/stderr shared
 * with the parent.
 *
 * The channel itself never keeps the parent alive (a `'message'` listener
 * would otherwise ref it); a non-daemon child keeps the parent alive through
 * its process handle until it exits.
 */
export function forkChild(entry: URL, options: ForkOptions = {}): ChildProcess {
  const child = fork(fileURLToPath(entry), [...(options.argv ?? [])], {
    serialization: 'advanced',
    execArgv: [...childExecArgv(), ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.channel?.unref();
  if (options.daemon) child.unref();
  return child;
}

/**
 * Describes `target(...args)` — or, when `run` is given, a subclass's
 * `run()` with `self` (the instance's own fields) as `this` — for a child
 * process. Everything is checked here, before a child exists.
 *
 * @param what names the target in errors (`Process target`).
 * @throws CaptureError for an inline function that captures variables.
 * @throws DataCloneError naming the path (`args[0]`) of anything that cannot
 *   cross — including a threads-scope shareable (Lock, Value, Queue…), whose
 *   state lives in this process's memory.
 */
export function describeCall(
  what: string,
  target: unknown,
  args: readonly unknown[],
  run?: { readonly fn: Function; readonly self: object },
): ProcessCall {
  const encoded = encode(args, { root: 'args', destination: 'process' });
  if (run !== undefined) {
    const self = encode({ ...run.self }, { root: 'this', destination: 'process' });
    return { target: { kind: 'inline', fn: functionSource(run.fn, what) }, args: encoded, self };
  }
  return { target: describeTarget(target, what), args: encoded, self: undefined };
}

/**
 * Serializes a message for the IPC channel now, so what structured clone
 * refuses (a `SharedArrayBuffer`, a typed array over one, a `Blob`…) fails
 * in the caller, before anything is sent, as a {@link DataCloneError} naming
 * the first argument at fault. Send the result as `{ …, payload }` and read
 * it with `unpackMessage` in the child.
 *
 * @param args the call's arguments, only to name the one that fails.
 */
export function packMessage(message: unknown, args: readonly unknown[] = []): Uint8Array {
  try {
    return serialize(message);
  } catch (error) {
    let path = 'the message';
    for (let i = 0; i < args.length; i++) {
      try {
        serialize(args[i]);
      } catch {
        path = `args[${i}]`;
        break;
      }
    }
    const reason = error instanceof Error ? error.message : String(error);
    const shared = /SharedArrayBuffer/.test(reason) ? ' (shared memory of the threads scope lives in this process only)' : '';
    throw new DataCloneError(path, `${path} cannot be sent to another process: ${reason}${shared}`, { cause: error });
  }
}

/**
 * A child's exit status as Python's `Process.exitcode` reports it: the exit
 * code, or the negative signal number when a signal ended it (-15 for
 * SIGTERM, -9 for SIGKILL).
 */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : constants.signals[signal];
  return number === undefined ? 1 : -number;
}

/** `-15` → `'SIGTERM'`, as Python's repr names a signal exit; other codes as numbers. */
export function exitCodeName(exitCode: number): string {
  if (exitCode >= 0) return String(exitCode);
  const name = Object.entries(constants.signals).find(([, number]) => number === -exitCode)?.[0];
  return name ?? String(exitCode);
}
