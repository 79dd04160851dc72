/**
 * The engine under every executor and pool: the queue of submitted tasks,
 * the workers, and what happens when a task finishes, fails, times out, is
 * aborted, or its worker dies. Only the transport to a worker differs
 * between thread and process pools (see `transport.ts`).
 *
 * Tasks wait in a priority queue (lower first, FIFO within a priority) until
 * a worker has room. Each worker takes a *window* of tasks at once — one
 * published batch, one wake-up — sized from the tasks' measured run time:
 * hundreds of tasks of a microsecond, two of a millisecond or more, so that
 * trivial tasks are cheap and long ones stay balanced between workers.
 * Workers run their tasks in order, one at a time, so results come back in
 * the order they were sent, and "the task a dead worker was running" is the
 * first one it had not answered; the ones behind it go back to the queue.
 */

import { BrokenExecutorError, ShutDownError, TimeoutError, WorkerDiedError, type WorkerDeath } from '../errors.js';
import { Future, internals as futureInternals, type Prober } from '../futures/future.js';
import { hold, release } from '../memory/keep-alive.js';
import { describeTarget, type Target, type TargetDescription } from '../run/task.js';
import type { SentError } from '../run/error-transfer.js';
import { Samples, type PoolStats } from './stats.js';
import { taskError } from './task-error.js';
import { TaskQueue } from './task-queue.js';
import { PartialChunk } from './worker-side.js';

export type { PoolStats, Percentiles } from './stats.js';

type AnyFunction = (...args: any[]) => any;

/** Per-task options: `submit(options, task, ...args)`. */
export interface TaskOptions {
  /** Lower runs first; FIFO among equal priorities. Default 0. */
  readonly priority?: number;
  /**
   * Milliseconds the task may run once started. A task still running then is
   * stopped by replacing its worker; its future fails with a `TimeoutError`.
   */
  readonly timeout?: number;
  /**
   * Aborting cancels the task if it has not started, and stops it (by
   * replacing its worker) if it has; its future fails with `signal.reason`.
   */
  readonly signal?: AbortSignal;
}

/** What to do when a worker dies mid-task. */
export type OnWorkerDeath = 'replace' | 'break';

/** Options every pool takes. */
export interface EngineOptions {
  readonly maxWorkers: number;
  readonly initializer: Target<AnyFunction> | undefined;
  readonly initargs: readonly unknown[];
  readonly maxTasksPerChild: number | undefined;
  readonly idleTimeout: number | undefined;
  readonly onWorkerDeath: OnWorkerDeath;
  /** The largest window; 1 makes every worker take one task at a time. */
  readonly maxWindow: number;
}

/** A target once named: the id workers know it by. */
export interface TargetInfo {
  readonly id: number;
  readonly description: TargetDescription;
}

/** A submitted task. */
export interface Task {
  readonly seq: number;
  readonly future: Future<unknown>;
  readonly target: TargetInfo;
  /** The arguments (for a chunk, a list of argument lists or of single arguments). Encoded when sent. */
  readonly args: unknown[];
  /** 0, or the wire flags saying what kind of chunk `args` is (`CHUNK`, or `CHUNK | ITEMS`; see `map`'s `chunksize`). */
  readonly chunk: number;
  readonly priority: number;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly submitted: number;
  onAbort: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  worker: Slot | undefined;
  /** Set when the task's outcome is decided before its worker answers (abort). */
  settled: boolean;
  /** Where the transport put it, for `Link.withdraw` (-1: nowhere yet). */
  ticket: number;
  /** Taken back from its worker by a `cancel()` (and counted cancelled then). */
  withdrawn: boolean;
}

