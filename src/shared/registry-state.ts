/**
 * The per-thread state of the shared-memory name registry (see
 * `registry.ts`), apart from the locking that changes it, so a worker can start
 * listening for names the moment it starts, for the price of one small module.
 */

import { BroadcastChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { singleton } from '../memory/singleton.js';

export type Change =
  | { readonly op: 'create'; readonly name: string; readonly buffer: SharedArrayBuffer }
  | { readonly op: 'unlink'; readonly name: string };

/** The name under which a snapshot carries the registry's lock word. */
export const LOCK_NAME = '';

interface RegistryState {
  readonly blocks: Map<string, SharedArrayBuffer>;
  /** Names changed by a message since this thread subscribed: newer than any snapshot. */
  readonly changed: Set<string>;
  /** The process-wide lock word creating and unlinking happen under. */
  lockWord: Int32Array;
  readonly channel: BroadcastChannel;
  /** Runs before this thread announces a change (Thread uses it; see thread.ts). */
  beforeChange: (() => void) | undefined;
}

function apply(state: RegistryState, change: Change): void {
  state.changed.add(change.name);
  if (change.op === 'create') state.blocks.set(change.name, change.buffer);
  else state.blocks.delete(change.name);
}

/** This thread's registry, subscribed to every other thread's changes from its first use. */
export const registry: RegistryState = singleton('sharedMemoryRegistry', () => {
  const state: RegistryState = {
    blocks: new Map(),
    changed: new Set(),
    lockWord: new Int32Array(new SharedArrayBuffer(4)),
    channel: new BroadcastChannel('weft:shared-memory'),
    beforeChange: undefined,
  };
  state.channel.onmessage = (event) => apply(state, (event as { data: Change }).data);
  // The registry must never be what keeps a process (or a thread) alive.
  state.channel.unref();
  return state;
});

/** Applies every change other threads have posted so far. */
export function drain(): void {
  // Node 20 accepts a BroadcastChannel here (its typings say MessagePort only).
  const port = registry.channel as unknown as MessagePort;
  for (let received = receiveMessageOnPort(port); received !== undefined; received = receiveMessageOnPort(port)) {
    apply(registry, received.message as Change);
  }
}

/**
 * This thread's view of the registry, to {@link seed} a thread about to
 * start: every live name and its buffer, plus the registry's lock word.
 */
export function snapshot(): Map<string, SharedArrayBuffer> {
  drain();
  const copy = new Map(registry.blocks);
  copy.set(LOCK_NAME, registry.lockWord.buffer as SharedArrayBuffer);
  return copy;
}

/**
 * Fills this thread's registry from a parent's {@link snapshot}. Changes this
 * thread has already received are newer than the snapshot and win.
 */
export function seed(from: ReadonlyMap<string, SharedArrayBuffer>): void {
  for (const [name, buffer] of from) {
    if (name === LOCK_NAME) registry.lockWord = new Int32Array(buffer);
    else if (!registry.changed.has(name)) registry.blocks.set(name, buffer);
  }
  drain();
}
