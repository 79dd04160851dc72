/**
 * The server's reading of its clients' shared-memory rings (shm-ring.ts).
 *
 * While requests keep coming the server reads every ring in turn; after the
 * last one it keeps watching for {@link SPIN_MS} (a client making awaited
 * calls sends its next request a few microseconds after its reply, and a
 * request seen while watching costs no wake-up on either side), then asks
 * each client for a doorbell on its socket and goes back to the event loop.
 *
 * The watching runs on the event loop: between looks it lets promise
 * callbacks run (a method that returns a promise replies from one), and at
 * least every {@link SLICE_MS} it lets the loop go round (sockets, timers),
 * so ring clients never starve socket clients or blocking calls.
 */

import type { RingCorruptError, Ring } from './shm-ring.js';
import { lookAgain, Watch } from './watch.js';

/** How long the server watches its rings after the last request, in ms (see watch.ts). */
const WATCH_MS = 0.05;
/** The longest the server reads rings without letting the event loop go round, in ms. */
const SLICE_MS = 1;
/** The most messages taken from one ring before looking at the next (fairness). */
const BATCH = 64;

/** One client's rings as the server serves them. */
export interface RingLink {
  readonly requests: Ring;
  readonly replies: Ring;
  /** Handles one request read from the ring (a copy of its bytes). */
  readonly onMessage: (message: Uint8Array) => void;
  /**
   * Handles a marker read from the ring (an empty message): the client's
   * next request is on the socket. Sets {@link held} if it has not come yet.
   */
  readonly onMarker: () => void;
  /** Read nothing more from this ring until the request a marker announced comes on the socket. */
  held: boolean;
  /** The client scribbled on the ring: close its connection. */
  readonly onCorrupt: (error: RingCorruptError) => void;
  /** The client has written on its ring (so it reads replies there too). */
  live: boolean;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Serves the rings of every connection that has one. */
export class RingPump {
  readonly #links = new Set<RingLink>();
  #running = false;
  readonly #watch = new Watch(WATCH_MS);

  add(link: RingLink): void {
    this.#links.add(link);
    link.requests.sleepOnSocket();
  }

  remove(link: RingLink): void {
    this.#links.delete(link);
  }

  /** A client rang its doorbell (or a request may be waiting): read the rings. */
  wake(): void {
    void this.#run();
  }

  /** Reads up to {@link BATCH} requests of `link`; returns how many. */
  #drain(link: RingLink): number {
    let count = 0;
    while (count < BATCH && !link.held && this.#links.has(link)) {
      let message: Uint8Array | undefined;
      try {
        message = link.requests.read();
      } catch (error) {
        this.remove(link);
        link.onCorrupt(error as RingCorruptError);
        break;
      }
      if (message === undefined) break;
      link.live = true;
      count++;
      if (message.length === 0) link.onMarker();
      else link.onMessage(message);
    }
    return count;
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      let idleSince = performance.now();
      let sliceStart = idleSince;
      let watching = false;
      let budget = 0;
      for (;;) {
        let handled = 0;
        for (const link of this.#links) handled += this.#drain(link);
        const now = performance.now();
        if (handled > 0) {
          if (watching) this.#watch.caught();
          watching = false;
          idleSince = now;
        } else {
          if (!watching) {
            watching = true;
            budget = this.#watch.budget();
          }
          if (now - idleSince >= budget) {
            if (budget > 0) this.#watch.missed();
            break;
          }
          lookAgain(now - idleSince);
        }
        if (now - sliceStart > SLICE_MS) {
          await yieldToLoop();
          sliceStart = performance.now();
        } else {
          await undefined; // replies from promises go out
        }
      }
    } finally {
      this.#running = false;
    }
    let missed = false;
    // A held link needs no doorbell: the socket request it waits for wakes the pump.
    for (const link of this.#links) if (!link.held && !link.requests.sleepOnSocket()) missed = true;
    if (missed) void this.#run();
  }
}
