/**
 * Lanes: the bodies too large for a process pool's message rings — a `map`
 * chunk of 25,000 items, its results — in a second ring of shared memory
 * beside each of them, instead of through Node's IPC channel (whose pipe
 * takes 64 KiB at a time and which both event loops must pump).
 *
 * The pool makes both lanes of a child. The child's (results going up) is
 * made with the child and named in its start message, in memory whose pages
 * are only committed when written: a lane the child made itself could be
 * gone, with the results in it, if the child exited before the pool had
 * attached. The pool's own (tasks going down) is made the first time it has
 * a large body to send, and announced by a {@link LANE} message on the
 * ring, whose body names its segments; the child attaches to it there.
 * After that, a message with {@link IN_LANE} says: my body is the next
 * message in the lane. The writer publishes the lane's message before the
 * ring's marker can be seen, so the reader always finds it. A body the lane cannot take now (too large for
 * it, or it is full) goes on the IPC channel as before, announced by
 * `ON_PORT`: the two are separate queues, each in order.
 */

import { deserialize } from 'node:v8';
import { attachShared, describeShared, processesMemory, type SegmentSlice } from '../../memory/processes-memory.js';
import { futexWaiter } from '../../memory/futex-waiter.js';
import { decodeItem, encodeItem, ItemWriter } from '../../queue/codec.js';
import type { Envelope } from '../../share/marshal.js';
import { allocateRing, largestBody, MessageRing, type RingBuffers } from './ring.js';

/** Bytes in a lane (1 MiB). */
const LANE_BYTES = 1 << 20;
/** The largest body a lane takes (a quarter of it); larger ones go on the IPC channel. */
const LANE_LARGEST = largestBody(LANE_BYTES);

/** Kind of the message that announces the pool's lane to its child: its body names the lane's segments. */
export const LANE = 7;
/** Set on a kind when the body is the next message in the lane. */
export const IN_LANE = 0x1000;

interface LaneSlices {
  readonly control: SegmentSlice;
  readonly data: SegmentSlice;
}

/** A lane whose data pages are committed only as they are written (for a child's results: see the module comment). */
export function allocateLane(): RingBuffers {
  return allocateRing(LANE_BYTES, processesMemory, true);
}

/** The writer's side of the lane beside the message ring `ring`. */
export class OutgoingLane {
  readonly #ring: MessageRing;
  #lane: MessageRing | undefined;
  /** The lane is made but its announcement has not fit in the ring yet. */
  #unannounced: Uint8Array | undefined;
  /** Making one failed (no room in /dev/shm): every large body uses the channel. */
  #failed = false;

  /** `made`: a lane the reader already has (not announced); otherwise one is made and announced on first use. */
  constructor(ring: MessageRing, made?: RingBuffers) {
    this.#ring = ring;
    if (made !== undefined) this.#lane = new MessageRing(made, undefined, futexWaiter);
  }

  /**
   * The lane, if it takes a body of `length` bytes now; made and announced on
   * the ring first if this is the first large body. Undefined: use the channel.
   */
  take(length: number): MessageRing | undefined {
    if (this.#failed || length > LANE_LARGEST) return undefined;
    if (this.#lane === undefined) {
      let buffers: RingBuffers;
      try {
        buffers = allocateRing(LANE_BYTES, processesMemory);
      } catch {
        this.#failed = true;
        return undefined;
      }
      this.#lane = new MessageRing(buffers, undefined, futexWaiter);
      const writer = new ItemWriter(256);
      encodeItem({ control: describeShared(buffers.control), data: describeShared(buffers.data) } satisfies LaneSlices, writer, [], true);
      this.#unannounced = writer.bytes.slice(0, writer.length);
    }
    if (this.#unannounced !== undefined) {
      if (!this.#ring.write(LANE, 0, 0, 0, this.#unannounced, this.#unannounced.length)) return undefined;
      this.#unannounced = undefined;
    }
    return this.#lane.canWrite(length) ? this.#lane : undefined;
  }
}

/** The reader's side: attached when the ring's {@link LANE} message is read. */
export class IncomingLane {
  #lane: MessageRing | undefined;

  /** Attaches to the lane the {@link LANE} message at `at` of `ring` names. */
  attach(ring: MessageRing, at: number): void {
    const slices = decodeItem(ring.bytes, ring.bodyStart(at), ring.bodyLength(at), []) as LaneSlices;
    this.use({ control: attachShared(slices.control), data: attachShared(slices.data) });
  }

  /** Reads the lane over `buffers` (one this side made or was given at the start). */
  use(buffers: RingBuffers): void {
    this.#lane = new MessageRing(buffers, undefined, futexWaiter);
  }

  /**
   * The body of a message marked {@link IN_LANE} (the lane's next message),
   * and frees it: with `serialized` the envelope it holds, else the value its
   * codec bytes decode to.
   */
  take(serialized: boolean): unknown {
    const lane = this.#lane!;
    const at = this.#next();
    try {
      const start = lane.bodyStart(at);
      const length = lane.bodyLength(at);
      // Copied out first: V8 makes typed arrays and Buffers views into the bytes it reads, and the lane's bytes are reused.
      return serialized ? (deserialize(lane.bytes.slice(start, start + length)) as Envelope) : decodeItem(lane.bytes, start, length, []);
    } finally {
      lane.consume(at);
    }
  }

  /** Frees the lane's next message unread (its task was withdrawn). */
  skip(): void {
    this.#lane!.consume(this.#next());
  }

  /** Where the lane's next message is. */
  #next(): number {
    if (this.#lane === undefined) throw new Error('weft pool: a message names a lane that was never announced');
    // Published before the message that names it.
    const at = this.#lane.peek();
    if (at < 0) throw new Error('weft pool: a message announced in the lane is missing from it');
    return at;
  }
}
