/**
 * The harness of the ports of CPython's `Lib/test/lock_tests.py` and
 * `Lib/test/test_queue.py` (its queue helpers are at the end): party modes,
 * `Bunch` (upstream's `Bunch`), and the small waits upstream gets from
 * `support.sleeping_retry` and `wait_threads_blocked`.
 *
 * A test's *parties* — what upstream runs as `Bunch(f, n)` threads — are
 * written once, as a self-contained function `(shared, index) => …` that
 * reaches every primitive and result array through `shared` (results are
 * counters in `SharedArrayBuffer`-backed `Int32Array`s, times in
 * `Float64Array`s). A *mode* says where the parties run:
 *
 *  - `async`: n concurrent async tasks in this thread, using the Promise API;
 *  - `threads`: n weft `Thread`s. Even-indexed parties use the Sync API
 *    (blocking their worker, as Python's threads do), odd-indexed ones the
 *    Promise API, so every multi-party test runs both and their mix; a lone
 *    party (index 0) uses the Sync API.
 *  - `processes`: n child `Process`es, the API split by index as in threads
 *    mode. Only the processes scope's primitives reach them. The result
 *    arrays do because {@link ints} and {@link floats} are always views of
 *    processes-scope `SharedArray`s: a bare typed array given to a Process
 *    arrives as a copy, so the harness sends the array and the party's
 *    runner takes its view again. A child cannot be woken by this thread's
 *    `Atomics.notify`, so the harness's own waits poll in this mode.
 *
 * The part of a test upstream runs in the main thread runs here in this
 * thread with the Promise API. A test that upstream runs wholly in the main
 * thread runs its body with {@link solo}: the Promise API in async mode, the
 * Sync API in threads mode (blocking this thread is harmless when no other
 * party exists). A solo body never leaves this thread, so unlike a party it
 * may use `assert` and `using`.
 *
 * A party is written against the Promise API; {@link syncView} makes the same
 * code call the Sync API (`acquire` → `acquireSync`, `wait` → `waitSync`,
 * `hold` → `holdSync`, `abort` → `abortSync`, and on queues `put` → `putSync`,
 * `get` → `getSync`, `join` → `joinSync`, …). A party crosses to a worker
 * as source text, so it must not capture anything (weft checks, and the
 * thread fails to start naming the variable) and must not use `using`
 * declarations (the transpiler lowers them into module-level helpers, which
 * would be captures); it may `await import(...)`.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { JoinableQueue, LifoQueue, PriorityQueue, Process, Queue, SimpleQueue, Thread } from '../../src/index.js';
import { processes } from '../../src/scope/processes.js';
import type { SharedArray } from '../../src/shared/array.js';
import { COUNT_WAITERS, MAXSIZE, TASKS, UNFINISHED } from '../../src/queue/layout.js';
import { describe as describeShared } from '../../src/share/protocol.js';
import { COND_WAITERS, EVENT_WAITERS, SEM_WAITERS } from '../../src/sync/layout.js';
import { Condition } from '../../src/sync/condition.js';
import { Event } from '../../src/sync/event.js';
import { Semaphore } from '../../src/sync/semaphore.js';

declare global {
  // The shared counter a Barrier action finds in whichever thread runs it
  // (an action takes no arguments and cannot capture): see barrier-tests.
  var conformanceActionLog: Int32Array | undefined;
}

export type Mode = 'async' | 'threads' | 'processes';
/** The modes every suite runs in. */
export const MODES: readonly Mode[] = ['async', 'threads'];

/**
 * The modes for primitives of `scope`: the processes scope's also run with
 * the parties in separate processes.
 */
export function modesFor(scope: 'threads' | 'processes'): readonly Mode[] {
  return scope === 'processes' ? [...MODES, 'processes'] : MODES;
}

/**
 * The `it` of a suite running in `mode`. In processes mode it registers only
 * the tests named in `inProcesses`: every party there is a child process,
 * ~50–100 ms to start on an idle machine and over a second on a loaded one,
 * so each suite runs a representative subset (named, with why, where it
 * calls this) to keep the whole suite's time in hand; and a test without
 * parties would run exactly as in threads mode (see {@link solo}). With
 * `WEFT_CONFORMANCE_PROCESSES=all` in the environment every test runs in
 * processes mode too.
 */
