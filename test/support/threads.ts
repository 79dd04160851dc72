// Test helpers for running code in a real worker thread.
import { Thread } from '../../src/run/thread.js';
import type { ModuleTask } from '../../src/run/task.js';

/** Runs `fn` with Thread.excepthook silenced, for tests that expect a thread to fail. */
export async function quietly<T>(fn: () => Promise<T> | T): Promise<T> {
  const hook = Thread.excepthook;
  Thread.excepthook = () => {};
  try {
    return await fn();
  } finally {
    Thread.excepthook = hook;
  }
}

/** Runs `target(...args)` in a new thread and rethrows what it threw. */
export async function inThread(target: ((...args: any[]) => unknown) | ModuleTask, args: unknown[]): Promise<void> {
  const thread = new Thread({ target, args });
  await quietly(async () => {
    thread.start();
    await thread.join();
  });
  if (thread.exception !== undefined) throw thread.exception;
}
