/**
 * The executor cases of futures-shutdown.test.ts over the process pool's IPC
 * transport (`transport: 'ipc'`); that file runs them over the default,
 * shared-memory one. See executors.ts's `executorFactories`.
 */

process.env.WEFT_CONFORMANCE_EXECUTORS = 'ProcessPoolExecutor (ipc)';
await import('./futures-shutdown.test.js');
