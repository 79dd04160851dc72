/**
 * A process-pool child on the shared-memory transport (pool/transport/process-rings.ts):
 * maps the rings its pool made, then serves them (pool/ring-worker.ts) —
 * blocking in a futex wait while they are empty and nothing else needs its
 * event loop. Bodies too large for a ring go in a lane beside it, or, too
 * large for that, on the IPC channel, both ways, in the order the rings
 * announce them.
 */

import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';
import { futexWaiter } from '../memory/futex-waiter.js';
import { attachShared, type SegmentSlice } from '../memory/processes-memory.js';
import { sendToParent } from '../run/in-child.js';
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

/**
 * How many handles of each kind the child always has and that never need
 * its event loop: the IPC channel's pipe, and stdout / stderr when they are
 * a pipe or a terminal (Node writes to those synchronously on Linux, so a
 * child blocked in a futex wait holds back nothing).
 */
function quietHandles(): Map<string, number> {
  // Made now, so they are counted whether or not a task writes to them.
  void process.stdout;
  void process.stderr;
  const handles = new Map([['PipeWrap', 1], ['TTYWrap', 0]]);
  for (const fd of [1, 2]) {
    let kind: string | undefined;
    try {
      const stat = fstatSync(fd);
      kind = isatty(fd) ? 'TTYWrap' : stat.isFIFO() || stat.isSocket() ? 'PipeWrap' : undefined;
    } catch {
      // closed: no handle
    }
    if (kind !== undefined) handles.set(kind, handles.get(kind)! + 1);
  }
  return handles;
}

let quiet: Map<string, number> | undefined;

/** Whether nothing but those handles is pending in the event loop (so the child may block). */
function idle(): boolean {
  const pending = process.getActiveResourcesInfo();
  if (pending.length === 0) return true;
  quiet ??= quietHandles();
  const seen = new Map<string, number>();
  for (const kind of pending) {
    const count = (seen.get(kind) ?? 0) + 1;
    if (count > (quiet.get(kind) ?? 0)) return false;
    seen.set(kind, count);
  }
  return true;
}

/** Serves the pool over `rings` until told to stop; resolves once every body sent is written. */
export async function serveOverRings(rings: ChildRings, initializer: TargetDescription | undefined, initargs: Envelope | undefined): Promise<void> {
  const doorbell: SleepWord = { words: new Int32Array(attachShared(rings.doorbell)), index: 0 };
  const up = new MessageRing(attachRing(rings.up), doorbell, futexWaiter);
  const lane = new OutgoingLane(up);
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
      idle,
      blockMs: BLOCK_MS,
    },
    initializer,
    initargs,
  });
  await sent;
}
