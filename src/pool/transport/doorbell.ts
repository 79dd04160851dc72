/**
 * A pool's doorbell: one shared word every worker of the pool rings when it
 * publishes answers on its up ring while the pool sleeps. While tasks are
 * out, the pool waits on it without blocking its event loop (the memory's
 * async wait: `Atomics.waitAsync` for worker threads, the futex addon's
 * parked wait for child processes), drains every up ring when it rings, and
 * waits again. When no task is out it does not wait at all, so an idle pool
 * keeps nothing alive.
 */

import { FOREVER } from '../../memory/deadline.js';
import type { Memory } from '../../memory/memory.js';
import type { Waiter } from '../../memory/waiter.js';
import type { SleepWord } from './ring.js';

/** What the doorbell drains: a worker's up ring. */
export interface Answering {
  /** Hands every answer waiting to the engine. */
  drain(): void;
  /** Whether an answer is waiting that {@link drain} would hand on now. */
  hasMessage(): boolean;
}

export class Doorbell {
  /** The word workers ring (index 0): 1 while the pool sleeps on it. */
  readonly word: SleepWord;
  readonly #waiter: Waiter;
  readonly #links = new Set<Answering>();
  #busy = false;
  #listening = false;
  #parked = false;

  constructor(memory: Memory) {
    this.word = { words: new Int32Array(memory.allocate(4)), index: 0 };
    this.#waiter = memory.waiter;
  }

  add(link: Answering): void {
    this.#links.add(link);
  }

  delete(link: Answering): void {
    this.#links.delete(link);
    // The listener may be parked waiting for this worker's answers.
    this.#ring();
  }

  /** Told when tasks go out (start listening) and when the last one is answered (stop). */
  setBusy(busy: boolean): void {
    this.#busy = busy;
    if (busy) this.listen();
    // A parked wait holds the event loop open: end it.
    else if (this.#parked) this.#ring();
  }

  #ring(): void {
    Atomics.store(this.word.words, 0, 0);
    this.#waiter.notify(this.word.words, 0, 1);
  }

  /** Waits for answers while tasks are out; at most one listener runs. */
  listen(): void {
    if (this.#listening || !this.#busy) return;
    this.#listening = true;
    void this.#listen();
  }

  async #listen(): Promise<void> {
    const bell = this.word.words;
    try {
      while (this.#busy) {
        for (const link of this.#links) link.drain();
        if (!this.#busy) break;
        // Announce the sleep, then look once more (see ring.ts: no lost wake-up).
        Atomics.store(bell, 0, 1);
        let waiting = false;
        for (const link of this.#links) waiting ||= link.hasMessage();
        if (waiting) {
          Atomics.store(bell, 0, 0);
          continue;
        }
        this.#parked = true;
        await this.#waiter.waitAsync(bell, 0, 1, FOREVER);
        this.#parked = false;
        Atomics.store(bell, 0, 0);
      }
    } finally {
      this.#listening = false;
    }
  }
}
