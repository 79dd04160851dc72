/**
 * How SharedDict takes items in and gives them out in bulk: the sources
 * `update()` and the constructor accept, and the live iterator of
 * `[Symbol.iterator]` (the snapshots of `keys()`/`entries()` are arrays).
 */

import { InvalidStateError } from '../errors.js';
import { SharedContainer, type ContainerState } from './container.js';
import { VERSION } from './container-layout.js';
import type { DictTable } from './dict-table.js';
import { readKey, readValue } from './stored-item.js';
import { showTyped } from './typecodes.js';

/** What the constructor and `update()` take: pairs (a Map, another SharedDict, an array of pairs…) or a plain object. */
export type DictSource<K, V> = Iterable<readonly [K, V]> | { readonly [key: string]: V };

/** A SharedDict: its entries() is a snapshot (its own iteration is live). */
function isSnapshotSource<K, V>(source: unknown): source is { entries(): IterableIterator<[K, V]> } {
  return source instanceof SharedContainer && typeof (source as { entries?: unknown }).entries === 'function';
}

/** The `[key, value]` pairs of `source`, checked. */
export function pairsOf<K, V>(source: DictSource<K, V>, where: string): [K, V][] {
  // A SharedDict is iterable, but live: read a snapshot instead.
  if (isSnapshotSource<K, V>(source)) return [...source.entries()];
  if (typeof source !== 'object' || source === null) {
    throw new TypeError(`${where}: expected pairs or a plain object, got ${showTyped(source)}`);
  }
  if (!(Symbol.iterator in source)) {
    const proto = Object.getPrototypeOf(source);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${where}: expected pairs or a plain object, got ${showTyped(source)}`);
    }
    return Object.entries(source) as [K, V][];
  }
  const pairs: [K, V][] = [];
  for (const pair of source as Iterable<unknown>) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(`${where}: element ${pairs.length} is not a [key, value] pair, got ${showTyped(pair)}`);
    }
    pairs.push([pair[0], pair[1]]);
  }
  return pairs;
}

/** The live iterator of a SharedDict (see its `[Symbol.iterator]`). */
export class LiveEntries<K, V> implements IterableIterator<[K, V]> {
  readonly #state: ContainerState;
  readonly #table: DictTable;
  readonly #version: number;
  #position = 0;
  #done = false;

  constructor(state: ContainerState, table: DictTable) {
    this.#state = state;
    this.#table = table;
    this.#version = Atomics.load(state.words, VERSION);
  }

  next(): IteratorResult<[K, V]> {
    if (this.#done) return { done: true, value: undefined };
    const state = this.#state;
    state.enter();
    try {
      if (state.words[VERSION] !== this.#version) {
        throw new InvalidStateError(
          'SharedDict changed size during iteration (a key was added or removed); iterate over entries(), ' +
            'a snapshot, when other threads may write',
        );
      }
      const table = this.#table;
      while (this.#position < table.used) {
        const block = table.blockOf(this.#position++);
        if (block !== 0) return { done: false, value: [readKey(state.arena, block) as K, readValue(state.arena, block) as V] };
      }
      this.#done = true;
      return { done: true, value: undefined };
    } finally {
      state.leave();
    }
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this;
  }
}