/** A worker as its transport presents it to the engine. */
export interface Link {
  /** Sends a target definition; false if there is no room now. */
  define(id: number, description: TargetDescription): boolean;
  /**
   * Sends a task; false if there is no room now.
   *
   * @throws DataCloneError (or CaptureError…) if its arguments cannot be sent: the task fails with it.
   */
  post(task: Task): boolean;
  /** Makes what was sent visible to the worker and wakes it. */
  flush(): void;
  /** Asks the worker to finish and exit. */
  stop(): void;
  /** Ends the worker now. */
  kill(): void;
  /** Hands the answers already waiting to the engine now, where the transport can (before a kill). */
  poll?(): void;
  /**
   * Takes back a task posted to the worker if the worker has not started it
   * (it then answers `skipped`); false if it has. A transport without it
   * cannot take tasks back: a task counts as running once posted, as a
   * task in the call queue of Python's process pool does.
   */
  withdraw?(task: Task): boolean;
  /** Whether the worker has started the posted task (with {@link withdraw}). */
  taken?(task: Task): boolean;
}

/** What a link reports. Results come in the order tasks were posted. */
export interface LinkEvents {
  returned(seq: number, value: unknown, micros: number): void;
  threw(seq: number, error: SentError, micros: number): void;
  /** A chunk in which some calls threw: the results, and the errors by position. */
  partial(seq: number, values: unknown[], failures: [number, SentError][], micros: number): void;
  started(seq: number): void;
  /** A task withdrawn before the worker started it (see `Link.withdraw`). */
  skipped(seq: number): void;
  initFailed(error: SentError): void;
  exited(death: WorkerDeath | undefined): void;
}

/** How an engine reaches workers of one kind. */
export interface Transport {
  /** 'thread' or 'process', for messages. */
  readonly kind: string;
  /** Starts a worker. */
  spawn(name: string, events: LinkEvents): Link;
  /** The error that breaks this kind of pool. */
  broken(message: string, cause: unknown): BrokenExecutorError;
  /** Told whenever the number of tasks out with workers goes from 0 to more, and back. */
  setBusy?(busy: boolean): void;
}

/** A live worker and the engine's book-keeping for it. */
export interface Slot {
  readonly id: number;
  readonly link: Link;
  /** Sent and not yet answered, in order; `head` is the first. */
  readonly inflight: Task[];
  head: number;
  readonly known: Set<number>;
  sent: number;
  answered: number;
  busyMicros: number;
  readonly born: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Its ring refused a message: no more until it answers. */
  full: boolean;
  /** Takes no more tasks; told to exit once it has answered what it has. */
  stopping: boolean;
  stopSent: boolean;
  /** Why the engine killed it, for the task it was running. */
  killedFor: { task: Task; error: unknown } | undefined;
}

/** The per-task run time (µs) a window aims to cover; with the wake-up cost this keeps trivial tasks batched. */
const WINDOW_MICROS = 2000;

function deathMessage(kind: string, death: WorkerDeath): string {
  switch (death.kind) {
    case 'exit': return `the ${kind} worker running this task exited with code ${death.exitCode}`;
    case 'signal': return `the ${kind} worker running this task was killed by ${death.signal}`;
    case 'out-of-memory': return `the ${kind} worker running this task ran out of memory (resourceLimits)`;
    case 'uncaught': return `the ${kind} worker running this task died of an uncaught error: ${(death.error as Error)?.message ?? String(death.error)}`;
  }
}

export class Engine {
  readonly #transport: Transport;
  readonly #options: EngineOptions;
  readonly #name: string;
  readonly #queue = new TaskQueue<Task>();
  readonly #slots = new Set<Slot>();
  // The same slots as an array, for #pick (run per task: a Set's iterator is an allocation each time).
  #slotList: Slot[] = [];
  readonly #bySource = new Map<string, TargetInfo>();
  #lastTask: unknown;
  #lastTarget: TargetInfo | undefined;
  #nextTarget = 1;
  #nextSeq = 1;
  #nextWorker = 1;
  #outstanding = 0;
  #scheduled = false;
  #shutdown = false;
  // Why the pool broke; each future it fails gets an error of its own (Python's BrokenProcessPool per future).
  #broken: { readonly message: string; readonly cause: unknown } | undefined;
  // Mean run time (µs) of recent tasks, for the window size.
  #meanMicros = -1;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  readonly #waitTimes = new Samples();
  readonly #runTimes = new Samples();
  #idle: Array<() => void> = [];
  #exited: Array<() => void> = [];

