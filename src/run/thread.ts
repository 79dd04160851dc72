import { MessageChannel, receiveMessageOnPort, threadId, Worker, type MessagePort } from 'node:worker_threads';
import { InvalidStateError } from '../errors.js';
import { remaining, waitDeadline } from '../memory/deadline.js';
import type { AsyncTimeoutOptions, TimeoutOptions } from '../memory/deadline.js';
import { encode, type Envelope } from '../share/marshal.js';
import { functionSource } from './inline.js';
import { joinWithin } from './join-wait.js';
import { describeTarget, type Target, type TargetDescription } from './task.js';
import { receiveError } from './error-transfer.js';
import { workerScript } from './bootstrap.js';
import {
  CANCELLED, current, FINISHED, LIFE, NEW, READY, RUNNING, STATE_WORDS, type ThreadReport, type ThreadStart,
} from './thread-state.js';
import { registry, snapshot } from '../shared/registry-state.js';
import { livenessBuffer, markThreadDead, threadStarted } from './liveness.js';

type AnyFunction = (...args: any[]) => any;

/** Options of {@link Thread}. */
export interface ThreadOptions<F extends AnyFunction = AnyFunction> {
  /** What to run: a self-contained function (sent as source) or a {@link moduleTask}. */
  target?: Target<F>;
  /** Arguments for the target. Shareables among them arrive as live handles. */
  args?: Parameters<F>;
  /** Default `Thread-N (target)`. */
  name?: string;
  /** A daemon thread does not keep the process alive. Default: the creating thread's. */
  daemon?: boolean;
}

/** What {@link Thread.excepthook} receives. */
export interface ExceptHookArgs {
  /** What the target threw, rebuilt in this thread (stack, `code` and `cause` kept). */
  readonly exception: unknown;
  /** The thread it was thrown in. */
  readonly thread: Thread;
}

// From source (under tsx) the entry is TypeScript; built, it is one bundled CommonJS file.
const entryUrl = new URL(`../worker/thread-entry.${import.meta.url.endsWith('.ts') ? 'ts' : 'cjs'}`, import.meta.url);

let counter = 0;
const alive = new Set<Thread>();

// Workers this thread has started that may not listen for shared-memory names
// yet. Before this thread announces a new name, it waits (boundedly) until
// they do, so a block created right after start() is visible to the thread.
const starting = new Set<Int32Array>();
const READY_WAIT_MS = 10_000;
registry.beforeChange = () => {
  const deadline = performance.now() + READY_WAIT_MS;
  for (const state of starting) {
    while (Atomics.load(state, READY) === 0 && Atomics.load(state, LIFE) !== FINISHED && performance.now() < deadline) {
      Atomics.wait(state, READY, 0, 50);
    }
    starting.delete(state);
  }
};

/** Set while constructing the Thread object that stands for an already running thread. */
let adopting: { name: string; ident: number; daemon: boolean } | undefined;

function defaultExcepthook({ exception, thread }: ExceptHookArgs): void {
  const detail = exception instanceof Error ? (exception.stack ?? `${exception.name}: ${exception.message}`) : String(exception);
  process.stderr.write(`Exception in thread ${thread.name}:\n${detail}\n`);
}

/**
 * A thread of control that runs a function in a worker thread, with Python's
 * `threading.Thread` API: `start`, `join`, `isAlive`, `name`, `daemon`,
 * `ident` — and `join` exists twice: `await join()` never blocks the event
 * loop, `joinSync()` blocks the calling thread.
 *
 * The target is either a plain function — its source is sent and compiled
 * once per worker, so it may not capture variables (that fails at `start()`
 * with an error naming the variable) but may `await import(...)` — or a
 * {@link moduleTask}. Arguments are structured-cloned, except shareables
 * (locks, values, shared arrays…), which arrive as live handles on the same
 * shared state. Subclasses may override `run()` instead; it then runs in the
 * worker with `this` holding the instance's own fields.
 *
 * An exception in the target is reported through {@link Thread.excepthook}
 * (printed with the thread's name by default) and kept as `exception`.
 *
 * @example
 * ```ts
 * import { Thread, Value } from 'weft';
 * const total = new Value('i', 0);
 * const thread = new Thread({
 *   target: (counter: typeof total, n: number) => { counter.value += n; },
 *   args: [total, 42],
 * });
 * thread.start();
 * await thread.join();
 * console.log(total.value, thread.isAlive()); // 42 false
 * ```
 * @see Python's `threading.Thread`
 */
