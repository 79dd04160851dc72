/**
 * The transport of thread pools: each worker thread gets a down ring (tasks)
 * and an up ring (results) in shared memory, and a MessagePort for bodies
 * that hold shared buffers or are too large for a ring. All workers of a
 * pool ring one doorbell word; while tasks are out the pool waits on it
 * without blocking (`Atomics.waitAsync`), drains every up ring when it
 * rings, and sends the next batch.
 */

import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { BrokenThreadPoolError, type WorkerDeath } from '../../errors.js';
import { workerScript } from '../../run/bootstrap.js';
import { sendError, type SentError } from '../../run/error-transfer.js';
import type { TargetDescription } from '../../run/task.js';
import type { Envelope } from '../../share/marshal.js';
import { snapshot } from '../../shared/registry-state.js';
import type { PoolWorkerStart } from '../../worker/pool-entry.js';
import type { Link, LinkEvents, Task, Transport } from '../engine.js';
import { allocateRing, largestBody, MessageRing, readerSleepWord, wake, type SleepWord } from './ring.js';
import {
  DEFINE, encodeBody, INIT_FAILED, ItemWriter, receive, PARTIAL, REPORT_START, RETURNED, send, SKIPPED, STARTED, STOP, TASK, THREW, ON_PORT, type Body,
} from './wire.js';

const entryUrl = new URL(`../../worker/pool-entry.${import.meta.url.endsWith('.ts') ? 'ts' : 'cjs'}`, import.meta.url);

/** Bytes in each ring. Bodies over a quarter of it go by the port. */
const RING_BYTES = 1 << 18;

export interface ThreadTransportOptions {
  readonly initializer: TargetDescription | undefined;
  readonly initargs: Envelope | undefined;
  readonly resourceLimits: ResourceLimits | undefined;
}

class ThreadLink implements Link {
  readonly #worker: Worker;
  readonly #down: MessageRing;
  readonly #downSleep: SleepWord;
  readonly #up: MessageRing;
  readonly #port: MessagePort;
  readonly #events: LinkEvents;
  readonly #transport: ThreadTransport;
  #exited = false;
  #death: WorkerDeath | undefined;