export function itIn(mode: Mode, inProcesses: ReadonlySet<string>): typeof it {
  if (mode !== 'processes' || process.env.WEFT_CONFORMANCE_PROCESSES === 'all') return it;
  const subset = (name: string, ...rest: unknown[]): unknown =>
    inProcesses.has(name) ? (it as (...args: unknown[]) => unknown)(name, ...rest) : undefined;
  return subset as typeof it;
}

/** A test's parties: `shared` holds the primitives and result arrays; `index` is 0..n-1. */
export type Party<S> = (shared: S, index: number) => unknown;

/** How long any wait of the harness may take before the test fails (upstream's SHORT_TIMEOUT). */
export const PATIENCE = 30_000;

/** The processes-scope array each view made by {@link ints} / {@link floats} belongs to, to send to a child process. */
const carriers = new WeakMap<ArrayBufferView, SharedArray>();

/** `Int32Array` of `length` zeroed shared words, in processes memory: every mode's parties reach it. */
export function ints(length: number): Int32Array {
  const array = new processes.SharedArray('i', length, { lock: false });
  carriers.set(array.view, array);
  return array.view;
}

/** `Float64Array` of `length` zeroed shared slots, in processes memory. */
export function floats(length: number): Float64Array {
  const array = new processes.SharedArray('d', length, { lock: false });
  carriers.set(array.view, array);
  return array.view;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds (upstream's `sleeping_retry`); fails the test after {@link PATIENCE}. */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + PATIENCE;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`gave up after ${PATIENCE} ms waiting for ${what}`);
    await sleep(1);
  }
}

/**
 * How many parties are parked (or registered to park) on an Event,
 * Semaphore or Condition, read from its shared words — the exact form of
 * upstream's `wait_threads_blocked`. Locks keep no count.
 */
export function waitersOf(primitive: Event | Semaphore | Condition): () => number {
  if (primitive instanceof Event) {
    const words = primitive[describeShared]();
    return () => Atomics.load(words, EVENT_WAITERS);
  }
  if (primitive instanceof Semaphore) {
    const words = primitive[describeShared]();
    return () => Atomics.load(words, SEM_WAITERS);
  }
  const { words } = primitive[describeShared]();
  return () => Atomics.load(words, COND_WAITERS);
}

/**
 * Lets `n` parties that have started reach the call they block in. With a
 * `waiters` probe it waits until that many are parked; without one (locks
 * keep no count) it sleeps briefly, as upstream's `wait_threads_blocked` does.
 */
export async function waitThreadsBlocked(n: number, waiters?: () => number): Promise<void> {
  if (waiters === undefined) return sleep(10 * n);
  return until(() => waiters() >= n, `${n} parties to block`);
}

/** Upstream's `assertTimeout`: `actual` ms is roughly the `expected` timeout. */
export function assertTimeout(actual: number, expected: number): void {
  assert.ok(actual >= expected * 0.6, `waited ${actual.toFixed(1)} ms, expected about ${expected} ms`);
  assert.ok(actual < expected * 10, `waited ${actual.toFixed(1)} ms, expected about ${expected} ms`);
}

/** Runs a full garbage collection, after the current job lets go of its WeakRef targets. */
export async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

/**
 * Gives a primitive the Promise API backed by its Sync API: `x(...)` calls
 * `xSync(...)` when the primitive has it — blocking the calling thread — and
 * returns its result as a promise (a throw becomes a rejection). Anything
 * else passes through. Self-contained: its source is embedded in every party
 * sent to a worker.
 */
export function syncView<T>(value: T): T {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const primitive = value as Record<PropertyKey, any>;
  const blocking = ['acquireSync', 'waitSync', 'getSync'].some((name) => typeof primitive[name] === 'function');
  if (!blocking) return value;
  return new Proxy(primitive, {
    get(target, key) {
      const syncKey = typeof key === 'string' ? `${key}Sync` : undefined;
      if (syncKey !== undefined && typeof target[syncKey] === 'function') {
        return async (...args: unknown[]) => target[syncKey](...args);
      }
      // Read on the primitive itself: its methods and getters use #private fields.
      const member = target[key];
      return typeof member === 'function' ? member.bind(target) : member;
    },
  }) as T;
}

