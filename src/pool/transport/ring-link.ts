/**
 * The pool's side of a worker reached over a pair of message rings — a
 * worker thread (threads.ts) or a child process (process-rings.ts): tasks
 * and target definitions go down one ring, answers come back on the other
 * and are handed to the engine when the pool's {@link Doorbell} rings. What
 * differs between the two is the memory of the rings (and so how the
 * parties sleep and wake), and the side channel that carries the bodies a
 * ring cannot.
 */

import { sendError, type SentError } from '../../run/error-transfer.js';
import type { TargetDescription } from '../../run/task.js';
import { deserialize } from 'node:v8';
import { decode, type Envelope } from '../../share/marshal.js';
import { decodeItem } from '../../queue/codec.js';
import { unpack, type ProcessBody } from './process-body.js';
import type { Waiter } from '../../memory/waiter.js';
import type { Link, LinkEvents, Task } from '../engine.js';
import type { Doorbell } from './doorbell.js';
import { IncomingLane, IN_LANE } from './lanes.js';
import { MessageRing, readerSleepWord, wake, type RingBuffers, type SleepWord } from './ring.js';
import {
  DEFINE, INIT_FAILED, KIND_MASK, ON_PORT, PARTIAL, REPORT_START, RETURNED, send, serializedEnvelope, SERIALIZED, SKIPPED, STARTED, STOP, TASK, THREW,
  type Body, type SideChannel,
} from './wire.js';

export abstract class RingLink implements Link {
  readonly #down: MessageRing;
  readonly #downSleep: SleepWord;
  readonly #up: MessageRing;
  readonly #events: LinkEvents;
  readonly #doorbell: Doorbell;
  readonly #waiter: Waiter;
  /** Where the worker's large answers come (see {@link useLane}). */
  readonly #lane = new IncomingLane();
  /** An answer's body has not come on the side channel yet: {@link drain} stops there until it has. */
  #stalled = false;

  /** `waiter`: how the parties of these rings (and of `doorbell`) sleep and wake. */
  constructor(down: RingBuffers, up: RingBuffers, doorbell: Doorbell, events: LinkEvents, waiter: Waiter) {
    this.#doorbell = doorbell;
    this.#events = events;
    this.#waiter = waiter;
    this.#down = new MessageRing(down, undefined, waiter);
    this.#downSleep = readerSleepWord(down);
    this.#up = new MessageRing(up, doorbell.word, waiter);
    doorbell.add(this);
  }

  /** Where bodies go that the ring does not carry. */
  protected abstract get side(): SideChannel;
  /** The ring tasks go down, for a subclass's lane beside it. */
  protected get down(): MessageRing {
    return this.#down;
  }

  /** Reads large answers from the lane over `buffers` (made by the subclass for its worker). */
  protected useLane(buffers: RingBuffers): void {
    this.#lane.use(buffers);
  }
  /** Whether the worker has exited (nothing more is sent). */
  protected abstract get exited(): boolean;
  /** Encodes a body for the down ring; `args` as for `encodeBody`. */
  protected abstract body(value: unknown, root: string, args?: boolean): Body;
  /** The next body that came on the side channel, or undefined if it has not come yet. */
  protected abstract nextAside(): ProcessBody | undefined;

  define(id: number, description: TargetDescription): boolean {
    return send(this.#down, this.side, DEFINE, 0, id, 0, this.body(description, 'target'));
  }

  post(task: Task): boolean {
    const flags = (task.timeout !== undefined ? REPORT_START : 0) | task.chunk;
    if (!send(this.#down, this.side, TASK, task.seq, task.target.id, flags, this.body(task.args, 'args', true))) return false;
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
    if (this.#down.publish()) wake(this.#downSleep, this.#waiter);
    this.#doorbell.listen();
  }

  stop(): void {
    if (this.exited) return;
    // Sent only once every task is answered, so the ring has room.
    this.#down.write(STOP, 0, 0, 0, undefined, 0);
    this.flush();
  }

  abstract kill(): void;

  poll(): void {
    this.drain();
  }

  hasMessage(): boolean {
    return !this.#stalled && this.#up.hasMessage();
  }

  /** The worker is gone: answers no longer come, and the doorbell stops draining this link. */
  protected forget(): void {
    this.#doorbell.delete(this);
  }

  /** Hands every result waiting on the up ring to the engine (up to one whose body has not come yet). */
  drain(): void {
    const up = this.#up;
    this.#stalled = false;
    for (let at = up.peek(); at >= 0; at = up.peek()) {
      const word = up.word(at, 0);
      let aside: ProcessBody | undefined;
      if ((word & ON_PORT) !== 0) {
        aside = this.nextAside();
        if (aside === undefined) {
          this.#stalled = true;
          return;
        }
      }
      const kind = word & KIND_MASK;
      const seq = up.word(at, 1);
      const micros = up.word(at, 2);
      const serialized = (word & SERIALIZED) !== 0;
      let body: unknown;
      let decoded = true;
      try {
        if ((word & IN_LANE) !== 0) {
          body = this.#lane.take(serialized);
          if (serialized) body = decode(body as Envelope);
        } else if (aside !== undefined) {
          body = serialized ? decode(deserialize(aside as Uint8Array) as Envelope) : unpack(aside);
        } else if (serialized) {
          body = decode(serializedEnvelope(up, at));
        } else if (kind !== STARTED && kind !== SKIPPED) {
          body = decodeItem(up.bytes, up.bodyStart(at), up.bodyLength(at), []);
        }
      } catch (error) {
        body = error;
        decoded = false;
      }
      up.consume(at);
      deliver(this.#events, kind, seq, micros, body, decoded);
    }
  }
}

/** Hands one answer to the engine; `decoded` false: `body` is the error its decoding threw (the task fails with it). */
function deliver(events: LinkEvents, kind: number, seq: number, micros: number, body: unknown, decoded: boolean): void {
  if (kind === RETURNED) {
    if (decoded) events.returned(seq, body, micros);
    else events.threw(seq, sendError(body), micros);
  } else if (kind === THREW) {
    events.threw(seq, decoded ? (body as SentError) : sendError(body), micros);
  } else if (kind === PARTIAL) {
    if (!decoded) events.threw(seq, sendError(body), micros);
    else events.partial(seq, ...(body as [unknown[], [number, SentError][]]), micros);
  } else if (kind === STARTED) {
    events.started(seq);
  } else if (kind === SKIPPED) {
    events.skipped(seq);
  } else if (kind === INIT_FAILED) {
    events.initFailed(decoded ? (body as SentError) : sendError(body));
  }
}
