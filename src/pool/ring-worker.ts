/**
 * A pool worker's loop over its rings — in a worker thread (worker/pool-entry.ts)
 * or a child process (worker/pool-process-rings.ts): run the initializer,
 * then take tasks from the down ring, run them one at a time and put each
 * result on the up ring, until told to stop.
 *
 * When the ring is empty the worker sleeps. If nothing else is pending in
 * its event loop (no timer, socket or file operation a task left behind) it
 * blocks its thread in the ring's wait, which wakes fastest; otherwise it
 * waits without blocking, so what the tasks started still runs.
 */

import { deserialize } from 'node:v8';
import { hold, release } from '../memory/keep-alive.js';
import { decodeItem } from '../queue/codec.js';
import { sendError } from '../run/error-transfer.js';
import { loadTarget } from '../run/load.js';
import type { TargetDescription } from '../run/task.js';
import { decodeAsync, type Destination, type Envelope } from '../share/marshal.js';
import { loadBuiltins } from '../worker/load-builtins.js';
import { needsRevival, unpack, type ProcessBody } from './transport/process-body.js';
import { IncomingLane, IN_LANE, LANE } from './transport/lanes.js';
import { largestBody, wake, type MessageRing, type SleepWord } from './transport/ring.js';
import {
  CHUNK, DEFINE, encodeBody, INIT_FAILED, ITEMS, ItemWriter, KIND_MASK, ON_PORT, PARTIAL, REPORT_START, RETURNED, send, serializedEnvelope, SERIALIZED,
  SKIPPED, STARTED, STOP, THREW, type Body, type SideChannel,
} from './transport/wire.js';
import { isThenable, partialBody, PartialChunk, runChunk } from './worker-side.js';

type AnyFunction = (...args: any[]) => any;

/** What differs between a worker thread and a child process. */
export interface WorkerSide extends SideChannel {
  /** Where bodies are encoded for: `'process'` serializes envelopes into the ring. */
  readonly destination: Destination;
  /** The next body the pool sent on the side channel (a ring message with `ON_PORT` announced it). */
  next(): ProcessBody | Promise<ProcessBody>;
  /** Whether nothing but the rings needs this thread's event loop: it may then block. */
  idle(): boolean;
  /**
   * Longest blocking sleep in milliseconds; after it the loop lets its event
   * loop run once (a child sees there that its parent is gone) and sleeps again.
   */
  readonly blockMs: number;
}

/** What the worker needs to serve. */
export interface RingWorkerStart {
  readonly down: MessageRing;
  /** Its reader is the pool, sleeping on the pool's doorbell. */
  readonly up: MessageRing;
  readonly doorbell: SleepWord;
  readonly side: WorkerSide;
  readonly initializer: TargetDescription | undefined;
  readonly initargs: Envelope | undefined;
}

/**
 * How long an idle worker with nothing else to do watches its ring before it
 * sleeps. A pool awaiting one result at a time sends the next task a few
 * microseconds after the last answer; caught by the watch, it costs neither
 * side a wake-up (the pool sees the worker awake and does not notify).
 */
const WATCH_MICROS = 50;

const YIELD = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Serves tasks until the pool sends STOP (or the initializer fails). */
export function serveRing(start: RingWorkerStart): Promise<void> {
  return new RingWorker(start).serve();
}

class RingWorker {
  readonly #down: MessageRing;
  readonly #up: MessageRing;
  readonly #doorbell: SleepWord;
  readonly #side: WorkerSide;
  readonly #start: RingWorkerStart;
  readonly #largest: number;
  readonly #writer = new ItemWriter(4096);
  readonly #targets = new Map<number, AnyFunction>();
  /** Where the pool's large bodies come, once it has announced it. */
  readonly #lane = new IncomingLane();
  #builtinsLoaded = false;

  constructor(start: RingWorkerStart) {
    this.#start = start;
    this.#down = start.down;
    this.#up = start.up;
    this.#doorbell = start.doorbell;
    this.#side = start.side;
    this.#largest = largestBody(start.up.capacity);
  }

  #publish(): void {
    if (this.#up.publish()) wake(this.#doorbell, this.#up.waiter);
  }

  /** Puts one message on the up ring, waiting for the pool to make room if it must. */
  #reply(kind: number, seq: number, micros: number, body: Body | undefined): void {
    while (!send(this.#up, this.#side, kind, seq, micros, 0, body)) {
      this.#publish();
      this.#up.waitForSpaceSync(100);
    }
    this.#publish();
  }