export class Thread<F extends AnyFunction = AnyFunction> {
  /**
   * Called for an exception a thread's target raised. Replace it to route
   * such errors elsewhere; the default writes
   * `Exception in thread <name>:` and the stack to stderr.
   */
  static excepthook: (args: ExceptHookArgs) => void = defaultExcepthook;

  readonly #target: Target<F> | undefined;
  readonly #args: Parameters<F> | unknown[];
  readonly #state = new Int32Array(new SharedArrayBuffer(STATE_WORDS * 4));
  readonly #isCurrent: boolean;
  #name: string;
  #daemon: boolean;
  #worker: Worker | undefined;
  #port: MessagePort | undefined;
  #ident: number | undefined;
  #exitCode: number | undefined;
  #exception: unknown;
  #exited: Promise<void> | undefined;
  #delay: number | undefined;

  constructor(options: ThreadOptions<F> = {}) {
    if (adopting !== undefined) {
      this.#name = adopting.name;
      this.#ident = adopting.ident;
      this.#daemon = adopting.daemon;
      this.#isCurrent = true;
      this.#args = [];
      Atomics.store(this.#state, LIFE, RUNNING);
      return;
    }
    this.#isCurrent = false;
    const { target, args = [], name, daemon } = options;
    if (target !== undefined && typeof target !== 'function' && typeof target !== 'object') {
      throw new TypeError(`Thread(): target must be a function or a moduleTask(), got ${typeof target}`);
    }
    if (!Array.isArray(args)) throw new TypeError('Thread(): args must be an array');
    if (name !== undefined && typeof name !== 'string') throw new TypeError('Thread(): name must be a string');
    this.#target = target;
    this.#args = args;
    counter++;
    const targetName = typeof target === 'function' ? target.name : (target as { exportName?: string } | undefined)?.exportName;
    this.#name = name ?? `Thread-${counter}${targetName ? ` (${targetName})` : ''}`;
    this.#daemon = daemon ?? current.daemon;
  }

  /** The thread's name; only for identification. */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    this.#name = String(value);
  }