  constructor(transport: Transport, options: EngineOptions, name: string) {
    this.#transport = transport;
    this.#options = options;
    this.#name = name;
  }

  /** A new error saying why the pool broke, or undefined while it works. */
  get broken(): BrokenExecutorError | undefined {
    return this.#broken === undefined ? undefined : this.#transport.broken(this.#broken.message, this.#broken.cause);
  }

  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /**
   * Names a target for workers, once per distinct function source or module
   * export (a function written inline in a submit loop is a new object each
   * time, with the same source).
   */
  target(task: Target<AnyFunction>, what: string): TargetInfo {
    if (task === this.#lastTask) return this.#lastTarget!;
    const key = typeof task === 'function' ? `${task.name}\n${Function.prototype.toString.call(task)}` : undefined;
    let info = key === undefined ? undefined : this.#bySource.get(key);
    if (info === undefined) {
      const description = describeTarget(task, what);
      const id = description.kind === 'inline' ? key! : `${description.module}#${description.exportName}`;
      info = this.#bySource.get(id);
      if (info === undefined) {
        info = { id: this.#nextTarget++, description };
        this.#bySource.set(id, info);
      }
    }
    this.#lastTask = task;
    this.#lastTarget = info;
    return info;
  }

  /**
   * Queues a task and returns its future.
   *
   * @throws ShutDownError after shutdown; the broken error once broken;
   *   DataCloneError for arguments that cannot cross.
   */
  submit<R>(target: TargetInfo, args: unknown[], options: TaskOptions | undefined, chunk = 0): Future<R> {
    if (this.#broken !== undefined) throw this.broken;
    if (this.#shutdown) throw new ShutDownError(`${this.#name}: cannot schedule new futures after shutdown`);
    const priority = options?.priority ?? 0;
    if (typeof priority !== 'number' || Number.isNaN(priority)) throw new TypeError(`${this.#name}: priority must be a number, got ${String(priority)}`);
    const timeout = options?.timeout;
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0)) {
      throw new RangeError(`${this.#name}: timeout must be a number of milliseconds >= 0, got ${String(timeout)}`);
    }
    const signal = options?.signal;
    const future = new Future<R>();
    if (signal?.aborted) {
      future.setRunningOrNotifyCancel();
      future.setException(signal.reason);
      this.#failed++;
      return future;
    }
    const task: Task = {
      seq: this.#nextSeq++, future: future as Future<unknown>, target, args, chunk, priority, timeout, signal,
      submitted: performance.now(), onAbort: undefined, timer: undefined, worker: undefined, settled: false, ticket: -1, withdrawn: false,
    };
    if (signal !== undefined) {
      task.onAbort = () => this.#abort(task);
      signal.addEventListener('abort', task.onAbort, { once: true });
    }
    this.#queue.push(task, priority);
    this.#schedule();
    return future;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.dispatch();
    });
  }

