/**
 * What SharedDict and SharedList share: their state in shared memory (header
 * words, arena, lock), how a handle is created or revived over it, and the
 * lock API — `withLockSync`, `withLock`, `getLock`.
 *
 * The lock is an {@link RLock}, per thread as Python's: every method takes it
 * for its own short critical section, and a thread that holds it (inside
 * `withLockSync`/`withLock`) re-enters freely. Async bodies are the one
 * refinement: two `withLock(async …)` bodies of one thread would both "own"
 * a per-thread lock across their awaits, so they take turns on a per-thread
 * queue before taking the lock, and a `withLock` called from inside a body
 * (found through AsyncLocalStorage) runs at once instead of waiting for
 * itself.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { acquireDeadline, FOREVER, remaining, throwIfAborted } from '../memory/deadline.js';
import type { AsyncBlockingOptions, BlockingOptions } from '../memory/deadline.js';
import { memoryOf, type Memory } from '../memory/memory.js';
import { scopedClass } from '../memory/scoped-classes.js';
import { describe, SCOPE } from '../share/protocol.js';
import type { Destination } from '../share/marshal.js';
import { notAcquired } from '../sync/lock-like.js';
import { RLock } from '../sync/rlock.js';
import { Arena, createArena } from './arena.js';
import { DEFAULT_MAX_BYTES, HEADER_WORDS, ID_HI, ID_LO, INITIAL_ARENA, KIND, MAX_MAX_BYTES } from './container-layout.js';
import { discard, settle, type EncodedValue } from './stored-item.js';

/** Options of SharedDict and SharedList. */
export interface ContainerOptions {
  /**
   * The most shared memory the container's contents may take, in bytes
   * (default 1 GiB, at most 2 GiB - 8). It starts at 1 KiB and grows as
   * needed; a write that would need more throws a RangeError and changes
   * nothing. Only address space is reserved up front.
   */
  maxBytes?: number;
}

/** A container's shared state, as it crosses to another thread. */
export interface ContainerData {
  readonly words: Int32Array;
  readonly arena: SharedArrayBuffer;
  readonly lock: RLock;
}

/** @internal What a handle works on. */
export class ContainerState {
  readonly memory: Memory;
  readonly words: Int32Array;
  readonly arena: Arena;
  readonly lock: RLock;
  /** Names the container in this thread's bookkeeping (the same for every handle on it). */
  readonly id: number;
  /** The class name, for messages. */
  readonly name: string;
  /**
   * Who reads the values: threads of this process, or other processes (a
   * processes-scope container, whose stored shareables carry their shared
   * memory as segment slices).
   */
  readonly destination: Destination;

  constructor(memory: Memory, name: string, data: ContainerData) {
    this.memory = memory;
    this.destination = memory.scope === 'threads' ? 'thread' : 'process';
    this.name = name;
    this.words = data.words;
    this.arena = new Arena(data.words, data.arena);
    this.lock = data.lock;
    this.id = data.words[ID_LO]! + data.words[ID_HI]! * 2 ** 32;
  }

  /** Takes the lock (blocking) and makes the arena views current. */
  enter(): void {
    this.lock.acquireSync();
    this.arena.refresh();
  }

  leave(): void {
    this.lock.release();
  }
}

/**
 * Runs a write `op` under the lock. The values it was given were encoded
 * beforehand (outside the lock): if it throws, they are discarded (their
 * shared buffers withdrawn); either way their writers go back to the pool.
 * `op` discards itself any value it decides not to store.
 */
export function writing<R>(state: ContainerState, values: readonly EncodedValue[], op: () => R): R {
  state.enter();
  try {
    return op();
  } catch (error) {
    for (const value of values) discard(value);
    throw error;
  } finally {
    state.leave();
    for (const value of values) settle(value);
  }
}

/** Whether `value` is a Promise or another thenable. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

let attaching: ContainerData | undefined;

/** Runs `make` (a constructor call) so that it attaches to `data` instead of creating a container. */
export function reviveWith<T>(data: ContainerData, make: () => T): T {
  attaching = data;
  try {
    return make();
  } finally {
    attaching = undefined;
  }
}

function checkMaxBytes(where: string, maxBytes: unknown): number {
  if (maxBytes === undefined) return DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < INITIAL_ARENA || maxBytes > MAX_MAX_BYTES) {
    throw new RangeError(`${where}: maxBytes must be an integer from ${INITIAL_ARENA} to ${MAX_MAX_BYTES}, got ${String(maxBytes)}`);
  }
  return maxBytes & ~7;
}

/** What a container keeps in its arena besides items: its table. */
export interface ContainerTable {
  /** Makes a fresh, empty table (the arena is empty). */
  reset(what: string): void;
  /** Rewrites the offsets it holds when the arena compacts. */
  relocate(forward: (offset: number) => number): void;
}

/**
 * The state and table of the container being constructed: the one being
 * revived, or a new, empty one of `kind` in the memory of `cls` (a class or
 * `new.target`). `fresh` says it is new, so the constructor fills only new
 * ones.
 */
