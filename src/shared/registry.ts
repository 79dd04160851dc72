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
 * A thread only receives what is posted after it subscribes (when this
 * module is first imported there). So a new thread starts from a
 * {@link snapshot} of its parent's map, which also carries the lock word
 * under the reserved name `''`, and {@link seed}s its own map with it.
 */

import { BroadcastChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { FOREVER } from '../memory/deadline.js';
import { atomicsWaiter } from '../memory/waiter.js';
import { lockSync, unlock } from '../sync/mutex-word.js';

type Change =
  | { readonly op: 'create'; readonly name: string; readonly buffer: SharedArrayBuffer }
  | { readonly op: 'unlink'; readonly name: string };

/** The name under which a snapshot carries the registry's lock word. */
const LOCK_NAME = '';

const blocks = new Map<string, SharedArrayBuffer>();
// Names changed by a message since this thread subscribed: newer than any snapshot.
const changed = new Set<string>();
let lockWord = new Int32Array(new SharedArrayBuffer(4));

function apply(change: Change): void {
  changed.add(change.name);
  if (change.op === 'create') blocks.set(change.name, change.buffer);
  else blocks.delete(change.name);
}

const channel = new BroadcastChannel('weft:shared-memory');
channel.onmessage = (event) => apply((event as { data: Change }).data);
// The registry must never be what keeps a process (or a thread) alive.
channel.unref();

/** Applies every change other threads have posted so far. */
function drain(): void {
  // Node 20 accepts a BroadcastChannel here (its typings say MessagePort only).
  const port = channel as unknown as MessagePort;
  for (let received = receiveMessageOnPort(port); received !== undefined; received = receiveMessageOnPort(port)) {
    apply(received.message as Change);
  }
}

function locked<R>(fn: () => R): R {
  lockSync(lockWord, 0, atomicsWaiter, FOREVER);
  try {
    drain();
    return fn();
  } finally {
    unlock(lockWord, 0, atomicsWaiter);
  }
}

/** The buffer registered as `name`, if any thread of the process has created it and nobody has unlinked it. */
export function lookup(name: string): SharedArrayBuffer | undefined {
  drain();
  return name === LOCK_NAME ? undefined : blocks.get(name);
}

/** Registers `buffer` as `name` for every thread; `false` (and nothing changed) if the name is taken. */
export function register(name: string, buffer: SharedArrayBuffer): boolean {
  return locked(() => {
    if (name === LOCK_NAME || blocks.has(name)) return false;
    blocks.set(name, buffer);
    channel.postMessage({ op: 'create', name, buffer } satisfies Change);
    return true;
  });
}

/** Removes `name` for every thread; `false` if no block has that name. */
export function unregister(name: string): boolean {
  return locked(() => {
    if (name === LOCK_NAME || !blocks.delete(name)) return false;
    channel.postMessage({ op: 'unlink', name } satisfies Change);
    return true;
  });
}

/**
 * This thread's view of the registry, to {@link seed} a thread about to
 * start: every live name and its buffer, plus the registry's lock word.
 */
export function snapshot(): Map<string, SharedArrayBuffer> {
  drain();
  const copy = new Map(blocks);
  copy.set(LOCK_NAME, lockWord.buffer as SharedArrayBuffer);
  return copy;
}

/**
 * Fills this thread's registry from a parent's {@link snapshot}. Call it
 * before anything in the thread creates or looks up a block. Changes this
 * thread has already received are newer than the snapshot and win.
 */
export function seed(from: ReadonlyMap<string, SharedArrayBuffer>): void {
  for (const [name, buffer] of from) {
    if (name === LOCK_NAME) lockWord = new Int32Array(buffer);
    else if (!changed.has(name)) blocks.set(name, buffer);
  }
  drain();
}
