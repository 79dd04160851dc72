/**
 * The entry of a Thread's worker: load the target, revive the arguments, run,
 * report an exception, mark the thread finished. Imports only what that needs,
 * so a thread starts nearly as fast as a bare Worker.
 */

import { workerData } from 'node:worker_threads';
import { decodeAsync } from '../share/marshal.js';
import { loadTarget } from '../run/load.js';
import { sendError } from '../run/error-transfer.js';
import { CANCELLED, current, FINISHED, LIFE, READY, type ThreadReport, type ThreadStart } from '../run/thread-state.js';
import { seed } from '../shared/registry-state.js';
import { loadBuiltins } from './load-builtins.js';
import { seedLiveness } from '../run/liveness.js';

const start = (workerData as { data: ThreadStart }).data;
seedLiveness(start.liveness);
// Listen for shared-memory names first: the parent may be waiting to announce one.
seed(start.blocks);
Atomics.store(start.state, READY, 1);
Atomics.notify(start.state, READY);
current.name = start.name;
current.daemon = start.daemon;
current.main = false;

// No top-level await: the built entry is CommonJS (see scripts/bundle-worker.mjs).
async function run(): Promise<void> {
  try {
    // Shareables arrived: make every built-in kind revivable here, so this
    // thread can also take them from queues synchronously.
    if (start.args.patches !== undefined || start.self?.patches !== undefined) await loadBuiltins();
    const [fn, args, self] = await Promise.all([
      loadTarget(start.target),
      decodeAsync(start.args) as Promise<unknown[]>,
      start.self === undefined ? undefined : decodeAsync(start.self),
    ]);
    const cancelled = start.delay !== undefined && Atomics.wait(start.state, CANCELLED, 0, start.delay) !== 'timed-out';
    if (!cancelled) await fn.apply(self, args);
  } catch (error) {
    start.port.postMessage({ type: 'exception', error: sendError(error) } satisfies ThreadReport);
    process.exitCode = 1;
  } finally {
    // Posted reports are queued before this store, so a joinSync() that sees
    // FINISHED can drain them synchronously.
    Atomics.store(start.state, LIFE, FINISHED);
    Atomics.notify(start.state, LIFE);
    start.port.close();
  }
}

void run();