export function openState<T extends ContainerTable>(
  cls: unknown,
  name: string,
  kind: number,
  options: ContainerOptions | undefined,
  makeTable: (words: Int32Array, arena: Arena) => T,
): { state: ContainerState; table: T; fresh: boolean } {
  const memory = memoryOf(cls);
  const data = attaching;
  attaching = undefined;
  let state: ContainerState;
  if (data !== undefined) {
    if (data.words.length !== HEADER_WORDS || data.words[KIND] !== kind) {
      throw new TypeError(`cannot attach: the shared state is not a ${name}'s`);
    }
    state = new ContainerState(memory, name, data);
  } else {
    const maxBytes = checkMaxBytes(`${name}()`, options?.maxBytes);
    const words = new Int32Array(memory.allocate(HEADER_WORDS * 4));
    words[KIND] = kind;
    words[ID_LO] = (Math.random() * 2 ** 32) | 0;
    words[ID_HI] = (Math.random() * 2 ** 21) | 0;
    const arena = createArena(memory, words, maxBytes);
    // The lock lives where the container does: a processes-scope container's lock is a processes-scope RLock.
    state = new ContainerState(memory, name, { words, arena, lock: new (scopedClass(memory, RLock))() });
  }
  const table = makeTable(state.words, state.arena);
  state.arena.onRelocate((forward) => table.relocate(forward));
  if (data === undefined) {
    state.arena.refresh(); // nobody else can see it yet: no lock needed
    table.reset(`${name}()`);
  }
  return { state, table, fresh: data === undefined };
}

/** Container ids held by the async body running in the current async context. */
const held = new AsyncLocalStorage<readonly number[]>();
/** Per container id: the end of this thread's queue of async bodies. */
const turns = new Map<number, Promise<void>>();

/** Waits for `previous`; false if `deadline` passes first; rejects on abort. */
function waitTurn(previous: Promise<void>, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (deadline === FOREVER && signal === undefined) return previous.then(() => true);
  return new Promise<boolean>((resolve, reject) => {
    const timer = deadline === FOREVER ? undefined : setTimeout(() => settle(false), remaining(deadline));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const settle = (turn: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(turn);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    void previous.then(() => settle(true));
  });
}

/** @internal The base of SharedDict and SharedList: the lock API and the sharing protocol. */
export abstract class SharedContainer {
  readonly #state: ContainerState;

  protected constructor(state: ContainerState) {
    this.#state = state;
  }

  /**
   * The container's lock (an {@link RLock}): every method takes it for a
   * moment. Hold it to make several calls one atomic step, or build a
   * `Condition` on it to wait for a change another thread makes.
   */
  getLock(): RLock {
    return this.#state.lock;
  }

  /**
   * Runs `fn(this)` holding the container's lock, so that everything it
   * does is one atomic step for every other thread; returns what it returns.
   * Blocks the calling thread while another holds the lock (meant for
   * workers; on the main thread use {@link withLock}). Reentrant: the
   * container's methods, and `withLockSync` again, work inside `fn`.
   *
   * @throws TimeoutError if the lock is not acquired within `timeout` ms (or at once with `blocking: false`).
   * @throws TypeError if `fn` returns a Promise: what runs after its first
   *   await would not hold the lock; use `withLock` for async bodies.
   */
  withLockSync<R>(fn: (container: this) => R, options?: BlockingOptions): R {
    const lock = this.#state.lock;
    if (!lock.acquireSync(options)) throw notAcquired(`${this.#state.name}.withLockSync()`, options);
    let result: R;
    try {
      result = fn(this);
    } finally {
      lock.release();
    }
    if (isThenable(result)) {
      throw new TypeError(
        `${this.#state.name}.withLockSync(): the function returned a Promise, and the lock was released before it ` +
          'settled; use await withLock(fn) for an async body',
      );
    }
    return result;
  }

  /**
   * Runs `fn(this)` — sync or async — holding the container's lock, waiting
   * for the lock without blocking the event loop, and resolves what it
   * returns. The lock is held until the Promise `fn` returns settles. Bodies
   * of one thread take turns (an RLock alone would let them interleave at
   * their awaits); a `withLock` inside a body runs at once. While a body
   * awaits, other code of the same thread may still call the container's
   * single methods — each is atomic — but not run another body.
   *
   * @throws TimeoutError if the lock is not acquired within `timeout` ms (or at once with `blocking: false`).
   * @throws `signal.reason` if the signal aborts before the lock is acquired.
   */
  async withLock<R>(fn: (container: this) => R | PromiseLike<R>, options?: AsyncBlockingOptions): Promise<R> {
    const what = `${this.#state.name}.withLock()`;
    throwIfAborted(options?.signal);
    const deadline = acquireDeadline(what, options);
    const { id, lock } = this.#state;
    const outer = held.getStore();
    if (outer?.includes(id)) return fn(this);
    const previous = turns.get(id);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous === undefined ? mine : previous.then(() => mine);
    turns.set(id, tail);
    // Forgotten once every body queued so far is done (not when this one gives up: those before it may still run).
    void tail.then(() => {
      if (turns.get(id) === tail) turns.delete(id);
    });
    try {
      if (previous !== undefined && (deadline === undefined || !(await waitTurn(previous, deadline, options?.signal)))) {
        throw notAcquired(what, options);
      }
      const got = await lock.acquire(
        deadline === undefined ? { blocking: false } : { timeout: deadline === FOREVER ? undefined : remaining(deadline), signal: options?.signal },
      );
      if (!got) throw notAcquired(what, options);
      try {
        return await held.run(outer === undefined ? [id] : [...outer, id], () => fn(this));
      } finally {
        lock.release();
      }
    } finally {
      done();
    }
  }

  /** @internal */
  get [SCOPE]() {
    return this.#state.memory.scope;
  }

  /** @internal The header words, the arena and the lock (itself a shareable). */
  [describe](): ContainerData {
    const { words, arena, lock } = this.#state;
    return { words, arena: arena.buffer, lock };
  }
}
