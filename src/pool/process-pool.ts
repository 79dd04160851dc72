/**
 * `ProcessPoolExecutor`: Python's `concurrent.futures.ProcessPoolExecutor`
 * on child processes.
 */

import { availableParallelism } from 'node:os';
import { Executor } from '../futures/executor.js';
import { describeTarget } from '../run/task.js';
import { Engine } from './engine.js';
import { engineOptions, type ExecutorOptions } from './thread-pool.js';
import { encodeForProcess, ProcessTransport } from './transport/processes.js';

/** Options of {@link ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions extends ExecutorOptions {
  /** Heap limit of each child in MiB (`--max-old-space-size`); a child that exceeds it dies and only its task fails. */
  readonly maxOldGenerationSizeMb?: number;
  /** More Node flags for the children. */
  readonly execArgv?: readonly string[];
}

let pools = 0;

/**
 * Python's `ProcessPoolExecutor`: runs tasks in up to `maxWorkers` child
 * processes (default: the number of CPUs). Tasks are named as for
 * `ThreadPoolExecutor`; arguments and results cross by structured clone over
 * Node's IPC channel, in batches. A threads-scope shareable (a `Lock`, a
 * `Value`…) cannot reach another process: passing one fails that task with a
 * `DataCloneError` that names it.
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
 * ```
 * @see Python's `concurrent.futures.ProcessPoolExecutor`
 */
export class ProcessPoolExecutor extends Executor {
  constructor(options: ProcessPoolExecutorOptions = {}) {
    const name = `ProcessPoolExecutor-${pools++}`;
    const maxWorkers = Executor.checkMaxWorkers('ProcessPoolExecutor', options.maxWorkers, availableParallelism());
    const settings = engineOptions('ProcessPoolExecutor', options, maxWorkers);
    const heap = options.maxOldGenerationSizeMb;
    if (heap !== undefined && !(Number.isInteger(heap) && heap > 0)) {
      throw new RangeError(`ProcessPoolExecutor: maxOldGenerationSizeMb must be a positive integer, got ${String(heap)}`);
    }
    const transport = new ProcessTransport({
      initializer: settings.initializer === undefined ? undefined : describeTarget(settings.initializer, 'ProcessPoolExecutor initializer'),
      initargs: settings.initializer === undefined ? undefined : encodeForProcess(settings.initargs, 'initargs'),
      execArgv: [...(heap === undefined ? [] : [`--max-old-space-size=${heap}`]), ...(options.execArgv ?? [])],
    });
    super(new Engine(transport, settings, name), 'ProcessPoolExecutor', maxWorkers);
  }
}
