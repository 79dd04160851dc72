import { expired, remaining, throwIfAborted, waitDeadline } from '../memory/deadline.js';
import type { AsyncTimeoutOptions, TimeoutOptions } from '../memory/deadline.js';
import { claimWords, constructAttached, memoryOf, type Memory } from '../memory/memory.js';
import { scopedClass } from '../memory/scoped-classes.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { BrokenBarrierError } from '../errors.js';
import { functionSource, type FunctionSource } from '../run/inline.js';
import { compileFunction } from '../run/compile.js';
import {
  BARRIER_COUNT, BARRIER_PARTIES, BARRIER_STATE, BARRIER_WORDS, BROKEN, DRAINING, FILLING, RESETTING,
} from './layout.js';
import { Condition } from './condition.js';
import { Lock } from './lock.js';

/** Options of {@link Barrier}. */
export interface BarrierOptions {
  /**
   * Called by one of the threads (the last to arrive) when all parties have
   * arrived, before any is released. If it throws, the barrier breaks. When
   * the barrier is sent to another thread the action goes with it as source
   * text, so it must not capture variables.
   */
  action?: () => void;
  /** Default timeout in ms of `wait()` calls that give none. */
  timeout?: number;
}

/** What a barrier wait needs next: the condition's lock, or a wait on it until a deadline. */
type Step = { readonly lock: true } | { readonly lock: false; readonly deadline: number };
const LOCK_STEP: Step = { lock: true };

/**
 * A barrier for a fixed number of parties (Python's `threading.Barrier`):
 * each `wait` blocks until `parties` threads are waiting, then all are
 * released together, and the barrier can be used again.
 *
 * `wait` returns an arrival index from 0 to `parties - 1`, distinct for each
 * party of one round. A party that times out breaks the barrier for everyone:
 * they and later callers get {@link BrokenBarrierError} until `reset()`.
 *
 * @example
 * ```ts
 * import { Barrier } from 'weft';
 * const barrier = new Barrier(2, { action: () => console.log('all arrived') });
 * const indexes = await Promise.all([barrier.wait(), barrier.wait()]);
 * console.log(indexes.sort()); // [ 0, 1 ]
 * ```
 * @see Python's `threading.Barrier`
 */
export class Barrier {
  readonly #words: Int32Array;
  readonly #memory: Memory;
  readonly #cond: Condition;
  readonly #action: (() => void) | undefined;
  readonly #timeout: number | undefined;

  /**
   * @throws RangeError if `parties` is not an integer >= 1, or `timeout` is negative.
   * @throws TypeError if `action` is not a function.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    this.#memory = memoryOf(new.target);
    this.#words = claimWords(this.#memory, BARRIER_WORDS, (words) => {
      if (!Number.isInteger(parties) || parties < 1) {
        throw new RangeError(`Barrier(): parties must be an integer >= 1, got ${parties}`);
      }
      words[BARRIER_PARTIES] = parties;
    });
    if (options.action !== undefined && typeof options.action !== 'function') {
      throw new TypeError('Barrier(): action must be a function');
    }
    if (options.timeout !== undefined && !(options.timeout >= 0)) {
      throw new RangeError(`Barrier(): timeout must be >= 0 ms, got ${options.timeout}`);
    }
    this.#action = options.action;
    this.#timeout = options.timeout;
    this.#cond = attachedCondition ?? new (scopedClass(this.#memory, Condition))(new (scopedClass(this.#memory, Lock))());
    attachedCondition = undefined;
  }

  /** The number of parties that must arrive. */
  get parties(): number {
    return this.#words[BARRIER_PARTIES]!;
  }

