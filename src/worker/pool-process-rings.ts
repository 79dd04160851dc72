/**
 * A process-pool child on the shared-memory transport (pool/transport/process-rings.ts):
 * maps the rings its pool made, then serves them (pool/ring-worker.ts) —
 * blocking in a futex wait while they are empty and nothing else needs its
 * event loop. Bodies too large for a ring go in a lane beside it, or, too
 * large for that, on the IPC channel, both ways, in the order the rings
 * announce them.
 */

import { futexWaiter } from '../memory/futex-waiter.js';
import { attachShared, type SegmentSlice } from '../memory/processes-memory.js';
import { sendToParent } from '../run/in-child.js';
import { loopIsQuiet } from '../run/quiet-loop.js';
import type { Envelope } from '../share/marshal.js';
import { serveRing } from '../pool/ring-worker.js';
import type { ProcessBody } from '../pool/transport/process-body.js';
import { OutgoingLane } from '../pool/transport/lanes.js';
import { MessageRing, type RingBuffers, type SleepWord } from '../pool/transport/ring.js';
import type { TargetDescription } from '../run/task.js';

/** Where a child's rings and its pool's doorbell live. */
export interface ChildRings {
  readonly down: { readonly control: SegmentSlice; readonly data: SegmentSlice };
  readonly up: { readonly control: SegmentSlice; readonly data: SegmentSlice };
  /** The lane for results too large for the up ring (see pool/transport/lanes.ts). */
  readonly upLane: { readonly control: SegmentSlice; readonly data: SegmentSlice };
  readonly doorbell: SegmentSlice;
}

/**
 * How long the child blocks before it lets its event loop run once: there it
 * learns that its parent is gone (the channel closes) and exits. Short, so
 * an orphan does not linger (nor hold the stdout it shares with its parent
 * open); an idle child then wakes four times a second, for microseconds.
 */
const BLOCK_MS = 250;

/** Bodies the pool sent on the channel, and the take waiting for the next one. */
const bodies: ProcessBody[] = [];
let waiting: ((body: ProcessBody) => void) | undefined;
/** The last body sent to the pool: written before the child leaves. */
let sent: Promise<void> = Promise.resolve();

/** A body the pool sent on the channel (announced by a ring message). */
export function receiveBody(body: ProcessBody): void {
  if (waiting === undefined) {
    bodies.push(body);
    return;
  }
  const take = waiting;
  waiting = undefined;
  take(body);
}

function nextBody(): ProcessBody | Promise<ProcessBody> {
  const body = bodies.shift();
  if (body !== undefined) return body;
  return new Promise((resolve) => {
    waiting = resolve;
  });
}

function attachRing(slices: ChildRings['down']): RingBuffers {
  return { control: attachShared(slices.control), data: attachShared(slices.data) };
}

/** Serves the pool over `rings` until told to stop; resolves once every body sent is written. */
export async function serveOverRings(rings: ChildRings, initializer: TargetDescription | undefined, initargs: Envelope | undefined): Promise<void> {
  const doorbell: SleepWord = { words: new Int32Array(attachShared(rings.doorbell)), index: 0 };
  const up = new MessageRing(attachRing(rings.up), doorbell, futexWaiter);
  const lane = new OutgoingLane(up, attachRing(rings.upLane));
  await serveRing({
    down: new MessageRing(attachRing(rings.down), undefined, futexWaiter),
    up,
    doorbell,
    side: {
      destination: 'process',
      postMessage: (body) => {
        sent = sendToParent({ body });
      },
      lane: (length) => lane.take(length),
      next: nextBody,
      idle: () => loopIsQuiet(),
      blockMs: BLOCK_MS,
    },
    initializer,
    initargs,
  });
  await sent;
}