  /** Whether this is a daemon thread. Settable only before `start()`. */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    if (Atomics.load(this.#state, LIFE) !== NEW) throw new InvalidStateError('Thread.daemon: cannot set daemon status of an active thread');
    this.#daemon = Boolean(value);
  }

  /** The worker's `threadId` once started, otherwise `undefined`. */
  get ident(): number | undefined {
    return this.#ident;
  }

  /** Same as `ident`: Node's thread id is the native id. */
  get nativeId(): number | undefined {
    return this.#ident;
  }

  /** The worker's exit code once it has exited: 0, or 1 if the target threw. */
  get exitCode(): number | undefined {
    return this.#exitCode;
  }

  /** What the target threw, once the thread has finished; `undefined` otherwise. */
  get exception(): unknown {
    return this.#exception;
  }

  /** @internal Set by Timer before start. */
  protected set startDelay(ms: number) {
    this.#delay = ms;
  }

  /** @internal Timer.cancel(). */
  protected signalCancel(): void {
    Atomics.store(this.#state, CANCELLED, 1);
    Atomics.notify(this.#state, CANCELLED);
  }

  /**
   * The thread's activity. The default runs `target(...args)`. A subclass may
   * override it; the override runs in the worker (sent as source, so it must
   * be self-contained), with `this` holding a copy of the instance's own
   * fields — shareables among them live.
   */
  run(): unknown {
    throw new InvalidStateError('Thread.run() is called in the worker, not on this side');
  }

  #describe(): { target: TargetDescription; self: Envelope | undefined } {
    const run = (this as { run: AnyFunction }).run;
    if (run !== Thread.prototype.run) {
      const self = encode({ ...this }, { root: 'this' });
      return { target: { kind: 'inline', fn: functionSource(run, `${this.constructor.name}.run()`) }, self };
    }
    if (this.#target === undefined) return { target: { kind: 'inline', fn: { source: '() => {}', name: '', base: '' } }, self: undefined };
    return { target: describeTarget(this.#target, 'Thread target'), self: undefined };
  }

  /**
   * Starts the thread. Everything the thread needs is checked here, before a
   * worker exists: a target that captures variables, or arguments that cannot
   * cross, throw now.
   *
   * @throws InvalidStateError if called more than once.
   * @throws CaptureError / DataCloneError / TypeError for a target or arguments that cannot be sent.
   */
  start(): void {
    if (this.#isCurrent || Atomics.load(this.#state, LIFE) !== NEW || this.#worker !== undefined) {
      throw new InvalidStateError('Thread.start(): threads can only be started once');
    }
    const { target, self } = this.#describe();
    const args = encode(this.#args, { root: 'args' });
    const { port1, port2 } = new MessageChannel();
    const start: ThreadStart = {
      target, args, self, name: this.#name, daemon: this.#daemon, state: this.#state, port: port2, delay: this.#delay,
      blocks: snapshot(), liveness: livenessBuffer(),
    };
    const { script, eval: evaluate, workerData } = workerScript(entryUrl, start);
    const worker = new Worker(script, {
      eval: evaluate,
      workerData,
      transferList: [port2],
      name: this.#name,
    });
    this.#worker = worker;
    this.#port = port1;
    this.#ident = worker.threadId;
    threadStarted(worker.threadId);
    Atomics.store(this.#state, LIFE, RUNNING);
    alive.add(this);
    starting.add(this.#state);
    port1.on('message', (report: ThreadReport) => this.#report(report));
    port1.unref();
    worker.on('error', (error) => {
      // An error thrown outside the target (a timer it left behind, say).
      if (this.#exception === undefined) this.#report({ type: 'exception', error: { name: error.name, message: error.message, stack: error.stack, code: undefined, cause: undefined, thrown: undefined, isError: true } });
    });
    this.#exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        // The thread has stopped: shared locks it died holding may be taken over (see run/liveness.ts).
        markThreadDead(this.#ident!);
        this.#drain();
        this.#exitCode = code;
        Atomics.store(this.#state, LIFE, FINISHED);
        starting.delete(this.#state);
        alive.delete(this);
        port1.close();
        resolve();
      });
    });
    if (this.#daemon) worker.unref();
  }

  #report(report: ThreadReport): void {
    if (report.type !== 'exception' || this.#exception !== undefined) return;
    this.#exception = receiveError(report.error);
    try {
      Thread.excepthook({ exception: this.#exception, thread: this });
    } catch (error) {
      defaultExcepthook({ exception: error, thread: this });
    }
  }

  /** Handles reports already queued, synchronously (after `joinSync`). */
  #drain(): void {
    const port = this.#port;
    if (port === undefined) return;
    for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) {
      this.#report(message.message as ThreadReport);
    }
  }

  #checkJoinable(what: string): void {
    if (this.#isCurrent) throw new InvalidStateError(`Thread.${what}: cannot join current thread`);
    if (this.#worker === undefined) throw new InvalidStateError(`Thread.${what}: cannot join thread before it is started`);
  }

  /**
   * Waits until the thread's worker has exited, or `timeout` ms pass. Like
   * Python it returns nothing either way: check `isAlive()` to know which.
   *
   * @throws InvalidStateError if the thread was not started, or is the current thread.
   * @throws `signal.reason` (rejection) on abort.
   */
  async join(options?: AsyncTimeoutOptions): Promise<void> {
    this.#checkJoinable('join()');
    return joinWithin(this.#exited!, 'Thread.join()', options);
  }

  /**
   * Blocks the calling thread until the target has finished, or `timeout` ms
   * pass. Reports the target's exception (if any) before returning.
   */
  joinSync(options?: TimeoutOptions): void {
    this.#checkJoinable('joinSync()');
    const deadline = waitDeadline('Thread.joinSync()', options?.timeout);
    for (;;) {
      const life = Atomics.load(this.#state, LIFE);
      if (life === FINISHED) break;
      if (Atomics.wait(this.#state, LIFE, life, remaining(deadline)) === 'timed-out') return;
    }
    this.#drain();
  }

  /** Whether the thread has started and its target has not finished. */
  isAlive(): boolean {
    return Atomics.load(this.#state, LIFE) === RUNNING;
  }

  get [Symbol.toStringTag](): string {
    const life = Atomics.load(this.#state, LIFE);
    const status = life === NEW ? 'initial' : life === RUNNING ? 'started' : 'stopped';
    return `Thread ${this.#name} ${status}${this.#daemon ? ' daemon' : ''}${this.#ident === undefined ? '' : ` ${this.#ident}`}`;
  }

  /** @internal The Thread object standing for the thread this code runs in. */
  static adoptCurrent(): Thread {
    adopting = { name: current.name, ident: threadId, daemon: current.daemon };
    try {
      return new Thread();
    } finally {
      adopting = undefined;
    }
  }
}

let currentObject: Thread | undefined;
let mainObject: Thread | undefined;

/**
 * The Thread object of the calling thread: the main thread's, or, inside a
 * worker started by a Thread, one with that thread's name and ident.
 *
 * @example
 * ```ts
 * import { currentThread } from 'weft';
 * console.log(currentThread().name); // MainThread
 * ```
 * @see Python's `threading.current_thread()`
 */
export function currentThread(): Thread {
  return (currentObject ??= Thread.adoptCurrent());
}

/**
 * The main thread's Thread object. In a worker it stands for the main thread
 * of the process (name `MainThread`, ident 0) without being able to join it.
 *
 * @example
 * ```ts
 * import { mainThread, currentThread } from 'weft';
 * console.log(mainThread() === currentThread(), mainThread().ident); // true 0
 * ```
 * @see Python's `threading.main_thread()`
 */
export function mainThread(): Thread {
  if (current.main) return currentThread();
  if (mainObject === undefined) {
    adopting = { name: 'MainThread', ident: 0, daemon: false };
    try {
      mainObject = new Thread();
    } finally {
      adopting = undefined;
    }
  }
  return mainObject;
}

/**
 * The threads this thread knows to be alive: itself and the threads it
 * started that have not finished. (Each worker has its own view: Node gives a
 * thread no list of the others.)
 *
 * @example
 * ```ts
 * import { Thread, Event, enumerate, activeCount } from 'weft';
 * const done = new Event();
 * const thread = new Thread({ name: 'waiter', target: (done: Event) => { done.waitSync(); }, args: [done] });
 * thread.start();
 * console.log(enumerate().map((t) => t.name), activeCount()); // [ 'MainThread', 'waiter' ] 2
 * done.set();
 * await thread.join();
 * console.log(activeCount()); // 1
 * ```
 * @see Python's `threading.enumerate()`
 */
export function enumerate(): Thread[] {
  return [currentThread(), ...[...alive].filter((thread) => thread.isAlive())];
}

/** `enumerate().length`. @see Python's `threading.active_count()` */
export function activeCount(): number {
  return enumerate().length;
}