  constructor(transport: ThreadTransport, name: string, events: LinkEvents, options: ThreadTransportOptions, doorbell: SharedArrayBuffer) {
    this.#transport = transport;
    this.#events = events;
    const down = allocateRing(RING_BYTES);
    const up = allocateRing(RING_BYTES);
    this.#down = new MessageRing(down);
    this.#downSleep = readerSleepWord(down);
    this.#up = new MessageRing(up, { words: new Int32Array(doorbell), index: 0 });
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const start: PoolWorkerStart = {
      down, up, doorbell, port: port2, name, initializer: options.initializer, initargs: options.initargs, blocks: snapshot(),
    };
    const { script, eval: evaluate, workerData } = workerScript(entryUrl, start);
    this.#worker = new Worker(script, {
      eval: evaluate, workerData, transferList: [port2], name, resourceLimits: options.resourceLimits,
    });
    this.#worker.unref();
    this.#worker.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      this.#death = code === 'ERR_WORKER_OUT_OF_MEMORY' ? { kind: 'out-of-memory' } : { kind: 'uncaught', error };
    });
    this.#worker.once('exit', (exitCode) => {
      // What it answered before it died still counts.
      this.drain();
      this.#exited = true;
      this.#port.close();
      this.#transport.forget(this);
      this.#events.exited(this.#death ?? (exitCode === 0 ? undefined : { kind: 'exit', exitCode }));
    });
  }

  define(id: number, description: TargetDescription): boolean {
    return send(this.#down, this.#port, DEFINE, 0, id, 0, this.#transport.body(description, 'target'));
  }

  post(task: Task): boolean {
    const flags = (task.timeout !== undefined ? REPORT_START : 0) | task.chunk;
    if (!send(this.#down, this.#port, TASK, task.seq, task.target.id, flags, this.#transport.body(task.args, 'args', true))) return false;
    task.ticket = this.#down.lastWritten;
    return true;
  }

  withdraw(task: Task): boolean {
    return this.#down.withdraw(task.ticket, task.seq);
  }

  taken(task: Task): boolean {
    return this.#down.taken(task.ticket, task.seq);
  }

  flush(): void {
    if (this.#down.publish()) wake(this.#downSleep);
    this.#transport.listen();
  }

  stop(): void {
    if (this.#exited) return;
    // Sent only once every task is answered, so the ring has room.
    this.#down.write(STOP, 0, 0, 0, undefined, 0);
    this.flush();
  }

  kill(): void {
    if (!this.#exited) void this.#worker.terminate();
  }

  poll(): void {
    this.drain();
  }

  hasMessage(): boolean {
    return this.#up.hasMessage();
  }

  /** Hands every result waiting on the up ring to the engine. */
  drain(): void {
    const up = this.#up;
    for (let at = up.peek(); at >= 0; at = up.peek()) {
      const kind = up.word(at, 0) & ~ON_PORT;
      const seq = up.word(at, 1);
      const micros = up.word(at, 2);
      let body: unknown;
      let decoded = true;
      try {
        body = kind === STARTED || kind === SKIPPED ? undefined : receive(up, this.#port, at);
      } catch (error) {
        body = error;
        decoded = false;
      }
      up.consume(at);
      if (kind === RETURNED) {
        if (decoded) this.#events.returned(seq, body, micros);
        else this.#events.threw(seq, sendError(body), micros);
      } else if (kind === THREW) {
        this.#events.threw(seq, decoded ? (body as SentError) : sendError(body), micros);
      } else if (kind === PARTIAL) {
        if (!decoded) this.#events.threw(seq, sendError(body), micros);
        else this.#events.partial(seq, ...(body as [unknown[], [number, SentError][]]), micros);
      } else if (kind === STARTED) {
        this.#events.started(seq);
      } else if (kind === SKIPPED) {
        this.#events.skipped(seq);
      } else if (kind === INIT_FAILED) {
        this.#events.initFailed(decoded ? (body as SentError) : sendError(body));
      }
    }
  }
}

export class ThreadTransport implements Transport {
  readonly kind = 'thread';
  readonly #options: ThreadTransportOptions;
  readonly #doorbell = new SharedArrayBuffer(4);
  readonly #bell = new Int32Array(this.#doorbell);
  readonly #links = new Set<ThreadLink>();
  readonly #writer = new ItemWriter(4096);
  #busy = false;
  #listening = false;

  constructor(options: ThreadTransportOptions) {
    this.#options = options;
  }

  /** Encodes a body to send now (into one reused buffer); `args` as for `encodeBody`. */
  body(value: unknown, root: string, args = false): Body {
    return encodeBody(value, root, this.#writer, largestBody(RING_BYTES), args);
  }

  spawn(name: string, events: LinkEvents): Link {
    const link = new ThreadLink(this, name, events, this.#options, this.#doorbell);
    this.#links.add(link);
    return link;
  }

  forget(link: ThreadLink): void {
    this.#links.delete(link);
    // The listener may be parked waiting for this worker's answers.
    Atomics.notify(this.#bell, 0);
  }

  broken(message: string, cause: unknown): BrokenThreadPoolError {
    return new BrokenThreadPoolError(message, { cause });
  }

  setBusy(busy: boolean): void {
    this.#busy = busy;
    if (busy) this.listen();
  }

  /** Waits for answers while tasks are out; at most one listener runs. */
  listen(): void {
    if (this.#listening || !this.#busy) return;
    this.#listening = true;
    void this.#listen();
  }

  async #listen(): Promise<void> {
    const bell = this.#bell;
    try {
      while (this.#busy) {
        for (const link of this.#links) link.drain();
        if (!this.#busy) break;
        Atomics.store(bell, 0, 1);
        let waiting = false;
        for (const link of this.#links) waiting ||= link.hasMessage();
        if (waiting) {
          Atomics.store(bell, 0, 0);
          continue;
        }
        const result = Atomics.waitAsync(bell, 0, 1);
        if (result.async) await result.value;
        Atomics.store(bell, 0, 0);
      }
    } finally {
      this.#listening = false;
    }
  }
}

