/**
 * The entry of a thread-pool worker: run the initializer, then take tasks
 * from the down ring, run them one at a time and put each result on the up
 * ring, until told to stop.
 *
 * When the ring is empty the worker sleeps. If nothing else is pending in
 * its event loop (no timer, socket or file operation a task left behind) it
 * blocks in `Atomics.wait`, which wakes fastest; otherwise it waits with
 * `Atomics.waitAsync`, so what the tasks started still runs.
 */

import { workerData, type MessagePort } from 'node:worker_threads';
import { decodeAsync, type Envelope } from '../share/marshal.js';
import { loadTarget } from '../run/load.js';
import { sendError } from '../run/error-transfer.js';
import { current } from '../run/thread-state.js';
import { seed } from '../shared/registry-state.js';
import { hold, release } from '../memory/keep-alive.js';
import { decodeItem } from '../queue/codec.js';
import { largestBody, MessageRing, wake, type RingBuffers, type SleepWord } from '../pool/transport/ring.js';
import {
  CHUNK, DEFINE, encodeBody, INIT_FAILED, ITEMS, ItemWriter, KIND_MASK, ON_PORT, PARTIAL, portEnvelope, REPORT_START, RETURNED, send, SKIPPED, STARTED, STOP, THREW, type Body,
} from '../pool/transport/wire.js';
import { loadBuiltins } from './load-builtins.js';
import { isThenable, partialBody, PartialChunk, runChunk } from '../pool/worker-side.js';
import type { TargetDescription } from '../run/task.js';

type AnyFunction = (...args: any[]) => any;

/** What a pool sends a new worker. */
export interface PoolWorkerStart {
  readonly down: RingBuffers;
  readonly up: RingBuffers;
  /** The pool's doorbell: the pool sleeps on word 0 of it while it waits for results. */
  readonly doorbell: SharedArrayBuffer;
  readonly port: MessagePort;
  readonly name: string;
  readonly initializer: TargetDescription | undefined;
  readonly initargs: Envelope | undefined;
  readonly blocks: Map<string, SharedArrayBuffer>;
}

const start = (workerData as { data: PoolWorkerStart }).data;
seed(start.blocks);
current.name = start.name;
current.daemon = true;
current.main = false;

const port = start.port;
const down = new MessageRing(start.down);
const doorbell: SleepWord = { words: new Int32Array(start.doorbell), index: 0 };
const up = new MessageRing(start.up, doorbell);
const largest = largestBody(up.capacity);
const writer = new ItemWriter(4096);
const targets = new Map<number, AnyFunction>();
let builtinsLoaded = false;

function publish(): void {
  if (up.publish()) wake(doorbell);
}

/** Puts one message on the up ring, waiting for the pool to make room if it must. */
function reply(kind: number, seq: number, micros: number, body: Body | undefined): void {
  while (!send(up, port, kind, seq, micros, 0, body)) {
    publish();
    up.waitForSpaceSync(100);
  }
  publish();
}

function replyValue(seq: number, micros: number, value: unknown): void {
  const partial = value instanceof PartialChunk;
  let body: Body;
  try {
    body = encodeBody(partial ? partialBody(value) : value, 'result', writer, largest);
  } catch (error) {
    replyError(seq, micros, error);
    return;
  }
  reply(partial ? PARTIAL : RETURNED, seq, micros, body);
}

function replyError(seq: number, micros: number, error: unknown): void {
  reply(THREW, seq, micros, encodeBody(sendError(error), 'error', writer, largest));
}


async function revive(envelope: Envelope): Promise<unknown> {
  if (envelope.patches !== undefined && !builtinsLoaded) {
    await loadBuiltins();
    builtinsLoaded = true;
  }
  return decodeAsync(envelope);
}

/** The body of the message at `at` (a promise if it holds shareables), and frees it. */
function take(at: number): unknown {
  if ((down.word(at, 0) & ON_PORT) !== 0) {
    const envelope = portEnvelope(port);
    down.consume(at);
    return revive(envelope);
  }
  const length = down.bodyLength(at);
  const value = length === 0 ? undefined : decodeItem(down.bytes, down.bodyStart(at), length, []);
  down.consume(at);
  return value;
}

/**
 * How long an idle worker with nothing else to do watches its ring before it
 * sleeps. A pool awaiting one result at a time sends the next task a few
 * microseconds after the last answer; caught by the watch, it costs neither
 * side a futex wake-up (the pool sees the worker awake and does not notify).
 */
const WATCH_MICROS = 50;

function watch(): boolean {
  const until = performance.now() + WATCH_MICROS / 1000;
  for (;;) {
    for (let i = 0; i < 64; i++) if (down.hasMessage()) return true;
    if (performance.now() >= until) return false;
  }
}

async function sleep(): Promise<void> {
  if (process.getActiveResourcesInfo().length === 0) {
    if (watch() || !down.prepareToSleep()) return;
    down.sleepSync();
    return;
  }
  if (!down.prepareToSleep()) return;
  hold();
  try {
    await down.sleepAsync();
  } finally {
    release();
  }
}


async function serve(): Promise<void> {
  if (start.initializer !== undefined) {
    try {
      const initializer = await loadTarget(start.initializer);
      const args = start.initargs === undefined ? [] : ((await revive(start.initargs)) as unknown[]);
      const result = initializer(...args);
      if (isThenable(result)) await result;
    } catch (error) {
      reply(INIT_FAILED, 0, 0, encodeBody(sendError(error), 'error', writer, largest));
      return;
    }
  }
  for (;;) {
    const at = down.peek();
    if (at < 0) {
      await sleep();
      continue;
    }
    const kind = down.word(at, 0) & KIND_MASK;
    const seq = down.word(at, 1);
    const id = down.word(at, 2);
    const flags = down.word(at, 3);
    if (kind === STOP) {
      down.consume(at);
      return;
    }
    if (kind === DEFINE) {
      let description: TargetDescription | undefined;
      try {
        description = (await take(at)) as TargetDescription;
        targets.set(id, await loadTarget(description));
      } catch (error) {
        // Every task naming this target fails with the reason.
        targets.set(id, () => {
          throw error;
        });
      }
      continue;
    }
    // A task, unless the pool took it back first (a cancelled future).
    if (!down.claim(at)) {
      if ((down.word(at, 0) & ON_PORT) !== 0) portEnvelope(port);
      down.consume(at);
      reply(SKIPPED, seq, 0, undefined);
      continue;
    }
    if ((flags & REPORT_START) !== 0) reply(STARTED, seq, 0, undefined);
    const began = performance.now();
    try {
      let args = take(at) as unknown[] | Promise<unknown[]>;
      if (args instanceof Promise) args = await args;
      const fn = targets.get(id);
      if (fn === undefined) throw new Error(`weft pool: task ${seq} names target ${id}, which was never defined in this worker`);
      let result = (flags & CHUNK) !== 0 ? runChunk(fn, args, (flags & ITEMS) !== 0) : fn(...args);
      if (isThenable(result)) {
        // A promise alone does not keep a thread alive: a task waiting on one
        // that never settles must time out, not end its worker.
        hold();
        try {
          result = await result;
        } finally {
          release();
        }
      }
      replyValue(seq, Math.round((performance.now() - began) * 1000), result);
    } catch (error) {
      replyError(seq, Math.round((performance.now() - began) * 1000), error);
    }
  }
}

// No top-level await: the built entry is CommonJS (see scripts/bundle-worker.mjs).
// Told to stop, the thread exits even if a task left a timer or socket behind.
void serve().finally(() => {
  port.close();
  process.exit(0);
});
