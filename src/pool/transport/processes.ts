/**
 * The IPC transport of process pools (`transport: 'ipc'`, and the default
 * where the processes scope's addon is unavailable; the shared-memory one is
 * process-rings.ts): each worker is a child process, reached over Node's IPC
 * channel with structured-clone ("advanced") serialization.
 * Not one message per task: what the engine sends in one dispatch goes as
 * one batch, and the child answers in batches too (see
 * `worker/pool-process-entry.ts`). Arguments and results are checked by the
 * marshaller first, so one that cannot cross fails its own task — naming the
 * path — and never the batch.
 */

import type { ChildProcess } from 'node:child_process';
import { BrokenProcessPoolError, type WorkerDeath } from '../../errors.js';
import { childEntry, forkChild } from '../../run/child.js';
import { receiveError, sendError, type SentError } from '../../run/error-transfer.js';
import type { TargetDescription } from '../../run/task.js';
import { encode, type Envelope } from '../../share/marshal.js';
import { packForProcess, unpack, type ProcessBody } from './process-body.js';
import type { Down, PoolChildInit, Up } from '../../worker/pool-process-entry.js';
import type { Link, LinkEvents, Task, Transport } from '../engine.js';
import { DEFINE, INIT_FAILED, PARTIAL, REPORT_START, RETURNED, STARTED, STOP, TASK, THREW } from './wire.js';

const entry = childEntry('pool-process-entry');

export interface ProcessTransportOptions {
  readonly initializer: TargetDescription | undefined;
  readonly initargs: Envelope | undefined;
  /** Extra Node flags for the children (heap limits). */
  readonly execArgv: readonly string[];
}

/** Refers the user to what works when a threads-scope shareable is sent to a process. */
export function encodeForProcess(value: unknown, root: string): Envelope {
  return encode(value, { root, destination: 'process' });
}

/** How a pool's child died, from its exit and the uncaught error it reported (if any); undefined for a clean exit. */
export function childDeath(uncaught: unknown, code: number | null, signal: NodeJS.Signals | null): WorkerDeath | undefined {
  if (uncaught !== undefined) return { kind: 'uncaught', error: uncaught };
  if (signal !== null) return { kind: 'signal', signal };
  if (code !== 0) return { kind: 'exit', exitCode: code ?? 1 };
  return undefined;
}

class ProcessLink implements Link {
  readonly #child: ChildProcess;
  readonly #events: LinkEvents;
  #batch: [number, number, number, number, unknown][] = [];
  #exited = false;
  #uncaught: unknown;

  constructor(name: string, events: LinkEvents, options: ProcessTransportOptions) {
    this.#events = events;
    // Neither the process nor its channel keeps the parent alive; the engine holds the event loop while tasks are out.
    this.#child = forkChild(entry, { daemon: true, execArgv: options.execArgv });
    this.#child.on('message', (message: Up) => this.#receive(message));
    this.#child.on('error', () => {
      // A failed send to a child that has died; its exit reports it.
    });
    this.#child.once('close', (code, signal) => {
      this.#exited = true;
      this.#events.exited(childDeath(this.#uncaught, code, signal));
    });
    const init: PoolChildInit = { name, initializer: options.initializer, initargs: options.initargs };
    this.#child.send({ init } satisfies Down);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  #receive(message: Up): void {
    if ('uncaught' in message) {
      this.#uncaught = receiveError(message.uncaught);
      return;
    }
    if (!('batch' in message)) return;
    for (const [kind, seq, micros, body] of message.batch) {
      if (kind === RETURNED || kind === PARTIAL) {
        let value: unknown;
        try {
          value = unpack(body as ProcessBody);
        } catch (error) {
          this.#events.threw(seq, sendError(error), micros);
          continue;
        }
        if (kind === RETURNED) this.#events.returned(seq, value, micros);
        else this.#events.partial(seq, ...(value as [unknown[], [number, SentError][]]), micros);
      } else if (kind === THREW) {
        this.#events.threw(seq, body as SentError, micros);
      } else if (kind === STARTED) {
        this.#events.started(seq);
      } else if (kind === INIT_FAILED) {
        this.#events.initFailed(body as SentError);
      }
    }
  }

  define(id: number, description: TargetDescription): boolean {
    this.#batch.push([DEFINE, 0, id, 0, description]);
    return true;
  }

  post(task: Task): boolean {
    const flags = (task.timeout !== undefined ? REPORT_START : 0) | task.chunk;
    this.#batch.push([TASK, task.seq, task.target.id, flags, packForProcess(task.args, 'args')]);
    return true;
  }

  flush(): void {
    if (this.#batch.length === 0 || this.#exited || !this.#child.connected) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#child.send({ batch } satisfies Down);
  }

  stop(): void {
    this.#batch.push([STOP, 0, 0, 0, undefined]);
    this.flush();
  }

  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }
}

export class ProcessTransport implements Transport {
  readonly kind = 'process';
  readonly #options: ProcessTransportOptions;

  constructor(options: ProcessTransportOptions) {
    this.#options = options;
  }

  spawn(name: string, events: LinkEvents): Link {
    return new ProcessLink(name, events, this.#options);
  }

  broken(message: string, cause: unknown): BrokenProcessPoolError {
    return new BrokenProcessPoolError(message, { cause });
  }
}
