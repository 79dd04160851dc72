/**
 * The shared-memory transport of process pools: each child process gets a
 * down ring (tasks) and an up ring (results) in processes-scope memory (POSIX
 * shared-memory segments the child maps too), woken with futexes, exactly
 * as a thread pool's workers get theirs in a `SharedArrayBuffer`. The
 * child blocks in a futex wait while its ring is empty; the pool waits on
 * its doorbell with the futex addon's async wait, so its event loop stays
 * free. No task costs an IPC message: what the engine sends in one dispatch
 * is one published batch and at most one wake-up.
 *
 * Bodies too large for a ring go in a lane beside it, a second ring the
 * pool makes (lanes.ts). Node's IPC channel stays for what
 * the rings do not carry: starting the child (its rings and initializer),
 * its death (the channel closing with the process), the error it dies of,
 * and bodies too large for a lane — those go on the channel, announced in
 * order by an `ON_PORT` ring message.
 * Shareables in arguments and results cross in the ring as serialized
 * envelopes (segment slices; see wire.ts).
 */

import type { ChildProcess } from 'node:child_process';
import { BrokenProcessPoolError } from '../../errors.js';
import { futexWaiter } from '../../memory/futex-waiter.js';
import { describeShared, processesMemory } from '../../memory/processes-memory.js';
import { childEntry, forkChild } from '../../run/child.js';
import { receiveError } from '../../run/error-transfer.js';
import type { Down, PoolChildInit, Up } from '../../worker/pool-process-entry.js';
import type { ChildRings } from '../../worker/pool-process-rings.js';
import type { Link, LinkEvents, Transport } from '../engine.js';
import { Doorbell } from './doorbell.js';
import type { ProcessBody } from './process-body.js';
import { childDeath, type ProcessTransportOptions } from './processes.js';
import { allocateLane, OutgoingLane } from './lanes.js';
import { RingLink } from './ring-link.js';
import { allocateRing, largestBody, type RingBuffers } from './ring.js';
import { encodeBody, ItemWriter, type Body, type SideChannel } from './wire.js';

const entry = childEntry('pool-process-entry');

/** Bytes in each ring. Bodies over a quarter of it go in a lane beside it (see lanes.ts), or on the IPC channel. */
const RING_BYTES = 1 << 18;

function slices(ring: RingBuffers): ChildRings['down'] {
  return { control: describeShared(ring.control), data: describeShared(ring.data) };
}

class ProcessRingLink extends RingLink {
  readonly #child: ChildProcess;
  readonly #transport: ProcessRingTransport;
  readonly #side: SideChannel;
  /** Bodies the child sent on the channel, in the order its ring announces them. */
  readonly #bodies: ProcessBody[] = [];
  #exited = false;
  #uncaught: unknown;

  constructor(transport: ProcessRingTransport, name: string, events: LinkEvents, options: ProcessTransportOptions, doorbell: Doorbell) {
    const down = allocateRing(RING_BYTES, processesMemory);
    const up = allocateRing(RING_BYTES, processesMemory);
    super(down, up, doorbell, events, futexWaiter);
    this.#transport = transport;
    // Neither the process nor its channel keeps the parent alive; the engine holds the event loop while tasks are out.
    const child = forkChild(entry, { daemon: true, execArgv: options.execArgv });
    this.#child = child;
    const lane = new OutgoingLane(this.down);
    this.#side = { postMessage: (body) => child.send({ body } satisfies Down), lane: (length) => lane.take(length) };
    child.on('message', (message: Up) => {
      if ('body' in message) {
        this.#bodies.push(message.body);
        // The doorbell's drain may have stopped at the message announcing it.
        this.drain();
      } else if ('uncaught' in message) {
        this.#uncaught = receiveError(message.uncaught);
      }
    });
    child.on('error', () => {
      // A failed send to a child that has died; its exit reports it.
    });
    child.once('close', (code, signal) => {
      // What it answered before it died still counts (every body it sent has come: the channel is closed).
      this.drain();
      this.#exited = true;
      this.forget();
      events.exited(childDeath(this.#uncaught, code, signal));
    });
    const upLane = allocateLane();
    this.useLane(upLane);
    const rings: ChildRings = { down: slices(down), up: slices(up), upLane: slices(upLane), doorbell: describeShared(doorbell.word.words) };
    const init: PoolChildInit = { name, initializer: options.initializer, initargs: options.initargs, rings };
    child.send({ init } satisfies Down);
  }

  protected get side(): SideChannel {
    return this.#side;
  }

  protected get exited(): boolean {
    return this.#exited;
  }

  protected body(value: unknown, root: string, args = false): Body {
    return this.#transport.body(value, root, args);
  }

  protected nextAside(): ProcessBody | undefined {
    return this.#bodies.shift();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  kill(): void {
    if (!this.#exited) this.#child.kill('SIGKILL');
  }
}

/** Process pools over shared-memory rings (see the module comment); needs the processes scope's addon. */
export class ProcessRingTransport implements Transport {
  readonly kind = 'process';
  readonly #options: ProcessTransportOptions;
  readonly #doorbell = new Doorbell(processesMemory);
  readonly #writer = new ItemWriter(4096);

  constructor(options: ProcessTransportOptions) {
    this.#options = options;
  }

  /** Encodes a body to send now (into one reused buffer); `args` as for `encodeBody`. */
  body(value: unknown, root: string, args = false): Body {
    return encodeBody(value, root, this.#writer, largestBody(RING_BYTES), args, 'process');
  }

  spawn(name: string, events: LinkEvents): Link {
    return new ProcessRingLink(this, name, events, this.#options, this.#doorbell);
  }

  broken(message: string, cause: unknown): BrokenProcessPoolError {
    return new BrokenProcessPoolError(message, { cause });
  }

  setBusy(busy: boolean): void {
    this.#doorbell.setBusy(busy);
  }
}
