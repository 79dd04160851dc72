import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { InvalidStateError } from '../errors.js';
import type { AsyncTimeoutOptions } from '../memory/deadline.js';
import { childEntry, describeCall, exitCodeName, exitCodeOf, forkChild, packMessage, type ProcessCall } from './child.js';
import { receiveError } from './error-transfer.js';
import { joinWithin } from './join-wait.js';
import { current, type ProcessReport, type ProcessStart } from './process-state.js';
import type { Target } from './task.js';

type AnyFunction = (...args: any[]) => any;

/** Options of {@link Process}. */
export interface ProcessOptions<F extends AnyFunction = AnyFunction> {
  /** What to run: a self-contained function (sent as source) or a {@link moduleTask}. */
  target?: Target<F>;
  /** Arguments for the target, structured-cloned into the child: it gets copies. */
  args?: Parameters<F>;
  /** Default `Process-N` (`Process-1:2` for the second child of a first child), as in Python. */
  name?: string;
  /** A daemon process does not keep the parent alive and is terminated when the parent exits. Default `false`. */
  daemon?: boolean;
}

/** What {@link Process.excepthook} receives. */
export interface ProcessExceptHookArgs {
  /** What the target threw, rebuilt in this process (stack, `code` and `cause` kept). */
  readonly exception: unknown;
  /** The process it was thrown in. */
  readonly process: Process;
}

/** `'child'`: a process this one starts; `'current'`: this process; `'parent'`: the one that started this one. */
type Role = 'child' | 'current' | 'parent';
type Status = 'initial' | 'started' | 'stopped' | 'closed';

const ENTRY = childEntry('process-entry');
const PARENT_POLL_MS = 50;

/** Started children that have not been seen to exit (Python's `_children`). */
const children = new Set<Process>();
/** Daemon children still running, terminated when this process exits. */
const daemons = new Set<ChildProcess>();
let exitHooked = false;

/** Set while constructing the Process object that stands for this process or its parent. */
let adopting: { role: Role; name: string; pid: number; daemon: boolean; parentPid: number | undefined } | undefined;

function defaultExcepthook({ exception, process: child }: ProcessExceptHookArgs): void {
  const detail = exception instanceof Error ? (exception.stack ?? `${exception.name}: ${exception.message}`) : String(exception);
  process.stderr.write(`Process ${child.name}:\n${detail}\n`);
}

function terminateDaemons(): void {
  for (const child of daemons) child.kill('SIGTERM');
}

/**
 * A process object: runs a function in a child process, with Python's
 * `multiprocessing.Process` API — `start`, `join`, `isAlive`, `terminate`,
 * `kill`, `close`, `name`, `daemon`, `pid`, `exitCode` — and the target
 * named as for a {@link Thread}: a self-contained function (its source is
 * sent; a captured variable fails at `start()` with a `CaptureError`) or a
 * {@link moduleTask}. A subclass may override `run()` instead; it runs in the
 * child with `this` holding a copy of the instance's own fields.
 *
 * Arguments cross over Node's IPC channel by structured clone: the child gets
 * copies (Maps, Dates, typed arrays, BigInts survive). Anything that cannot
 * cross fails at `start()`, before a child exists, with a `DataCloneError`
 * naming its path — a function, or a threads-scope shareable (`Lock`,
 * `Value`, `Queue`…), whose state lives in this process's memory.
 *
 * `exitCode` is Python's: 0 after success, 1 if the target threw or left
 * something behind that threw uncaught (the error is kept as `exception` and
 * reported through {@link Process.excepthook}),
 * the code the child passed to `process.exit()`, or the negative signal number
 * when a signal ended it (-15 after `terminate()`, -9 after `kill()`). The
 * child exits once its target has settled and its event loop is empty (as
 * Python's child joins its non-daemon threads).
 *
 * Lifetimes: a non-daemon child keeps this process alive until it exits; a
 * daemon child does not, and is sent SIGTERM when this process exits. A child
 * whose parent goes away (exits, or is killed) while its target runs exits
 * with code 1 when its IPC channel closes — so `process.exit()` in the parent
 * also ends non-daemon children, where Python would wait for them: `await
 * join()` first.
 *
 * There is no `joinSync()`: a child's exit status reaches this process
 * through its event loop, so a call blocking that loop could never see it.
 *
 * @example
 * ```ts
 * import { Process } from 'weft';
 * const numbers = [1, 2, 3];
 * const p = new Process({
 *   target: (numbers: number[]) => { numbers.push(4); process.exit(numbers.length); },
 *   args: [numbers],
 * });
 * p.start();
 * console.log(p.isAlive(), p.pid! > 0); // true true
 * await p.join();
 * console.log(p.exitCode, numbers); // 4 [ 1, 2, 3 ]
 * ```
 * @see Python's `multiprocessing.Process`
 */