  /** Parties currently waiting in this round. */
  get nWaiting(): number {
    const state = Atomics.load(this.#words, BARRIER_STATE);
    return state === FILLING ? Atomics.load(this.#words, BARRIER_COUNT) : 0;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    return Atomics.load(this.#words, BARRIER_STATE) === BROKEN;
  }

  /**
   * Python's algorithm, written once as a generator of the blocking steps it
   * needs, so the sync and async waits drive the same code. The driver holds
   * the condition's lock from the first step to the return.
   */
  *#round(timeout: number | undefined): Generator<Step, number, void> {
    const words = this.#words;
    const limit = timeout ?? this.#timeout;
    waitDeadline('Barrier.wait()', limit); // validates before anything is taken
    yield LOCK_STEP;
    // Wait while the previous round drains or a reset is in progress.
    while (words[BARRIER_STATE] === DRAINING || words[BARRIER_STATE] === RESETTING) {
      yield { lock: false, deadline: Infinity };
    }
    if (words[BARRIER_STATE] === BROKEN) throw new BrokenBarrierError();
    const index = words[BARRIER_COUNT]!;
    Atomics.store(words, BARRIER_COUNT, index + 1);
    try {
      if (index + 1 === words[BARRIER_PARTIES]) {
        try {
          this.#action?.();
        } catch (error) {
          this.#break();
          throw error;
        }
        Atomics.store(words, BARRIER_STATE, DRAINING);
        this.#cond.notifyAll();
      } else {
        // As in Python, the timeout counts from here: after the lock, while filling.
        const deadline = waitDeadline('Barrier.wait()', limit);
        while (words[BARRIER_STATE] === FILLING) {
          if (expired(deadline)) {
            this.#break();
            throw new BrokenBarrierError('the barrier broke: a party timed out waiting for the others');
          }
          yield { lock: false, deadline };
        }
        if (words[BARRIER_STATE] !== DRAINING) throw new BrokenBarrierError();
      }
      return index;
    } finally {
      const count = words[BARRIER_COUNT]! - 1;
      Atomics.store(words, BARRIER_COUNT, count);
      const state = words[BARRIER_STATE];
      if (count === 0 && (state === DRAINING || state === RESETTING)) {
        Atomics.store(words, BARRIER_STATE, FILLING);
        this.#cond.notifyAll();
      }
    }
  }

  /**
   * Blocks the calling thread until all parties have called wait; returns
   * this party's arrival index.
   *
   * @throws BrokenBarrierError if the barrier is or becomes broken, or this
   *   party times out (which breaks it for all).
   */
  waitSync(options?: TimeoutOptions): number {
    const round = this.#round(options?.timeout);
    let locked = false;
    try {
      for (let step = round.next(); ; step = round.next()) {
        if (step.done) return step.value;
        if (step.value.lock) locked = this.#cond.acquireSync();
        else this.#cond.waitSync({ timeout: remaining(step.value.deadline) });
      }
    } finally {
      round.return(0); // runs the round's cleanup if a step threw
      if (locked) this.#cond.release();
    }
  }

  /** {@link waitSync} without blocking the event loop; aborting breaks the barrier. */
  async wait(options?: AsyncTimeoutOptions): Promise<number> {
    const signal = options?.signal;
    throwIfAborted(signal);
    const round = this.#round(options?.timeout);
    let locked = false;
    try {
      for (let step = round.next(); ; ) {
        if (step.done) return step.value;
        if (step.value.lock) {
          locked = await this.#cond.acquire();
          step = round.next();
          continue;
        }
        try {
          await this.#cond.wait({ timeout: remaining(step.value.deadline), signal });
        } catch (error) {
          // Aborted: this party leaves, which breaks the round for the others.
          this.#break();
          step = round.throw(error);
          continue;
        }
        step = round.next();
      }
    } finally {
      round.return(0);
      if (locked) this.#cond.release();
    }
  }

  /**
   * Returns the barrier to its empty state. Parties waiting in the current
   * round get {@link BrokenBarrierError}.
   */
  async reset(): Promise<void> {
    await this.#cond.acquire();
    try {
      this.#reset();
    } finally {
      this.#cond.release();
    }
  }

  /** {@link reset}, blocking. */
  resetSync(): void {
    this.#cond.acquireSync();
    try {
      this.#reset();
    } finally {
      this.#cond.release();
    }
  }

  #reset(): void {
    const words = this.#words;
    if (words[BARRIER_COUNT]! > 0) {
      if (words[BARRIER_STATE] === FILLING || words[BARRIER_STATE] === BROKEN) {
        Atomics.store(words, BARRIER_STATE, RESETTING);
      }
    } else {
      Atomics.store(words, BARRIER_STATE, FILLING);
    }
    this.#cond.notifyAll();
  }

  /**
   * Breaks the barrier: current and future waiters get
   * {@link BrokenBarrierError} until `reset()`.
   */
  async abort(): Promise<void> {
    await this.#cond.acquire();
    try {
      this.#break();
    } finally {
      this.#cond.release();
    }
  }

  /** {@link abort}, blocking. */
  abortSync(): void {
    this.#cond.acquireSync();
    try {
      this.#break();
    } finally {
      this.#cond.release();
    }
  }

  #break(): void {
    Atomics.store(this.#words, BARRIER_STATE, BROKEN);
    this.#cond.notifyAll();
  }

  get [Symbol.toStringTag](): string {
    const state = ['filling', 'draining', 'resetting', 'broken'][Atomics.load(this.#words, BARRIER_STATE)];
    return `Barrier ${state}, waiters=${this.nWaiting}/${this.parties}`;
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /** @internal */
  [describe](): BarrierDescription {
    return {
      words: this.#words,
      cond: this.#cond,
      timeout: this.#timeout,
      action: this.#action === undefined ? undefined : functionSource(this.#action, 'Barrier action'),
    };
  }

  /** @internal */
  static [revive](data: BarrierDescription): Barrier {
    attachedCondition = data.cond;
    const action = data.action === undefined ? undefined : (compileFunction(data.action) as () => void);
    return constructAttached(data.words, () => new this(0, { action, timeout: data.timeout }));
  }
}

interface BarrierDescription {
  words: Int32Array;
  cond: Condition;
  timeout: number | undefined;
  action: FunctionSource | undefined;
}

// The revived condition for the handle being constructed (see Barrier[revive]).
let attachedCondition: Condition | undefined;

registerShareable('Barrier', Barrier, { module: import.meta.url });
