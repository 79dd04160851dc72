/**
 * The process-wide registry of named shared-memory blocks (threads scope):
 * what lets `new SharedMemory({ name })` attach, synchronously, from any
 * thread of the process, to a block another thread created.
 *
 * Threads have separate heaps, so each keeps its own map name → buffer, and
 * every change is broadcast to the others:
 *
 * ```
 *   thread A: create 'x' ──▶ map.set('x', buf) ──▶ channel.postMessage({ create 'x', buf })
 *                                                      │ enqueued at once, synchronously,
 *                                                      ▼ in every other thread's channel
 *   thread B: lookup 'x' ──▶ drain channel (receiveMessageOnPort) ──▶ map.get('x')
 *             idle      ──▶ onmessage ──▶ apply to the same map
 * ```
 *
 * Both ways of receiving take from one queue in order, so every thread
 * applies the changes in the order they were posted. Creating and removing
 * happen under one process-wide lock word: the second of two threads creating
 * the same name drains the first one's message (posted before the lock was
 * released) and finds the name taken, as `shm_open(O_EXCL)` would.
 *
 * A thread only receives what is posted after it subscribes. So a Thread's
 * worker subscribes first thing at start and seeds its map from its parent's
 * snapshot (which also carries the lock word); and a parent announcing a
 * change first waits until the workers it is starting have subscribed, so
 * "start a thread, create a block, send it the name" always works. (A third
 * thread creating a block during that start-up window is not waited for: send
 * such names from the creator after the thread has started.)
 */

import { FOREVER } from '../memory/deadline.js';
import { atomicsWaiter } from '../memory/waiter.js';
import { lockSync, unlock } from '../sync/mutex-word.js';
import { drain, LOCK_NAME, registry, type Change } from './registry-state.js';

export { snapshot, seed } from './registry-state.js';

function locked<R>(fn: () => R): R {
  lockSync(registry.lockWord, 0, atomicsWaiter, FOREVER);
  try {
    drain();
    return fn();
  } finally {
    unlock(registry.lockWord, 0, atomicsWaiter);
  }
}

function announce(change: Change): void {
  registry.beforeChange?.();
  registry.channel.postMessage(change);
}

/** The buffer registered as `name`, if any thread of the process has created it and nobody has unlinked it. */
export function lookup(name: string): SharedArrayBuffer | undefined {
  drain();
  return name === LOCK_NAME ? undefined : registry.blocks.get(name);
}

/** Registers `buffer` as `name` for every thread; `false` (and nothing changed) if the name is taken. */
export function register(name: string, buffer: SharedArrayBuffer): boolean {
  return locked(() => {
    if (name === LOCK_NAME || registry.blocks.has(name)) return false;
    registry.blocks.set(name, buffer);
    announce({ op: 'create', name, buffer });
    return true;
  });
}

/** Removes `name` for every thread; `false` if no block has that name. */
export function unregister(name: string): boolean {
  return locked(() => {
    if (name === LOCK_NAME || !registry.blocks.delete(name)) return false;
    announce({ op: 'unlink', name });
    return true;
  });
}