/** `syncView` over every value of a `shared` object. */
function syncViews<S>(shared: S): S {
  const entries = Object.entries(shared as Record<string, unknown>).map(([key, value]) => [key, syncView(value)]);
  return Object.fromEntries(entries) as S;
}

/** Runs a test body that upstream runs wholly in the main thread; see the header. */
export async function solo<S>(mode: Mode, body: (shared: S) => unknown, shared: S): Promise<void> {
  await body(mode === 'async' ? shared : syncViews(shared));
}

// Control words a bunch shares with its parties: [0] started, [1] finished,
// [2] may exit. The runner below repeats the offsets as literals: it cannot
// capture these constants.
const STARTED = 0;
const FINISHED = 1;
const CAN_EXIT = 2;
/** How often a party in a child process looks at the control words (it cannot be notified from here). */
const POLL_MS = 2;

declare const PARTY: Party<any>;
declare const SYNC_VIEW: typeof syncView;

/**
 * What every party runs, here or in a worker, with `PARTY` and `SYNC_VIEW`
 * replaced by the party's and syncView's source (see `compose`): announce the
 * start, wait until all parties have started (so a slow worker start cannot
 * look like a slow party), run, announce the end, and wait for permission to
 * exit (upstream's `wait_before_exit`).
 */
async function runParty(
  control: Int32Array,
  shared: Record<string, unknown>,
  index: number,
  parties: number,
  sync: boolean,
  inWorker: boolean,
  patience: number,
  poll: number,
  carried: readonly string[] | null,
): Promise<void> {
  // In a child process (carried not null): `control` and `shared[key]` for
  // each carried key came as SharedArrays; the party wants their views.
  if (carried !== null) {
    control = (control as unknown as { view: Int32Array }).view;
    shared = { ...shared };
    for (const key of carried) shared[key] = (shared[key] as { view: unknown }).view;
  }
  const party = PARTY;
  const view = SYNC_VIEW;
  const waitWord = async (slot: number, done: (value: number) => boolean, what: string): Promise<void> => {
    const deadline = performance.now() + patience;
    for (let value = Atomics.load(control, slot); !done(value); value = Atomics.load(control, slot)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`party ${index} gave up waiting for ${what}`);
      // Polling (poll > 0) when other parties are processes: their notify never reaches us.
      const wait = poll > 0 ? Math.min(left, poll) : left;
      if (inWorker) Atomics.wait(control, slot, value, wait);
      else await Atomics.waitAsync(control, slot, value, wait).value;
    }
  };
  const args = sync ? Object.fromEntries(Object.entries(shared).map(([key, value]) => [key, view(value)])) : shared;
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
  await waitWord(0, (started) => started >= parties, 'the other parties to start');
  try {
    await party(args, index);
  } finally {
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
    await waitWord(2, (canExit) => canExit !== 0, 'doFinish()');
  }
}

type Runner = typeof runParty;
const composed = new WeakMap<Function, Runner>();

/** `runParty` with `party` built in, as one self-contained function weft can send as source. */
function compose(party: Party<any>): Runner {
  let runner = composed.get(party);
  if (runner === undefined) {
    const source = runParty
      .toString()
      .replace(/\bPARTY\b/, () => `(${party.toString()})`)
      .replace(/\bSYNC_VIEW\b/, () => `(${syncView.toString()})`);
    // `__name` is a helper the transpiler may insert; weft supplies it in workers.
    runner = new Function('__name', `return (${source});`)((fn: unknown) => fn) as Runner;
    composed.set(party, runner);
  }
  return runner;
}

/**
 * What a child process is sent: the views made by ints() / floats() (the
 * control words among them) replaced by their SharedArrays, which cross as
 * live handles, and the keys replaced.
 */
function carry(control: Int32Array, shared: Record<string, unknown>): [Int32Array, Record<string, unknown>, string[]] {
  const carried: string[] = [];
  const sent = Object.fromEntries(
    Object.entries(shared).map(([key, value]) => {
      const carrier = ArrayBuffer.isView(value) ? carriers.get(value) : undefined;
      if (carrier === undefined) return [key, value];
      carried.push(key);
      return [key, carrier];
    }),
  );
  return [carriers.get(control) as unknown as Int32Array, sent, carried];
}