  #window(): number {
    const mean = this.#meanMicros;
    const most = this.#options.maxWindow;
    if (mean < 0) return Math.min(2, most);
    return Math.min(most, Math.max(2, Math.ceil(WINDOW_MICROS / Math.max(mean, 1))));
  }

  /** The worker a task should go to now, or undefined if none has room (spawning one if allowed). */
  #pick(window: number): Slot | undefined {
    let best: Slot | undefined;
    let bestLoad = Infinity;
    const slots = this.#slotList;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.stopping || slot.full || slot.killedFor !== undefined) continue;
      const load = slot.inflight.length - slot.head;
      if (load >= window) continue;
      const limit = this.#options.maxTasksPerChild;
      if (limit !== undefined && slot.sent >= limit) continue;
      if (load < bestLoad) {
        best = slot;
        bestLoad = load;
      }
    }
    if ((best === undefined || bestLoad > 0) && this.#slots.size < this.#options.maxWorkers) return this.#spawn();
    return best;
  }

  #spawn(): Slot {
    const id = this.#nextWorker++;
    let slot: Slot;
    const events: LinkEvents = {
      returned: (seq, value, micros) => this.#answered(slot, seq, micros, 'returned', value),
      threw: (seq, error, micros) => this.#answered(slot, seq, micros, 'threw', error),
      partial: (seq, values, failures, micros) =>
        this.#answered(slot, seq, micros, 'returned', new PartialChunk(values, failures.map(([index, error]) => [index, taskError(error)]))),
      started: (seq) => this.#started(slot, seq),
      skipped: (seq) => this.#answered(slot, seq, 0, 'skipped', undefined),
      initFailed: (error) => this.#initFailed(slot, error),
      exited: (death) => this.#exitedSlot(slot, death),
    };
    const link = this.#transport.spawn(`${this.#name}_${id - 1}`, events);
    slot = {
      id, link, inflight: [], head: 0, known: new Set(), sent: 0, answered: 0, busyMicros: 0, born: performance.now(),
      idleTimer: undefined, full: false, stopping: false, stopSent: false, killedFor: undefined,
    };
    this.#slots.add(slot);
    this.#slotList = [...this.#slots];
    return slot;
  }

  /** Sends queued tasks to workers with room. */
  dispatch(): void {
    if (this.#broken !== undefined) return;
    const touched = new Set<Slot>();
    const window = this.#window();
    while (this.#queue.size > 0) {
      const task = this.#queue.peek()!;
      if (task.future.cancelled() || task.settled) {
        this.#queue.shift();
        this.#dropCancelled(task);
        continue;
      }
      // An abortable task goes only to an idle worker: queued behind others it
      // could not be taken back, and would run although aborted. Until one is
      // idle, dispatch stops rather than let later tasks overtake it.
      const slot = this.#pick(task.signal === undefined ? window : 1);
      if (slot === undefined) break;
      if (!slot.known.has(task.target.id)) {
        if (!slot.link.define(task.target.id, task.target.description)) {
          this.#full(slot, touched);
          continue;
        }
        slot.known.add(task.target.id);
      }
      let sent: boolean;
      try {
        sent = slot.link.post(task);
      } catch (error) {
        // Its arguments cannot be sent: only this task fails.
        this.#queue.shift();
        task.settled = true;
        this.#detach(task);
        if (task.future.running() === false) task.future.setRunningOrNotifyCancel();
        this.#failed++;
        task.future.setException(error);
        continue;
      }
      if (!sent) {
        this.#full(slot, touched);
        continue;
      }
      this.#queue.shift();
      // Python's thread pool keeps a task pending — cancellable — until a
      // worker takes it; where the transport can take a posted task back,
      // so does weft (ahead in a worker's window, it is not started yet).
      // A task with a timeout or a signal counts as running at once.
      if (slot.link.withdraw !== undefined && task.timeout === undefined && task.signal === undefined) {
        futureInternals.setProbe(task.future, this.#prober, task);
      } else if (task.future.running() === false) {
        task.future.setRunningOrNotifyCancel();
      }
      task.worker = slot;
      if (slot.inflight.length - slot.head === 0) this.#clearIdle(slot);
      slot.inflight.push(task);
      slot.sent++;
      if (this.#outstanding++ === 0) this.#busy(true);
      touched.add(slot);
    }
    for (const slot of touched) slot.link.flush();
    if (this.#queue.size === 0) this.#maybeIdle();
  }

  // A worker whose ring has no room takes nothing more until its next answer frees some.
  #full(slot: Slot, touched: Set<Slot>): void {
    slot.full = true;
    slot.link.flush();
    touched.delete(slot);
  }

  #busy(busy: boolean): void {
    if (busy) hold();
    else release();
    this.#transport.setBusy?.(busy);
  }

  #dropCancelled(task: Task): void {
    if (task.settled) return;
    task.settled = true;
    task.future.setRunningOrNotifyCancel();
    if (!task.withdrawn) this.#cancelled++;
    this.#detach(task);
  }

  /**
   * A windowed task's future asks whether its worker has taken it (see
   * `FutureInternals.setProbe`); with `withdraw`, takes it back if not.
   */
  readonly #prober: Prober = { probe: (task, withdraw) => this.#probe(task as Task, withdraw) };

  #probe(task: Task, withdraw: boolean): boolean {
    const link = task.worker!.link;
    if (!withdraw) return link.taken!(task);
    if (!link.withdraw!(task)) return true;
    task.withdrawn = true;
    this.#cancelled++;
    return false;
  }

  #detach(task: Task): void {
    futureInternals.setProbe(task.future, undefined);
    if (task.onAbort !== undefined) task.signal!.removeEventListener('abort', task.onAbort);
    if (task.timer !== undefined) clearTimeout(task.timer);
    task.onAbort = undefined;
    task.timer = undefined;
  }

  #answered(slot: Slot, seq: number, micros: number, how: 'returned' | 'threw' | 'skipped', outcome: unknown): void {
    const task = slot.inflight[slot.head];
    if (task === undefined || task.seq !== seq) {
      // Never expected: the worker answered out of order. Fail loudly rather than mismatch results.
      slot.link.kill();
      return;
    }
    slot.inflight[slot.head++] = undefined as unknown as Task;
    if (slot.head > 1024 && slot.head * 2 > slot.inflight.length) {
      slot.inflight.splice(0, slot.head);
      slot.head = 0;
    }
    slot.full = false;
    if (this.#outstanding-- === 1) this.#busy(false);
    this.#detach(task);
    if (how === 'skipped') {
      // Withdrawn (its future cancelled) before the worker started it.
      task.worker = undefined;
      this.#dropCancelled(task);
      this.#schedule();
      return;
    }
    slot.answered++;
    slot.busyMicros += micros;
    this.#meanMicros = this.#meanMicros < 0 ? micros : this.#meanMicros * 0.9 + micros * 0.1;
    const now = performance.now();
    this.#runTimes.add(micros / 1000);
    this.#waitTimes.add(Math.max(0, now - micros / 1000 - task.submitted));
    if (!task.settled) {
      task.settled = true;
      if (how === 'returned') {
        this.#completed++;
        task.future.setResult(outcome);
      } else {
        this.#failed++;
        task.future.setException(taskError(outcome as SentError));
      }
    }
    const limit = this.#options.maxTasksPerChild;
    if (limit !== undefined && slot.answered >= limit) this.#retire(slot);
    else if (slot.stopping) this.#stopIfDone(slot);
    this.#schedule();
  }

  /** Sends no more to `slot`; it exits once it has answered what it has. */
  #retire(slot: Slot): void {
    slot.stopping = true;
    this.#clearIdle(slot);
    this.#stopIfDone(slot);
  }

  #stopIfDone(slot: Slot): void {
    if (slot.stopSent || slot.killedFor !== undefined || slot.inflight.length - slot.head !== 0) return;
    slot.stopSent = true;
    slot.link.stop();
  }

  #started(slot: Slot, seq: number): void {
    const task = slot.inflight[slot.head];
    if (task === undefined || task.seq !== seq || task.timeout === undefined || task.settled) return;
    task.timer = setTimeout(() => {
      task.timer = undefined;
      if (task.settled || slot.inflight[slot.head] !== task) return;
      this.#kill(slot, task, new TimeoutError(`${this.#name}: the task ran longer than its timeout of ${task.timeout} ms and was stopped`));
    }, task.timeout);
  }

  #abort(task: Task): void {
    task.onAbort = undefined;
    if (task.settled || task.future.done()) return;
    const slot = task.worker;
    const reason = task.signal!.reason;
    if (slot === undefined) {
      // Still queued: it will be dropped when the queue reaches it.
      task.settled = true;
      if (task.future.running() === false) task.future.setRunningOrNotifyCancel();
      this.#failed++;
      task.future.setException(reason);
      return;
    }
    if (slot.inflight[slot.head] === task) {
      this.#kill(slot, task, reason);
      return;
    }
    // Sent but not started: its worker will run it, but its answer is ignored.
    task.settled = true;
    this.#failed++;
    task.future.setException(reason);
  }

  #kill(slot: Slot, task: Task, error: unknown): void {
    if (slot.killedFor !== undefined) return;
    // It may have finished just now: read what the worker has answered first.
    slot.link.poll?.();
    if (task.settled || slot.inflight[slot.head] !== task) return;
    slot.killedFor = { task, error };
    slot.stopping = true;
    slot.link.kill();
  }

  #initFailed(slot: Slot, error: SentError): void {
    const cause = taskError(error);
    this.#break(`${this.#name}: a ${this.#transport.kind} initializer failed, the pool is not usable anymore`, cause);
    slot.link.kill();
  }

  /** Fails everything queued or running and refuses new work (Python's broken pool). */
  #break(message: string, cause: unknown): void {
    if (this.#broken !== undefined) return;
    this.#broken = { message, cause };
    for (const slot of this.#slots) {
      for (let i = slot.head; i < slot.inflight.length; i++) this.#fail(slot.inflight[i]!, this.broken);
      slot.inflight.length = 0;
      slot.head = 0;
      slot.stopping = true;
      slot.link.kill();
    }
    while (this.#queue.size > 0) {
      const task = this.#queue.shift()!;
      if (task.future.cancelled()) this.#dropCancelled(task);
      else this.#fail(task, this.broken);
    }
  }

  #fail(task: Task, error: unknown): void {
    this.#detach(task);
    if (task.worker !== undefined && this.#outstanding-- === 1) this.#busy(false);
    task.worker = undefined;
    if (task.settled) return;
    if (task.future.cancelled()) {
      // Withdrawn before its worker started it: cancelled, not failed.
      this.#dropCancelled(task);
      return;
    }
    task.settled = true;
    if (!task.future.running()) task.future.setRunningOrNotifyCancel();
    this.#failed++;
    task.future.setException(error);
  }

  #exitedSlot(slot: Slot, death: WorkerDeath | undefined): void {
    this.#slots.delete(slot);
    this.#slotList = [...this.#slots];
    this.#clearIdle(slot);
    const pending = slot.inflight.slice(slot.head);
    slot.inflight.length = 0;
    slot.head = 0;
    // Tasks taken back before the worker reached them are only cancelled.
    while (pending.length > 0 && pending[0]!.future.cancelled()) this.#fail(pending.shift()!, undefined);
    if (pending.length > 0) {
      const first = pending[0]!;
      const killed = slot.killedFor?.task === first ? slot.killedFor.error : undefined;
      if (killed === undefined && this.#options.onWorkerDeath === 'break') {
        const how = death ?? { kind: 'exit', exitCode: 0 };
        this.#break(`${this.#name}: ${deathMessage(this.#transport.kind, how)}; the pool is not usable anymore`, new WorkerDiedError(deathMessage(this.#transport.kind, how), how));
        for (const task of pending) this.#fail(task, this.broken);
      } else {
        const how = death ?? { kind: 'exit', exitCode: 0 };
        this.#fail(first, killed ?? new WorkerDiedError(deathMessage(this.#transport.kind, how), how, { cause: how.kind === 'uncaught' ? how.error : undefined }));
        // The rest had not started: back to the queue, ahead of later work.
        for (let i = pending.length - 1; i >= 1; i--) {
          const task = pending[i]!;
          if (this.#outstanding-- === 1) this.#busy(false);
          task.worker = undefined;
          futureInternals.setProbe(task.future, undefined);
          if (!task.settled) this.#queue.unshift(task, task.priority);
          else this.#detach(task);
        }
      }
    }
    for (const resolve of this.#exited.splice(0)) resolve();
    this.#schedule();
  }

  #clearIdle(slot: Slot): void {
    if (slot.idleTimer !== undefined) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
  }

  /** Workers with nothing to do: stop them after `idleTimeout`, or now after shutdown. */
  #maybeIdle(): void {
    const quiet = this.#outstanding === 0 && this.#queue.size === 0;
    if (quiet) for (const resolve of this.#idle.splice(0)) resolve();
    for (const slot of this.#slots) {
      if (slot.inflight.length - slot.head !== 0 || slot.stopping) continue;
      if (this.#shutdown && quiet) {
        this.#retire(slot);
        continue;
      }
      const idleTimeout = this.#options.idleTimeout;
      if (idleTimeout !== undefined && slot.idleTimer === undefined && Number.isFinite(idleTimeout)) {
        slot.idleTimer = setTimeout(() => {
          slot.idleTimer = undefined;
          if (slot.inflight.length - slot.head === 0 && !slot.stopping) this.#retire(slot);
        }, idleTimeout);
        slot.idleTimer.unref();
      }
    }
  }

  /**
   * Refuses new work; with `cancelFutures`, cancels what has not started.
   * Workers exit once the queue has drained. Resolves when they have, if `wait`.
   */
  async shutdown(wait: boolean, cancelFutures: boolean): Promise<void> {
    this.#shutdown = true;
    if (cancelFutures) {
      const keep: Task[] = [];
      while (this.#queue.size > 0) {
        const task = this.#queue.shift()!;
        if (task.settled) {
          this.#detach(task);
        } else if (task.future.cancel()) {
          this.#cancelled++;
          task.future.setRunningOrNotifyCancel();
          this.#detach(task);
        } else {
          // Already running: sent back to the queue by a worker's death. It runs.
          keep.push(task);
        }
      }
      for (const task of keep) this.#queue.push(task, task.priority);
      // Sent ahead to a worker and not started: taken back where the
      // transport can — all but the first of each window, which that worker
      // is running or about to (as a worker holding a work item in Python).
      for (const slot of this.#slots) {
        for (let i = slot.head + 1; i < slot.inflight.length; i++) slot.inflight[i]!.future.cancel();
      }
    }
    this.dispatch();
    this.#maybeIdle();
    if (!wait) return;
    // Workers are unref'd: hold the event loop open until they have exited.
    hold();
    try {
      while (this.#outstanding > 0 || this.#queue.size > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
      this.#maybeIdle();
      while (this.#slots.size > 0) await new Promise<void>((resolve) => this.#exited.push(resolve));
    } finally {
      release();
    }
  }

  /** Ends every worker now; what has not finished fails (Pool.terminate()). */
  terminate(error: unknown): void {
    this.#shutdown = true;
    while (this.#queue.size > 0) {
      const task = this.#queue.shift()!;
      if (task.future.cancel()) {
        task.future.setRunningOrNotifyCancel();
        this.#detach(task);
      } else {
        this.#fail(task, error);
      }
    }
    for (const slot of this.#slots) {
      for (let i = slot.head; i < slot.inflight.length; i++) this.#fail(slot.inflight[i]!, error);
      slot.inflight.length = 0;
      slot.head = 0;
      slot.stopping = true;
      slot.link.kill();
    }
  }

  /** Resolves once every worker has exited. */
  async joined(): Promise<void> {
    hold();
    try {
      while (this.#slots.size > 0) await new Promise<void>((resolve) => this.#exited.push(resolve));
    } finally {
      release();
    }
  }

  /** Number of live workers. */
  get workers(): number {
    return this.#slots.size;
  }

  stats(): PoolStats {
    const now = performance.now();
    let running = 0;
    const workers = [];
    for (const slot of this.#slots) {
      running += slot.inflight.length - slot.head;
      const lifetime = (now - slot.born) * 1000;
      workers.push({ id: slot.id, tasks: slot.answered, utilization: lifetime > 0 ? Math.min(1, slot.busyMicros / lifetime) : 0 });
    }
    return {
      queued: this.#queue.size, running, completed: this.#completed, failed: this.#failed, cancelled: this.#cancelled, workers,
      waitTime: this.#waitTimes.percentiles(), runTime: this.#runTimes.percentiles(),
    };
  }
}