  /** `dense`: `value` is an array with no holes or other properties (see `encodeBody`'s `args`). */
  #encode(value: unknown, root: string, dense = false): Body {
    return encodeBody(value, root, this.#writer, this.#largest, dense, this.#side.destination);
  }

  /** `chunk`: `value` is what a chunk returned (a dense list of results, or a PartialChunk). */
  #replyValue(seq: number, micros: number, value: unknown, chunk: boolean): void {
    const partial = value instanceof PartialChunk;
    let body: Body;
    try {
      body = partial ? this.#encode(partialBody(value), 'result') : this.#encode(value, 'result', chunk);
    } catch (error) {
      this.#replyError(seq, micros, error);
      return;
    }
    this.#reply(partial ? PARTIAL : RETURNED, seq, micros, body);
  }

  #replyError(seq: number, micros: number, error: unknown): void {
    this.#reply(THREW, seq, micros, this.#encode(sendError(error), 'error'));
  }

  async #revive(body: ProcessBody): Promise<unknown> {
    if (!needsRevival(body)) return unpack(body);
    if (!this.#builtinsLoaded) {
      await loadBuiltins();
      this.#builtinsLoaded = true;
    }
    return decodeAsync(body as Envelope);
  }

  /** The body of the message at `at` (a promise if it comes beside the ring or holds shareables), and frees it. */
  #take(at: number): unknown {
    const down = this.#down;
    const word = down.word(at, 0);
    const serialized = (word & SERIALIZED) !== 0;
    // Consumed whatever happens: a body that fails to decode fails its task, and the next message is the next task.
    try {
      if ((word & IN_LANE) !== 0) {
        const body = this.#lane.take(serialized);
        return serialized ? this.#revive(body as Envelope) : body;
      }
      if ((word & ON_PORT) !== 0) {
        const aside = this.#side.next();
        const revive = (sent: ProcessBody): Promise<unknown> => this.#revive(serialized ? (deserialize(sent as Uint8Array) as Envelope) : sent);
        return aside instanceof Promise ? aside.then(revive) : revive(aside);
      }
      if (serialized) return this.#revive(serializedEnvelope(down, at));
      const length = down.bodyLength(at);
      return length === 0 ? undefined : decodeItem(down.bytes, down.bodyStart(at), length, []);
    } finally {
      down.consume(at);
    }
  }

  #watch(): boolean {
    const down = this.#down;
    const until = performance.now() + WATCH_MICROS / 1000;
    for (;;) {
      for (let i = 0; i < 64; i++) if (down.hasMessage()) return true;
      if (performance.now() >= until) return false;
    }
  }

  async #sleep(): Promise<void> {
    const down = this.#down;
    if (this.#side.idle()) {
      if (this.#watch() || !down.prepareToSleep()) return;
      if (!down.sleepSync(this.#side.blockMs)) await YIELD();
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

  async serve(): Promise<void> {
    const { initializer, initargs } = this.#start;
    if (initializer !== undefined) {
      try {
        const fn = await loadTarget(initializer);
        const args = initargs === undefined ? [] : ((await this.#revive(initargs)) as unknown[]);
        const result = fn(...args);
        if (isThenable(result)) await result;
      } catch (error) {
        this.#reply(INIT_FAILED, 0, 0, this.#encode(sendError(error), 'error'));
        return;
      }
    }
    const down = this.#down;
    const targets = this.#targets;
    for (;;) {
      const at = down.peek();
      if (at < 0) {
        await this.#sleep();
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
      if (kind === LANE) {
        try {
          this.#lane.attach(down, at);
        } catch {
          // Not attached: each task whose body is in the lane fails saying the lane is missing.
        }
        down.consume(at);
        continue;
      }
      if (kind === DEFINE) {
        try {
          const description = (await this.#take(at)) as TargetDescription;
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
        const word = down.word(at, 0);
        if ((word & IN_LANE) !== 0) this.#lane.skip();
        else if ((word & ON_PORT) !== 0) await this.#side.next();
        down.consume(at);
        this.#reply(SKIPPED, seq, 0, undefined);
        continue;
      }
      if ((flags & REPORT_START) !== 0) this.#reply(STARTED, seq, 0, undefined);
      const began = performance.now();
      try {
        let args = this.#take(at) as unknown[] | Promise<unknown[]>;
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
        this.#replyValue(seq, Math.round((performance.now() - began) * 1000), result, (flags & CHUNK) !== 0);
      } catch (error) {
        this.#replyError(seq, Math.round((performance.now() - began) * 1000), error);
      }
    }
  }
}
