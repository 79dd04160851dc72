/**
 * The executor cases of futures-process-pool.test.ts over the process pool's IPC
 * transport (`transport: 'ipc'`); that file runs them over the default,
 * shared-memory one. See executors.ts's `executorFactories`.
 */

process.env.WEFT_CONFORMANCE_EXECUTORS = 'ProcessPoolExecutor (ipc)';
await import('./futures-process-pool.test.js');