export class Process<F extends AnyFunction = AnyFunction> {
  /**
   * Called in this process for an exception a child's target raised. Replace
   * it to route such errors elsewhere; the default writes `Process <name>:`
   * and the stack to stderr — what Python's child prints.
   */
  static excepthook: (args: ProcessExceptHookArgs) => void = defaultExcepthook;

  readonly #role: Role;
  readonly #identity: readonly number[];
  readonly #parentPid: number | undefined;
  #target: Target<F> | undefined;
  #args: readonly unknown[];
  #name: string;
  #daemon: boolean;
  #status: Status;
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #exitCode: number | undefined;
  #exception: unknown;
  #exited: Promise<void> | undefined;
  #joiners = 0;

  constructor(options: ProcessOptions<F> = {}) {
    this.#args = [];
    if (adopting !== undefined) {
      ({ role: this.#role, name: this.#name, pid: this.#pid, daemon: this.#daemon, parentPid: this.#parentPid } = adopting);
      this.#identity = current.identity;
      this.#status = 'started';
      return;
    }
    const { target, args = [], name, daemon } = options;
    if (target !== undefined && typeof target !== 'function' && typeof target !== 'object') {
      throw new TypeError(`Process(): target must be a function or a moduleTask(), got ${typeof target}`);
    }
    if (!Array.isArray(args)) throw new TypeError('Process(): args must be an array');
    if (name !== undefined && typeof name !== 'string') throw new TypeError('Process(): name must be a string');
    this.#role = 'child';
    this.#status = 'initial';
    this.#target = target;
    this.#args = args;
    this.#identity = [...current.identity, ++current.created];
    this.#name = name ?? `${new.target.name}-${this.#identity.join(':')}`;
    this.#daemon = daemon ?? current.daemon;
    this.#parentPid = process.pid;
  }

  /** The process's name; only for identification. */
  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    this.#name = String(value);
  }

  /** Whether this is a daemon process. Settable only before `start()`. */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    if (this.#role !== 'child' || this.#status !== 'initial') {
      throw new InvalidStateError('Process.daemon: the process has already started');
    }
    this.#daemon = Boolean(value);
  }

  /**
   * The process id once started (this process's own for `currentProcess()`);
   * `undefined` before.
   *
   * @throws InvalidStateError after `close()`.
   */
  get pid(): number | undefined {
    this.#checkOpen('pid');
    return this.#pid;
  }

  /** Same as `pid`, as in Python. */
  get ident(): number | undefined {
    return this.pid;
  }

  /**
   * `undefined` until the child has exited; then 0, 1 if the target threw,
   * the code it exited with, or minus the number of the signal that ended it.
   *
   * @throws InvalidStateError after `close()`.
   */
  get exitCode(): number | undefined {
    this.#checkOpen('exitCode');
    return this.#exitCode;
  }

  /** What the target threw, once the child has exited; `undefined` otherwise. */
  get exception(): unknown {
    return this.#exception;
  }

  /**
   * The process's activity. The default runs `target(...args)`. A subclass may
   * override it; the override runs in the child (sent as source, so it must
   * be self-contained), with `this` holding a copy of the instance's own
   * fields.
   */
  run(): unknown {
    throw new InvalidStateError('Process.run() is called in the child process, not on this side');
  }

  #checkOpen(what: string): void {
    if (this.#status === 'closed') throw new InvalidStateError(`Process.${what}: the process object is closed`);
  }

