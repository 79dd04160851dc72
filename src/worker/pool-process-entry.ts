/**
 * The entry of a process-pool worker: a child process that runs the
 * initializer, then runs the tasks its pool sends, one at a time, in order.
 *
 * On the shared-memory transport (the init message names rings), tasks and
 * results go through the rings (see `pool-process-rings.ts`) and the IPC
 * channel only carries the bodies too large for them. Otherwise tasks
 * arrive over Node's IPC channel in batches (one message per window
 * of tasks). Each result is sent as soon as it exists, before the next task
 * runs, as Python's workers do: a task that kills its process (SIGKILL,
 * `process.exit()`) must not take the finished results before it along.
 */

import { sendError, type SentError } from '../run/error-transfer.js';
import { exitWithParent, leaveParent, reportUncaught } from '../run/in-child.js';
import { loadTarget } from '../run/load.js';
import type { TargetDescription } from '../run/task.js';
import { decodeAsync, type Envelope } from '../share/marshal.js';
import { needsRevival, packForProcess, unpack, type ProcessBody } from '../pool/transport/process-body.js';
import { CHUNK, DEFINE, INIT_FAILED, ITEMS, PARTIAL, REPORT_START, RETURNED, STARTED, STOP, THREW } from '../pool/transport/wire.js';
import { loadBuiltins } from './load-builtins.js';
import { receiveBody, serveOverRings, type ChildRings } from './pool-process-rings.js';
import { isThenable, partialBody, PartialChunk, runChunk } from '../pool/worker-side.js';

type AnyFunction = (...args: any[]) => any;

/** What the pool sends: a batch of [kind, seq, target id, flags, body], or a body its ring announces. */
export type Down =
  | { readonly init: PoolChildInit }
  | { readonly batch: readonly (readonly [number, number, number, number, unknown])[] }
  | { readonly body: ProcessBody };
/** What the child sends: a batch of [kind, seq, run µs, body], a body its ring announces, or the error it is dying of. */
export type Up = { readonly batch: readonly (readonly [number, number, number, unknown])[] } | { readonly body: ProcessBody } | { readonly uncaught: SentError };

export interface PoolChildInit {
  readonly name: string;
  readonly initializer: TargetDescription | undefined;
  readonly initargs: Envelope | undefined;
  /** Set on the shared-memory transport: the rings to serve. */
  readonly rings?: ChildRings;
}

exitWithParent();

const queue: (readonly [number, number, number, number, unknown])[] = [];
const targets = new Map<number, AnyFunction>();
let results: [number, number, number, unknown][] = [];
let init: Promise<boolean> | undefined;
let running = false;
let builtinsLoaded = false;

// Tell the pool how this worker died, then die as Node would.
reportUncaught((uncaught) => ({ uncaught }) satisfies Up);

function flush(): void {
  if (results.length === 0 || !process.connected) return;
  const batch = results;
  results = [];
  process.send!({ batch } satisfies Up);
}

function reply(kind: number, seq: number, micros: number, body: unknown): void {
  results.push([kind, seq, micros, body]);
}


async function revive(envelope: Envelope): Promise<unknown> {
  if (envelope.patches !== undefined && !builtinsLoaded) {
    await loadBuiltins();
    builtinsLoaded = true;
  }
  return decodeAsync(envelope);
}

async function initialize(start: PoolChildInit): Promise<boolean> {
  process.title = start.name;
  if (start.initializer === undefined) return true;
  try {
    const initializer = await loadTarget(start.initializer);
    const args = start.initargs === undefined ? [] : ((await revive(start.initargs)) as unknown[]);
    const result = initializer(...args);
    if (isThenable(result)) await result;
    return true;
  } catch (error) {
    reply(INIT_FAILED, 0, 0, sendError(error));
    flush();
    return false;
  }
}


async function run(): Promise<void> {
  running = true;
  try {
    if (!(await init!)) return;
    while (queue.length > 0) {
      const [kind, seq, id, flags, body] = queue.shift()!;
      if (kind === STOP) {
        flush();
        leave();
        return;
      }
      if (kind === DEFINE) {
        try {
          targets.set(id, await loadTarget(body as TargetDescription));
        } catch (error) {
          targets.set(id, () => {
            throw error;
          });
        }
        continue;
      }
      if ((flags & REPORT_START) !== 0) {
        reply(STARTED, seq, 0, undefined);
        flush();
      }
      const began = performance.now();
      let kindOut = RETURNED;
      let out: unknown;
      try {
        const packed = body as ProcessBody;
        const args = (needsRevival(packed) ? await revive(packed as Envelope) : unpack(packed)) as unknown[];
        const fn = targets.get(id);
        if (fn === undefined) throw new Error(`weft pool: task ${seq} names target ${id}, which was never defined in this worker`);
        let result = (flags & CHUNK) !== 0 ? runChunk(fn, args, (flags & ITEMS) !== 0) : fn(...args);
        if (isThenable(result)) result = await result;
        // Checked here, so a result that cannot cross fails its task and not the batch.
        if (result instanceof PartialChunk) {
          kindOut = PARTIAL;
          result = partialBody(result);
        }
        out = packForProcess(result, 'result');
      } catch (error) {
        kindOut = THREW;
        out = sendError(error);
      }
      reply(kindOut, seq, Math.round((performance.now() - began) * 1000), out);
      // Sent before the next task runs: a task that kills this process must
      // not take the results of the ones before it along.
      flush();
    }
    flush();
  } finally {
    running = false;
  }
}

/** Told to stop over the rings: leave, exiting even if a task left a timer or socket behind. */
function leave(): void {
  leaveParent();
  setTimeout(() => process.exit(0), 50);
}

process.on('message', (message: Down) => {
  if ('body' in message) {
    receiveBody(message.body);
    return;
  }
  if ('init' in message) {
    const { rings } = message.init;
    if (rings === undefined) {
      init = initialize(message.init);
      return;
    }
    process.title = message.init.name;
    void serveOverRings(rings, message.init.initializer, message.init.initargs).then(leave);
    return;
  }
  for (const item of message.batch) queue.push(item);
  if (!running) void run();
});
