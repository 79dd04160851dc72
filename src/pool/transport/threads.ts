/**
 * The transport of thread pools: each worker thread gets a down ring (tasks)
 * and an up ring (results) in shared memory, and a MessagePort for bodies
 * that hold shared buffers or are too large for a ring. All workers of a
 * pool ring one doorbell word; while tasks are out the pool waits on it
 * without blocking (`Atomics.waitAsync`), drains every up ring when it
 * rings, and sends the next batch.
 */

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { BrokenThreadPoolError, type WorkerDeath } from '../../errors.js';
import { threadsMemory } from '../../memory/memory.js';
import { workerScript } from '../../run/bootstrap.js';
import type { TargetDescription } from '../../run/task.js';
import type { Envelope } from '../../share/marshal.js';
import { snapshot } from '../../shared/registry-state.js';
import type { PoolWorkerStart } from '../../worker/pool-entry.js';
import type { Link, LinkEvents, Transport } from '../engine.js';
import { Doorbell } from './doorbell.js';
import { RingLink } from './ring-link.js';
import { allocateRing, largestBody } from './ring.js';
import { encodeBody, ItemWriter, type Body, type SideChannel } from './wire.js';

const entryUrl = new URL(`../../worker/pool-entry.${import.meta.url.endsWith('.ts') ? 'ts' : 'cjs'}`, import.meta.url);

/** Bytes in each ring. Bodies over a quarter of it go by the port. */
const RING_BYTES = 1 << 18;

export interface ThreadTransportOptions {
  readonly initializer: TargetDescription | undefined;
  readonly initargs: Envelope | undefined;
  readonly resourceLimits: ResourceLimits | undefined;
}

class ThreadLink extends RingLink {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #transport: ThreadTransport;
  #exited = false;
  #death: WorkerDeath | undefined;

  constructor(transport: ThreadTransport, name: string, events: LinkEvents, options: ThreadTransportOptions, doorbell: Doorbell) {
    const down = allocateRing(RING_BYTES);
    const up = allocateRing(RING_BYTES);
    super(down, up, doorbell, events, threadsMemory.waiter);
    this.#transport = transport;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const start: PoolWorkerStart = {
      down, up, doorbell: doorbell.word.words.buffer as SharedArrayBuffer, port: port2, name, initializer: options.initializer, initargs: options.initargs, blocks: snapshot(),
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
      this.forget();
      events.exited(this.#death ?? (exitCode === 0 ? undefined : { kind: 'exit', exitCode }));
    });
  }

  protected get side(): SideChannel {
    return this.#port;
  }

  protected get exited(): boolean {
    return this.#exited;
  }

  protected body(value: unknown, root: string, args = false): Body {
    return this.#transport.body(value, root, args);
  }

  protected nextAside(): Envelope | undefined {
    // Posted before its ring message was published: it is there.
    return receiveMessageOnPort(this.#port)?.message as Envelope | undefined;
  }

  kill(): void {
    if (!this.#exited) void this.#worker.terminate();
  }
}

export class ThreadTransport implements Transport {
  readonly kind = 'thread';
  readonly #options: ThreadTransportOptions;
  readonly #doorbell = new Doorbell(threadsMemory);
  readonly #writer = new ItemWriter(4096);

  constructor(options: ThreadTransportOptions) {
    this.#options = options;
  }

  /** Encodes a body to send now (into one reused buffer); `args` as for `encodeBody`. */
  body(value: unknown, root: string, args = false): Body {
    return encodeBody(value, root, this.#writer, largestBody(RING_BYTES), args);
  }

  spawn(name: string, events: LinkEvents): Link {
    return new ThreadLink(this, name, events, this.#options, this.#doorbell);
  }

  broken(message: string, cause: unknown): BrokenThreadPoolError {
    return new BrokenThreadPoolError(message, { cause });
  }

  setBusy(busy: boolean): void {
    this.#doorbell.setBusy(busy);
  }
}
