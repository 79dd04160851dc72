/**
 * `ProcessPoolExecutor`: Python's `concurrent.futures.ProcessPoolExecutor`
 * on child processes.
 */

import { availableParallelism } from 'node:os';
import { Executor } from '../futures/executor.js';
import { describeTarget } from '../run/task.js';
import { Engine } from './engine.js';
import { engineOptions, type ExecutorOptions } from './thread-pool.js';
import { native, processesAvailability } from '../memory/native.js';
import { ProcessRingTransport } from './transport/process-rings.js';
import { encodeForProcess, ProcessTransport } from './transport/processes.js';

/**
 * How a process pool reaches its children: `'shared-memory'` — a pair of
 * rings per child in processes-scope shared memory, woken by futexes (needs
 * the processes scope's native addon) — or `'ipc'`, Node's IPC channel.
 */
export type ProcessPoolTransport = 'shared-memory' | 'ipc';

/** Options of {@link ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions extends ExecutorOptions {
  /** Heap limit of each child in MiB (`--max-old-space-size`); a child that exceeds it dies and only its task fails. */
  readonly maxOldGenerationSizeMb?: number;
  /** More Node flags for the children. */
  readonly execArgv?: readonly string[];
  /**
   * How tasks and results travel: `'shared-memory'` rings (the default where
   * the processes scope's addon loads — see `processesAvailability()`) or
   * Node's `'ipc'` channel (the default elsewhere). Both give the same
   * results and the same behaviour when a child dies; shared memory is
   * faster, most for small tasks, and lets a task waiting in a child's
   * window still be cancelled.
   */
  readonly transport?: ProcessPoolTransport;
}

/** The transport `option` asks for, checked. */
function chooseTransport(option: ProcessPoolTransport | undefined): ProcessPoolTransport {
  if (option === undefined) return processesAvailability().available ? 'shared-memory' : 'ipc';
  if (option !== 'shared-memory' && option !== 'ipc') {
    throw new RangeError(`ProcessPoolExecutor: transport must be 'shared-memory' or 'ipc', got ${String(option)}`);
  }
  // Asked for by name: say why it cannot be had here.
  if (option === 'shared-memory') native();
  return option;
}

let pools = 0;

/**
 * Python's `ProcessPoolExecutor`: runs tasks in up to `maxWorkers` child
 * processes (default: the number of CPUs). Tasks are named as for
 * `ThreadPoolExecutor`; arguments and results are structured clones. They
 * travel through shared-memory rings in batches, woken by futexes (option
 * `transport`, default `'shared-memory'` where the processes scope's addon
 * loads), or over Node's IPC channel (`'ipc'`). A processes-scope shareable
 * (`processes.Lock`, `processes.Value`…) arrives live, on either transport;
 * a threads-scope one cannot reach another process: passing one fails that
 * task with a `DataCloneError` that names it.
 *
 * A child that dies — `process.exit()`, killed by a signal, out of memory —
 * fails only the task it was running, and a new child takes its place;
 * Python instead breaks the whole pool (`BrokenProcessPool`), which
 * `onWorkerDeath: 'break'` reproduces.
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor } from 'weft';
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * console.log(await pool.submit((n: number) => n ** 2, 12)); // 144
 * console.log(await pool.submit(() => process.pid !== undefined)); // true
 *
 * await using overIpc = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'ipc' });
 * console.log(overIpc.transport, await overIpc.submit((s: string) => s.toUpperCase(), 'ipc')); // ipc IPC
 * ```
 * @throws ProcessesScopeUnavailableError for `transport: 'shared-memory'` where the addon cannot be used.
 * @see Python's `concurrent.futures.ProcessPoolExecutor`
 */
export class ProcessPoolExecutor extends Executor {
  /** How tasks reach the children: `'shared-memory'` or `'ipc'` (see the `transport` option). */
  readonly transport: ProcessPoolTransport;

  constructor(options: ProcessPoolExecutorOptions = {}) {
    const name = `ProcessPoolExecutor-${pools++}`;
    const maxWorkers = Executor.checkMaxWorkers('ProcessPoolExecutor', options.maxWorkers, availableParallelism());
    const settings = engineOptions('ProcessPoolExecutor', options, maxWorkers);
    const heap = options.maxOldGenerationSizeMb;
    if (heap !== undefined && !(Number.isInteger(heap) && heap > 0)) {
      throw new RangeError(`ProcessPoolExecutor: maxOldGenerationSizeMb must be a positive integer, got ${String(heap)}`);
    }
    const kind = chooseTransport(options.transport);
    const transportOptions = {
      initializer: settings.initializer === undefined ? undefined : describeTarget(settings.initializer, 'ProcessPoolExecutor initializer'),
      initargs: settings.initializer === undefined ? undefined : encodeForProcess(settings.initargs, 'initargs'),
      execArgv: [...(heap === undefined ? [] : [`--max-old-space-size=${heap}`]), ...(options.execArgv ?? [])],
    };
    const transport = kind === 'shared-memory' ? new ProcessRingTransport(transportOptions) : new ProcessTransport(transportOptions);
    super(new Engine(transport, settings, name), 'ProcessPoolExecutor', maxWorkers);
    this.transport = kind;
  }
}