export interface BunchOptions {
  /** Parties stay alive after their function returned until `doFinish()` (upstream's `wait_before_exit`). */
  waitBeforeExit?: boolean;
  /**
   * In threads mode, run the last `main` parties as async tasks of this
   * thread, with the Promise API — upstream 3.12's `run_threads`, where the
   * main thread is one of the parties.
   */
  main?: number;
}

/**
 * `n` parties running `party` in the given mode (upstream's `Bunch`). They
 * start at once; `join()` waits for all and fails if any threw (a thread's
 * `exception` or non-zero exit code) or if they outlast {@link PATIENCE}.
 */
export class Bunch<S extends object> {
  readonly #control = ints(3);
  readonly #threads: Thread[] = [];
  readonly #processes: Process[] = [];
  readonly #tasks: Promise<void>[] = [];
  readonly #errors: unknown[] = [];
  readonly #n: number;

  constructor(mode: Mode, party: Party<S>, n: number, shared: S, options: BunchOptions = {}) {
    const { waitBeforeExit = false, main = 0 } = options;
    this.#n = n;
    if (!waitBeforeExit) this.#control[CAN_EXIT] = 1;
    const run = compose(party);
    for (let index = 0; index < n; index++) {
      if (mode === 'async' || index >= n - main) {
        const poll = mode === 'processes' ? POLL_MS : 0;
        const task = run(this.#control, shared as Record<string, unknown>, index, n, false, false, PATIENCE, poll, null);
        this.#tasks.push(task.catch((error: unknown) => void this.#errors.push(error)));
      } else if (mode === 'processes') {
        const [control, carriedShared, carried] = carry(this.#control, shared as Record<string, unknown>);
        const child = new Process({
          target: run,
          args: [control, carriedShared, index, n, index % 2 === 0, true, PATIENCE, POLL_MS, carried],
          name: `party ${index}`,
          daemon: true,
        });
        child.start();
        this.#processes.push(child);
      } else {
        const thread = new Thread({
          target: run,
          args: [this.#control, shared as Record<string, unknown>, index, n, index % 2 === 0, true, PATIENCE, 0, null],
          name: `party ${index}`,
          daemon: true, // a party stuck after a failed assertion must not keep the process alive
        });
        thread.start();
        this.#threads.push(thread);
      }
    }
  }

  /** Starts a bunch and joins it. */
  static async run<S extends object>(mode: Mode, party: Party<S>, n: number, shared: S, options?: BunchOptions): Promise<void> {
    await new Bunch(mode, party, n, shared, options).join();
  }

  /** Parties that have started running. */
  get started(): number {
    return Atomics.load(this.#control, STARTED);
  }

  /** Parties whose function has returned or thrown. */
  get finished(): number {
    return Atomics.load(this.#control, FINISHED);
  }

  waitForStarted(): Promise<void> {
    return until(() => this.started >= this.#n, `${this.#n} parties to start`);
  }

  waitForFinished(): Promise<void> {
    return until(() => this.finished >= this.#n, `${this.#n} parties to finish`);
  }

  /** Lets parties started with `waitBeforeExit` exit. */
  doFinish(): void {
    Atomics.store(this.#control, CAN_EXIT, 1);
    Atomics.notify(this.#control, CAN_EXIT);
  }

  /** Waits until every party has exited; throws what they threw. */
  async join(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => {
      timer = setTimeout(() => resolve('gave up'), PATIENCE);
    });
    const parties = [...this.#threads, ...this.#processes];
    const outcome = await Promise.race([Promise.all([...this.#tasks, ...parties.map((party) => party.join())]), gaveUp]);
    clearTimeout(timer);
    const errors = [...this.#errors];
    for (const thread of parties) {
      if (thread.exception !== undefined) errors.push(thread.exception);
      else if (thread.exitCode !== undefined && thread.exitCode !== 0) {
        errors.push(new Error(`${thread.name} exited with code ${thread.exitCode}`));
      }
    }
    if (outcome === 'gave up') {
      throw new Error(`${this.#n - this.finished} of ${this.#n} parties still running after ${PATIENCE} ms`, {
        cause: errors.length > 0 ? new AggregateError(errors) : undefined,
      });
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      const first = errors[0] instanceof Error ? `${errors[0].name}: ${errors[0].message}` : String(errors[0]);
      throw new AggregateError(errors, `${errors.length} of ${this.#n} parties failed; the first: ${first}`);
    }
    // Read atomically: orders every party's plain writes (times) before ours.
    assert.equal(this.finished, this.#n, 'every party ran to its end');
  }
}

// ---- Queues (the port of `Lib/test/test_queue.py`)

/** A queue class a `BaseQueueTestMixin` suite runs against (upstream's `type2test`). */
export interface QueueType {
  readonly name: string;
  readonly make: (maxsize?: number) => Queue<any>;
  /** How 111, 333, 222, put in that order, come out (upstream's per-class `cum` order). */
  readonly order: string;
}

export const QUEUE_TYPES: readonly QueueType[] = [
  { name: 'Queue', make: (maxsize = 0) => new Queue({ maxsize }), order: '111,333,222' },
  { name: 'JoinableQueue', make: (maxsize = 0) => new JoinableQueue({ maxsize }), order: '111,333,222' },
  { name: 'LifoQueue', make: (maxsize = 0) => new LifoQueue({ maxsize }), order: '222,333,111' },
  // Upstream's suites also put strings, which Python orders; weft's priorities
  // are numbers, so anything else counts as priority 0 (FIFO among them).
  {
    name: 'PriorityQueue',
    make: (maxsize = 0) => new PriorityQueue({ maxsize, key: (item: unknown) => (typeof item === 'number' ? item : 0) }),
    order: '111,222,333',
  },
];

/**
 * The processes scope's queues, for processes mode (parties in child
 * processes): the same classes over processes memory. A PriorityQueue's key
 * function crosses to each process as source.
 */
export const PROCESSES_QUEUE_TYPES: readonly QueueType[] = [
  { name: 'processes.Queue', make: (maxsize = 0) => new processes.Queue({ maxsize }), order: '111,333,222' },
  {
    name: 'processes.PriorityQueue',
    make: (maxsize = 0) => new processes.PriorityQueue({ maxsize, key: (item: unknown) => (typeof item === 'number' ? item : 0) }),
    order: '111,222,333',
  },
];

/** A queue's shared header words (internal: see `src/queue/layout.ts`). */
function queueWords(queue: Queue<any> | SimpleQueue<any>): Int32Array {
  const inner: Queue<any> = queue instanceof SimpleQueue ? queue[describeShared]() : queue;
  return inner[describeShared]().words;
}

/** How many parties are parked in a queue's `put` (full) or `get` (empty). */
export function queueWaiters(queue: Queue<any> | SimpleQueue<any>): () => number {
  const words = queueWords(queue);
  return () => Atomics.load(words, COUNT_WAITERS);
}

/** Upstream's `q.unfinished_tasks` (weft keeps it in a shared word and exposes no getter). */
export function unfinishedTasks(queue: Queue<any>): number {
  return Atomics.load(queueWords(queue), UNFINISHED) & TASKS;
}

/** Upstream's `q.maxsize = n` (weft's `maxsize` is read-only: this writes the shared word). */
export function setMaxsize(queue: Queue<any>, maxsize: number): void {
  Atomics.store(queueWords(queue), MAXSIZE, maxsize);
}

/**
 * Upstream's `do_blocking_test`, seen from the unblocking side. The party
 * stores `step` in `phase[0]` just before a call that must block; this waits
 * until that call is parked (`waiters() >= 1`), checks that the party has not
 * moved on (which would mean the call returned without blocking), and runs
 * `unblock` — what upstream's trigger thread does.
 */
export async function unblockStep(
  bunch: Bunch<object>,
  phase: Int32Array,
  step: number,
  waiters: () => number,
  unblock: () => unknown,
): Promise<void> {
  const reached = () => Atomics.load(phase, 0);
  await until(() => bunch.finished > 0 || reached() > step || (reached() === step && waiters() >= 1), `step ${step} to block`);
  if (bunch.finished > 0) {
    await bunch.join(); // throws what the party threw
    assert.fail(`the party ended before step ${step} was unblocked: the call appeared not to block`);
  }
  assert.equal(reached(), step, `step ${step}: the call appeared not to block`);
  await unblock();
}
