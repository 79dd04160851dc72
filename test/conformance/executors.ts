/**
 * What the ports of CPython's `Lib/test/test_concurrent_futures/` run over:
 * the executors (upstream's `ThreadPoolMixin`, `ProcessPool*Mixin`, …) and
 * the ready-made futures of upstream's `util.py`.
 *
 * Each executor registers a factory in {@link executorFactories}; every
 * executor case of `futures-*.test.ts` runs once per factory, as upstream's
 * `create_executor_tests` makes one test class per executor mixin. The cases
 * that need no executor run whether or not any is registered.
 *
 * A function given to `submit` runs in another thread or process and crosses
 * as source text, so it must not capture anything: only its parameters,
 * literals and globals (`await new Promise((r) => setTimeout(r, ms))` is
 * fine).
 */

import { afterEach, beforeEach, describe, it } from 'node:test';
import { Event, Future, ProcessPoolExecutor, ThreadPoolExecutor, type ExecutorOptions, type MapOptions } from '../../src/index.js';
import { processesAvailability } from '../../src/memory/native.js';
import { processes } from '../../src/scope/processes.js';

type Input<T> = Iterable<T> | AsyncIterable<T>;

/** The part of an executor the futures suites use. */
export interface ConformanceExecutor {
  submit<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, ...args: A): Future<Awaited<R>>;
  map<A, R>(fn: (a: A) => R | Promise<R>, items: Input<A>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map<A, B, R>(fn: (a: A, b: B) => R | Promise<R>, a: Input<A>, b: Input<B>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  map<A, B, C, R>(fn: (a: A, b: B, c: C) => R | Promise<R>, a: Input<A>, b: Input<B>, c: Input<C>, options?: MapOptions): AsyncIterableIterator<Awaited<R>>;
  shutdown(options?: { wait?: boolean; cancelFutures?: boolean }): Promise<void>;
  /** Upstream's `_max_workers`. */
  readonly maxWorkers: number;
  /** `workers` is upstream's `_threads` / `_processes`: the live workers. */
  stats(): { readonly workers: readonly unknown[] };
  /** Upstream's `with executor:`: shuts down, waiting. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** An event a task can wait on where it runs (upstream's `create_event`). */
export interface ConformanceEvent {
  set(): void;
  wait(): Promise<boolean>;
}

export interface ExecutorFactory {
  /** Names the suite, e.g. `ThreadPoolExecutor`. */
  name: string;
  /** The class `create` makes, as exported by weft (for cases that run a script). */
  className: string;
  /** Source of the options `create` adds besides `maxWorkers`, ending in `, ` (for cases that run a script). */
  scriptOptions: string;
  /** A new executor; `maxWorkers` is upstream's `worker_count` (5 unless a case says otherwise). */
  create(options?: ExecutorOptions): ConformanceExecutor;
  /**
   * An event that can be passed to this executor's tasks and set from here.
   * Default: weft's threads-scope `Event`, which reaches worker threads; an
   * executor whose tasks run in other processes gives one that reaches them
   * (upstream uses a manager's `Event` there). `null` when no event reaches
   * this executor's tasks yet: the cases that need one are skipped.
   */
  createEvent?: (() => ConformanceEvent) | null;
}

// A threads-scope Event cannot reach another process; the processes scope's can (upstream uses a manager's).
const processEvent = processesAvailability().available ? () => new processes.Event() : null;

/** The process pool on its IPC transport: its cases run in the `*-ipc.test.ts` files (see {@link executorFactories}). */
export const IPC_PROCESS_POOL = 'ProcessPoolExecutor (ipc)';

/**
 * Every executor the suites can run against: weft's two executors, each a
 * real pool — the process pool on each of its transports (as upstream runs
 * its process-pool cases once per start method).
 */
const allFactories: ExecutorFactory[] = [
  { name: 'ThreadPoolExecutor', className: 'ThreadPoolExecutor', scriptOptions: '', create: (options) => new ThreadPoolExecutor({ ...options, maxWorkers: options?.maxWorkers ?? 5 }) },
  {
    // The default transport: shared-memory rings where the addon loads.
    name: 'ProcessPoolExecutor',
    className: 'ProcessPoolExecutor',
    scriptOptions: '',
    create: (options) => new ProcessPoolExecutor({ ...options, maxWorkers: options?.maxWorkers ?? 5 }),
    createEvent: processEvent,
  },
  {
    name: IPC_PROCESS_POOL,
    className: 'ProcessPoolExecutor',
    scriptOptions: "transport: 'ipc', ",
    create: (options) => new ProcessPoolExecutor({ ...options, maxWorkers: options?.maxWorkers ?? 5, transport: 'ipc' }),
    createEvent: processEvent,
  },
];

/**
 * The executors this test file runs against: the ones named (comma-separated)
 * in `WEFT_CONFORMANCE_EXECUTORS` — which a `*-ipc.test.ts` file sets before
 * loading its suite — or else all but {@link IPC_PROCESS_POOL}. (One file
 * running every variant outgrows the runner's per-file timeout on a busy
 * 2-core machine.)
 */
const chosen = process.env.WEFT_CONFORMANCE_EXECUTORS?.split(',');
export const executorFactories: ExecutorFactory[] = allFactories.filter((factory) =>
  chosen === undefined ? factory.name !== IPC_PROCESS_POOL : chosen.includes(factory.name));

/**
 * Upstream's `create_executor_tests` with `ExecutorMixin`: declares the cases
 * once per registered executor, as the suite `<executor> <suite>`, each case
 * with a new executor of upstream's `worker_count` (5), shut down (waiting)
 * after it. `executor()` is the current case's. With no executor registered,
 * one skipped test says so.
 */
export function describeOverExecutors(suite: string, cases: (factory: ExecutorFactory, executor: () => ConformanceExecutor) => void): void {
  if (executorFactories.length === 0 && chosen === undefined) {
    it(`${suite} over executors`, { skip: 'no executor registered in test/conformance/executors.ts' }, () => {});
  }
  for (const factory of executorFactories) describeExecutor(`${factory.name} ${suite}`, factory, cases);
}

/**
 * The cases upstream runs under one executor only (its `ThreadPool…Test`,
 * `ProcessPool…Test` classes): declared as `suite` for each registered
 * executor named `name` (or `name (variant)`), each with a new executor as
 * in {@link describeOverExecutors}; one skipped test says so when there is none.
 */
export function describeForExecutor(name: string, suite: string, cases: (factory: ExecutorFactory, executor: () => ConformanceExecutor) => void): void {
  const factories = executorFactories.filter((candidate) => candidate.name === name || candidate.name.startsWith(`${name} (`));
  // A file running chosen executors only declares nothing for the others.
  if (factories.length === 0 && chosen === undefined) it(suite, { skip: `no ${name} registered in test/conformance/executors.ts` }, () => {});
  for (const factory of factories) describeExecutor(factory.name === name ? suite : `${suite} ${factory.name.slice(name.length + 1)}`, factory, cases);
}

function describeExecutor(suite: string, factory: ExecutorFactory, cases: (factory: ExecutorFactory, executor: () => ConformanceExecutor) => void): void {
  describe(suite, () => {
    let current: ConformanceExecutor | undefined;
    beforeEach(() => {
      current = factory.create({ maxWorkers: 5 });
    });
    afterEach(() => current?.shutdown({ wait: true }));
    cases(factory, () => current!);
  });
}

/** Upstream's `create_event()` for `factory`. */
export function createEvent(factory: ExecutorFactory): ConformanceEvent {
  if (factory.createEvent === null) throw new Error(`no event reaches ${factory.name}'s tasks`);
  return factory.createEvent?.() ?? new Event();
}

/** `node:test` options for a case that needs {@link createEvent}: skipped where no event reaches the tasks. */
export function needsEvent(factory: ExecutorFactory): { skip?: string } {
  return factory.createEvent === null ? { skip: `no event reaches ${factory.name}'s tasks yet (upstream uses a manager's Event)` } : {};
}

// ---- Upstream's util.py: futures in each state, made with the public API.

/** Upstream raises `OSError()`; a class of that name keeps the reprs comparable. */
export class OSError extends Error {
  override name = 'OSError';
}

export type FixtureState = 'PENDING' | 'RUNNING' | 'CANCELLED' | 'CANCELLED_AND_NOTIFIED' | 'FINISHED';

/**
 * Upstream's `create_future(state, exception, result)`, which sets private
 * fields; here each state is reached the way an executor reaches it.
 */
export function createFuture<T = unknown>(state: FixtureState, outcome: { exception?: unknown; result?: T } = {}): Future<T> {
  const future = new Future<T>();
  switch (state) {
    case 'PENDING':
      break;
    case 'RUNNING':
      future.setRunningOrNotifyCancel();
      break;
    case 'CANCELLED':
      future.cancel();
      break;
    case 'CANCELLED_AND_NOTIFIED':
      future.cancel();
      future.setRunningOrNotifyCancel();
      break;
    case 'FINISHED':
      if ('exception' in outcome) future.setException(outcome.exception);
      else future.setResult(outcome.result as T);
      break;
  }
  return future;
}

export const PENDING_FUTURE = createFuture('PENDING');
export const RUNNING_FUTURE = createFuture('RUNNING');
export const CANCELLED_FUTURE = createFuture('CANCELLED');
export const CANCELLED_AND_NOTIFIED_FUTURE = createFuture('CANCELLED_AND_NOTIFIED');
export const EXCEPTION_FUTURE = createFuture('FINISHED', { exception: new OSError() });
export const SUCCESSFUL_FUTURE = createFuture('FINISHED', { result: 42 });

// ---- Tasks and helpers the executor suites share. Tasks are self-contained:
// they cross to the executor's workers as source text.

export const mul = (x: number, y: number) => x * y;
export const pow = (x: number, y: number) => x ** y;
/** Upstream's `time.sleep` as a task: resolves to `undefined` (Python's `None`) after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Python's `divmod`, with its `ZeroDivisionError` as a `RangeError`. */
export const divmod = (x: number, y: number) => {
  if (y === 0) throw new RangeError('integer division or modulo by zero');
  return [Math.floor(x / y), x % y];
};

/** Python's `range(start, stop)` (or `range(stop)`) as an array. */
export function range(start: number, stop?: number): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Python's `list(iterator)` for the async iterator `map` returns. */
export async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterator) out.push(value);
  return out;
}

/** Upstream's `StopIteration`, for {@link next}. */
export const DONE = Symbol('StopIteration');

/** Upstream's `next(i)` on a map's iterator: the next result, or `DONE` once it is exhausted; rejects with what the iteration throws. */
export async function next<T>(iterator: AsyncIterator<T>): Promise<T | typeof DONE> {
  const step = await iterator.next();
  return step.done ? DONE : step.value;
}

/** Lets the executor hand out what was just submitted (its dispatch runs in a microtask) before the case looks at its workers. */
export function dispatched(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
