/**
 * The entry of a thread-pool worker: serves the pool over its rings (see
 * `pool/ring-worker.ts`), with the worker's MessagePort beside them for
 * bodies that hold shareables or are too large for a ring.
 */

import { workerData, type MessagePort } from 'node:worker_threads';
import type { Envelope } from '../share/marshal.js';
import { current } from '../run/thread-state.js';
import { seed } from '../shared/registry-state.js';
import { MessageRing, type RingBuffers, type SleepWord } from '../pool/transport/ring.js';
import { portEnvelope } from '../pool/transport/wire.js';
import { serveRing } from '../pool/ring-worker.js';
import type { TargetDescription } from '../run/task.js';

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
const doorbell: SleepWord = { words: new Int32Array(start.doorbell), index: 0 };

// No top-level await: the built entry is CommonJS (see scripts/bundle-worker.mjs).
// Told to stop, the thread exits even if a task left a timer or socket behind.
void serveRing({
  down: new MessageRing(start.down),
  up: new MessageRing(start.up, doorbell),
  doorbell,
  side: {
    destination: 'thread',
    postMessage: (body) => port.postMessage(body),
    // Posted before its ring message was published: it is there.
    next: () => portEnvelope(port),
    idle: () => process.getActiveResourcesInfo().length === 0,
    blockMs: Infinity,
  },
  initializer: start.initializer,
  initargs: start.initargs,
}).finally(() => {
  port.close();
  process.exit(0);
});