  #describe(): ProcessCall {
    const run = (this as { run: AnyFunction }).run;
    if (run !== Process.prototype.run) {
      return describeCall(`${this.constructor.name}.run()`, undefined, this.#args, { fn: run, self: this });
    }
    return describeCall('Process target', this.#target ?? (() => {}), this.#args);
  }

  /**
   * Starts the child process. Everything the child needs is checked here,
   * before it exists: a target that captures variables, or arguments that
   * cannot cross, throw now.
   *
   * @throws InvalidStateError if called twice, on `currentProcess()`, after
   *   `close()`, or in a daemon process (which may not have children, as in Python).
   * @throws CaptureError / DataCloneError / TypeError for a target or arguments that cannot be sent.
   */
  start(): void {
    this.#checkOpen('start()');
    if (this.#role !== 'child') throw new InvalidStateError('Process.start(): cannot start the current or parent process');
    if (this.#status !== 'initial') throw new InvalidStateError('Process.start(): a process can only be started once');
    if (current.daemon) throw new InvalidStateError('Process.start(): daemonic processes are not allowed to have children');
    const start: ProcessStart = {
      call: this.#describe(),
      name: this.#name,
      daemon: this.#daemon,
      identity: this.#identity,
      parent: { pid: process.pid, name: current.name },
    };
    const payload = packMessage(start, this.#args);
    const child = forkChild(ENTRY, { daemon: this.#daemon });
    this.#child = child;
    this.#pid = child.pid;
    this.#status = 'started';
    // As Python: the process object no longer holds what it sent.
    this.#target = undefined;
    this.#args = [];
    children.add(this);
    if (this.#daemon) {
      daemons.add(child);
      if (!exitHooked) process.on('exit', terminateDaemons);
      exitHooked = true;
    }
    this.#exited = new Promise((resolve) => {
      const finish = (exitCode: number) => {
        if (this.#status !== 'started') return;
        this.#exitCode = exitCode;
        this.#status = 'stopped';
        children.delete(this);
        daemons.delete(child);
        resolve();
      };
      // 'close' comes after both the exit status and the end of the channel,
      // so every report the child sent has been handled by then.
      child.once('close', (code, signal) => finish(exitCodeOf(code, signal)));
      child.on('error', (error) => {
        // Only a failed spawn matters here: the child never ran.
        if (child.pid !== undefined) return;
        this.#except(error);
        finish(1);
      });
    });
    child.on('message', (report: ProcessReport) => {
      if (report.type === 'exception') this.#except(receiveError(report.error));
    });
    // A child that dies at once fails this send; its exit status says so.
    child.send({ type: 'start', payload }, undefined, undefined, () => {});
  }

  #except(exception: unknown): void {
    if (this.#exception !== undefined) return;
    this.#exception = exception;
    try {
      Process.excepthook({ exception: this.#exception, process: this });
    } catch (error) {
      defaultExcepthook({ exception: error, process: this });
    }
  }

  /**
   * Waits until the child has exited, or `timeout` ms pass. Like Python it
   * returns nothing either way: check `isAlive()` or `exitCode` to know which.
   * While it waits, the child keeps this process alive, even a daemon. On
   * `parentProcess()`, waits for the parent to exit.
   *
   * @throws InvalidStateError (rejection) if the process was not started, is
   *   the current process, or is closed.
   * @throws `signal.reason` (rejection) on abort.
   */
  async join(options?: AsyncTimeoutOptions): Promise<void> {
    this.#checkOpen('join()');
    if (this.#role === 'current') throw new InvalidStateError('Process.join(): cannot join the current process');
    if (this.#role === 'parent') return joinWithin(this.#parentExit(), 'Process.join()', options);
    if (this.#status === 'initial') throw new InvalidStateError('Process.join(): can only join a started process');
    // While someone waits, the child and its channel keep this process alive:
    // a daemon's are unreferenced, and the channel of any child must be read
    // to its end before 'close' can report the exit.
    const child = this.#status === 'started' ? this.#child! : undefined;
    if (child !== undefined && this.#joiners++ === 0) {
      child.ref();
      child.channel?.ref();
    }
    try {
      return await joinWithin(this.#exited!, 'Process.join()', options);
    } finally {
      if (child !== undefined && --this.#joiners === 0) {
        if (this.#daemon) child.unref();
        child.channel?.unref();
      }
    }
  }

  /**
   * Whether the process has started and not yet exited.
   *
   * @throws InvalidStateError after `close()`.
   */
  isAlive(): boolean {
    this.#checkOpen('isAlive()');
    if (this.#role === 'current') return true;
    // An orphan is re-parented: its ppid changes when the parent is gone.
    if (this.#role === 'parent') return process.ppid === this.#pid;
    return this.#status === 'started';
  }

  /** Polls, as Python's sentinel cannot be had here; only reachable from a child's own code. */
  #parentExit(): Promise<void> {
    return new Promise((resolve) => {
      const poll = () => (this.isAlive() ? setTimeout(poll, PARENT_POLL_MS) : resolve());
      poll();
    });
  }

  #signal(what: string, signal: NodeJS.Signals): void {
    this.#checkOpen(what);
    if (this.#role !== 'child') throw new InvalidStateError(`Process.${what}: only a child process can be signalled`);
    if (this.#status === 'initial') throw new InvalidStateError(`Process.${what}: the process has not been started`);
    if (this.#status === 'started') this.#child!.kill(signal);
  }

  /** Sends SIGTERM to the child (`exitCode` becomes -15 unless it handles the signal). Does nothing once it has exited. */
  terminate(): void {
    this.#signal('terminate()', 'SIGTERM');
  }

  /** Sends SIGKILL to the child (`exitCode` becomes -9). Does nothing once it has exited. */
  kill(): void {
    this.#signal('kill()', 'SIGKILL');
  }

  /**
   * Releases what this object holds of the child. Afterwards `pid`,
   * `exitCode`, `isAlive()`, `join()` and `start()` throw. Closing twice does
   * nothing.
   *
   * @throws InvalidStateError if the child is still running (join or terminate it first).
   */
  close(): void {
    if (this.#status === 'closed') return;
    if (this.#role !== 'child') throw new InvalidStateError('Process.close(): cannot close the current or parent process');
    if (this.#status === 'started') {
      throw new InvalidStateError('Process.close(): cannot close a process while it is still running; call join() or terminate() first');
    }
    this.#child?.removeAllListeners();
    this.#child = undefined;
    this.#target = undefined;
    this.#args = [];
    this.#status = 'closed';
  }

  /** Python's repr: `<Process name='Process-1' pid=4242 parent=4241 stopped exitcode=SIGTERM daemon>`. */
  toString(): string {
    const label = this.#role === 'child' ? this.constructor.name : this.#role === 'parent' ? 'ParentProcess' : current.parent ? this.constructor.name : 'MainProcess';
    const info = [label, `name='${this.#name}'`];
    if (this.#pid !== undefined && this.#status !== 'closed') info.push(`pid=${this.#pid}`);
    info.push(`parent=${this.#parentPid ?? 'None'}`);
    const status = this.#role === 'parent' ? (this.isAlive() ? 'started' : 'stopped') : this.#status;
    info.push(status);
    if (this.#status === 'stopped' && this.#exitCode !== undefined) info.push(`exitcode=${exitCodeName(this.#exitCode)}`);
    if (this.#daemon) info.push('daemon');
    return `<${info.join(' ')}>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** @internal The Process object standing for this process or its parent. */
  static adopt(role: 'current' | 'parent'): Process {
    const parent = current.parent;
    adopting =
      role === 'current'
        ? { role, name: current.name, pid: process.pid, daemon: current.daemon, parentPid: parent?.pid }
        : { role, name: parent!.name, pid: parent!.pid, daemon: false, parentPid: undefined };
    try {
      return new Process();
    } finally {
      adopting = undefined;
    }
  }
}

let currentObject: Process | undefined;
let parentObject: Process | undefined;

/**
 * The Process object of the calling process: in the main program one named
 * `MainProcess`; in a child started by {@link Process}, one with that
 * process's name, pid and daemon flag (in any of its threads).
 *
 * @example
 * ```ts
 * import { currentProcess } from 'weft';
 * const me = currentProcess();
 * console.log(me.name, me.pid === process.pid, me.isAlive()); // MainProcess true true
 * ```
 * @see Python's `multiprocessing.current_process()`
 */
export function currentProcess(): Process {
  return (currentObject ??= Process.adopt('current'));
}

/**
 * The Process object of the process that started this one, or `undefined` in
 * the main program. Its `isAlive()` and `join()` tell when the parent is
 * gone (and a child whose parent is gone exits, see {@link Process}).
 *
 * @example
 * ```ts
 * import { Process, parentProcess } from 'weft';
 * console.log(parentProcess()); // undefined
 * const p = new Process({
 *   target: async () => {
 *     const { parentProcess } = await import('weft');
 *     process.exit(parentProcess()?.pid === process.ppid ? 0 : 2);
 *   },
 * });
 * p.start();
 * await p.join();
 * console.log(p.exitCode); // 0
 * ```
 * @see Python's `multiprocessing.parent_process()`
 */
export function parentProcess(): Process | undefined {
  if (current.parent === undefined) return undefined;
  return (parentObject ??= Process.adopt('parent'));
}

/**
 * The children this process started that have not exited; finished ones are
 * dropped from the list.
 *
 * @example
 * ```ts
 * import { Process, activeChildren } from 'weft';
 * const p = new Process({ target: () => new Promise((resolve) => setTimeout(resolve, 200)) });
 * p.start();
 * console.log(activeChildren().includes(p)); // true
 * await p.join();
 * console.log(activeChildren().length); // 0
 * ```
 * @see Python's `multiprocessing.active_children()`
 */
export function activeChildren(): Process[] {
  return [...children];
}

/**
 * How many processes can usefully run in parallel here (`os.availableParallelism()`).
 *
 * @example
 * ```ts
 * import { cpuCount } from 'weft';
 * console.log(cpuCount() >= 1); // true
 * ```
 * @see Python's `multiprocessing.cpu_count()`
 */
export function cpuCount(): number {
  return availableParallelism();
}
