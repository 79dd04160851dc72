import { inspect } from 'node:util';
import { registerShareable, revive } from '../share/protocol.js';
import { KeyError } from '../errors.js';
import { DICT, LIVE, blockSize } from './container-layout.js';
import {
  isThenable, openState, reviveWith, SharedContainer, writing, type ContainerData, type ContainerOptions, type ContainerState,
} from './container.js';
import { DictTable } from './dict-table.js';
import { LiveEntries, pairsOf, type DictSource } from './dict-entries.js';
import { encodeKey, keepKey, type DictKey, type EncodedKey } from './dict-key.js';
import {
  discard, dropValue, encodeAll, encodeValue, fitsInPlace, freeItem, payloadOf, readKey, readValue, settle, writeItem, writeValue,
  type EncodedValue,
} from './stored-item.js';
import type { Arena } from './arena.js';

export type { DictKey } from './dict-key.js';

export type { DictSource } from './dict-entries.js';

/**
 * A dict in shared memory that every thread reads and writes directly
 * (Python's `multiprocessing.Manager().dict()`, without the manager): keys
 * and values are stored encoded in shared memory, and each call takes the
 * dict's lock for a moment (well under a microsecond for a small item) — no
 * message to an owner. Passing it to a Thread, a pool task or a Queue gives
 * the other side a live handle.
 *
 * **Keys** are strings, numbers, bigints, booleans, null, undefined, or
 * arrays of those compared by value like Python tuples (`[1, 'a']` finds
 * what another array `[1, 'a']` stored). Primitives are equal as in a `Map`
 * (`0` and `-0` are one key, so is `NaN`; `1` and `1n` are two). Objects are
 * refused with a TypeError. **Values** are any structured-clone value;
 * shareables among them (a Lock, a Queue, a SharedList…) stay live: every
 * reader gets a handle on the same object. Reads return copies: change a
 * value by writing it back, atomically with `compute` or `withLock`.
 *
 * Insertion order is kept, as in Python 3.7+ (`popitem()` takes the last).
 * `keys()`, `values()`, `entries()`, `toMap()` and `forEach` work on a
 * snapshot taken atomically when called; iterating the dict itself is live,
 * as in Python, and throws InvalidStateError if a key is added or removed
 * (by any thread) while it runs.
 *
 * Every method is synchronous and atomic. It blocks only while another
 * thread holds the lock: a moment, unless that thread is inside a long
 * `withLockSync` body. On the main thread, `await
 * dict.withLock((d) => d.get(key))` waits for the lock without blocking.
 * The dict grows as needed and reuses the space of deleted and overwritten
 * items; a write that cannot be done (a value that cannot be cloned, or
 * `maxBytes` reached) throws and changes nothing.
 *
 * @throws TypeError for a key that cannot be a key, or a source that is not pairs or a plain object.
 * @throws DataCloneError (naming the path) for a value that cannot be stored.
 * @throws RangeError when the dict would need more than `maxBytes`.
 * @example
 * ```ts
 * import { SharedDict, Thread } from 'weft';
 * const counts = new SharedDict<string, number>();
 * const workers = ['a b a', 'b a c'].map((text) => new Thread({
 *   target: (d: SharedDict<string, number>, text: string) => {
 *     for (const word of text.split(' ')) d.compute(word, (n = 0) => n + 1);
 *   },
 *   args: [counts, text],
 * }));
 * for (const worker of workers) worker.start();
 * for (const worker of workers) await worker.join();
 * console.log(counts.get('a'), counts.size); // 3 3
 * console.log(counts.pop('c'), counts.get('c', 0)); // 1 0
 * ```
 * @see Python's `dict` and `multiprocessing.managers.DictProxy`
 */
export class SharedDict<K extends DictKey = DictKey, V = unknown> extends SharedContainer implements Iterable<[K, V]> {
  readonly #state: ContainerState;
  readonly #table: DictTable;

  /**
   * @param entries Initial items: pairs (an array of `[key, value]`, a Map,
   *   another SharedDict) or a plain object.
   */
  constructor(entries?: DictSource<K, V> | null, options?: ContainerOptions) {
    const { state, table, fresh } = openState(new.target, 'SharedDict', DICT, options, (words, arena) => new DictTable(words, arena));
    super(state);
    this.#state = state;
    this.#table = table;
    if (!fresh) return;
    if (entries !== undefined && entries !== null) this.update(entries);
  }

  /**
   * A new dict with every key of `keys` mapped to `value`.
   *
   * @see Python's `dict.fromkeys()`
   */
  static fromKeys<K extends DictKey, V = undefined>(keys: Iterable<K>, value?: V, options?: ContainerOptions): SharedDict<K, V> {
    return new SharedDict<K, V>(Array.from(keys, (key) => [key, value as V] as const), options);
  }

  /** How many items (a snapshot). */
  get size(): number {
    return Atomics.load(this.#state.words, LIVE);
  }

  /**
   * The value stored under `key` (a copy), or `fallback` (default
   * `undefined`) if there is none.
   *
   * @throws TypeError if `key` cannot be a key.
   */
  get(key: K): V | undefined;
  get<D>(key: K, fallback: D): V | D;
  get(key: K, fallback?: unknown): unknown {
    const encoded = encodeKey(key, 'SharedDict.get()');
    const state = this.#state;
    state.enter();
    try {
      const entry = this.#table.find(encoded);
      return entry < 0 ? fallback : readValue(state.arena, this.#table.blockOf(entry));
    } finally {
      state.leave();
    }
  }

  /** Whether `key` is in the dict. */
  has(key: K): boolean {
    const encoded = encodeKey(key, 'SharedDict.has()');
    const state = this.#state;
    state.enter();
    try {
      return this.#table.find(encoded) >= 0;
    } finally {
      state.leave();
    }
  }

  /**
   * Stores `value` under `key`, replacing what was there.
   *
   * @throws DataCloneError if the value cannot be stored; RangeError beyond `maxBytes`. The dict is then unchanged.
   */
  set(key: K, value: V): this {
    const where = 'SharedDict.set()';
    const encoded = encodeKey(key, where);
    const stored = encodeValue(value, 'value', this.#state.destination);
    const state = this.#state;
    state.enter();
    try {
      this.#put(encoded, stored, where);
    } catch (error) {
      discard(stored);
      throw error;
    } finally {
      state.leave();
      settle(stored);
    }
    return this;
  }

  /** Removes `key`; whether it was there. */
  delete(key: K): boolean {
    const encoded = encodeKey(key, 'SharedDict.delete()');
    const state = this.#state;
    state.enter();
    try {
      const entry = this.#table.find(encoded);
      if (entry < 0) return false;
      this.#remove(entry, false);
      return true;
    } finally {
      state.leave();
    }
  }

  /** Removes every item; the memory is kept for what comes next. */
  clear(): void {
    const state = this.#state;
    state.enter();
    try {
      const table = this.#table;
      for (let entry = 0; entry < table.used; entry++) {
        const block = table.blockOf(entry);
        if (block !== 0) dropValue(state.arena, block);
      }
      state.arena.reset();
      table.reset('SharedDict.clear()');
    } finally {
      state.leave();
    }
  }

  /**
   * Stores every pair of `source` (pairs or a plain object), in one atomic
   * step: all of them, or — if one cannot be stored — none.
   *
   * @throws TypeError for a source that is not pairs or a plain object, or a key that cannot be a key.
   * @throws DataCloneError if a value cannot be stored; RangeError beyond `maxBytes`.
   * @see Python's `dict.update()`
   */
  update(source: DictSource<K, V>): this {
    const where = 'SharedDict.update()';
    const pairs = pairsOf(source, where);
    const keys = pairs.map(([key]) => keepKey(encodeKey(key, where)));
    const values = encodeAll(pairs.map(([, value]) => value), (i) => `value of key ${inspect(pairs[i]![0])}`, this.#state.destination);
    writing(this.#state, values, () => {
      // Make room for everything first: the writes below then cannot fail halfway.
      this.#table.ensureRoom(pairs.length, where);
      let bytes = 0;
      for (let i = 0; i < pairs.length; i++) bytes += blockSize(payloadOf(keys[i], values[i]!));
      this.#state.arena.reserve(bytes, where);
      for (let i = 0; i < pairs.length; i++) this.#put(keys[i]!, values[i]!, where);
    });
    return this;
  }

  /**
   * The value of `key`; if there is none, stores `fallback` under it first
   * and returns that.
   *
   * @see Python's `dict.setdefault()`
   */
  setdefault(key: K, fallback: V): V {
    const where = 'SharedDict.setdefault()';
    const encoded = encodeKey(key, where);
    const stored = encodeValue(fallback, 'value', this.#state.destination);
    return writing(this.#state, [stored], () => {
      const entry = this.#table.find(encoded);
      if (entry < 0) {
        this.#put(encoded, stored, where);
        return fallback;
      }
      discard(stored);
      return readValue(this.#state.arena, this.#table.blockOf(entry)) as V;
    });
  }

  /**
   * Removes `key` and returns its value; if it is missing, returns
   * `fallback` when one is given.
   *
   * @throws KeyError if `key` is missing and no fallback is given.
   * @see Python's `dict.pop()`
   */
  pop(key: K): V;
  pop<D>(key: K, fallback: D): V | D;
  pop(key: K, ...fallback: unknown[]): unknown {
    const encoded = encodeKey(key, 'SharedDict.pop()');
    const state = this.#state;
    state.enter();
    try {
      const entry = this.#table.find(encoded);
      if (entry >= 0) return this.#remove(entry, true);
      if (fallback.length > 0) return fallback[0];
      throw new KeyError(key, `SharedDict.pop(): ${inspect(key)} is not in the dict`);
    } finally {
      state.leave();
    }
  }

  /**
   * Removes and returns the last item inserted, as `[key, value]` (LIFO).
   *
   * @throws KeyError if the dict is empty.
   * @see Python's `dict.popitem()`
   */
  popitem(): [K, V] {
    const state = this.#state;
    state.enter();
    try {
      const entry = this.#table.last();
      if (entry < 0) throw new KeyError(undefined, 'SharedDict.popitem(): the dict is empty');
      const key = readKey(state.arena, this.#table.blockOf(entry)) as K;
      return [key, this.#remove(entry, true, true) as V];
    } finally {
      state.leave();
    }
  }

  /**
   * Replaces the value of `key` with `fn(current, exists)` atomically — no
   * other thread reads or writes the dict in between — and returns the new
   * value. `current` is `undefined` when the key is missing, so a default
   * parameter reads naturally: `dict.compute(word, (n = 0) => n + 1)`. `fn`
   * runs holding the lock: keep it short and synchronous.
   *
   * @throws TypeError if `fn` returns a Promise (use `withLock` for async updates).
   * @throws whatever `fn` throws, DataCloneError, or RangeError; the dict is then unchanged.
   */
  compute(key: K, fn: (current: V | undefined, exists: boolean) => V): V {
    const where = 'SharedDict.compute()';
    // Kept: fn may encode other keys (calling this dict's methods) before we store.
    const encoded = keepKey(encodeKey(key, where));
    const state = this.#state;
    state.enter();
    try {
      const entry = this.#table.find(encoded);
      const next = fn(entry < 0 ? undefined : (readValue(state.arena, this.#table.blockOf(entry)) as V), entry >= 0);
      if (isThenable(next)) {
        throw new TypeError(`${where}: the function returned a Promise; it runs holding the lock and must be synchronous (use withLock() for async updates)`);
      }
      const stored = encodeValue(next, 'value', this.#state.destination);
      writing(state, [stored], () => this.#put(encoded, stored, where));
      return next;
    } finally {
      state.leave();
    }
  }

  /** The keys, in insertion order, as they are now (a snapshot). */
  keys(): IterableIterator<K> {
    return this.#snapshot((arena, block) => readKey(arena, block) as K)[Symbol.iterator]();
  }

  /** The values, in insertion order, as they are now (a snapshot). */
  values(): IterableIterator<V> {
    return this.#snapshot((arena, block) => readValue(arena, block) as V)[Symbol.iterator]();
  }

  /** The `[key, value]` pairs, in insertion order, as they are now (a snapshot). */
  entries(): IterableIterator<[K, V]> {
    return this.#snapshot((arena, block) => [readKey(arena, block) as K, readValue(arena, block) as V] as [K, V])[Symbol.iterator]();
  }

  /** The items as a Map (a snapshot). */
  toMap(): Map<K, V> {
    return new Map(this.entries());
  }

  /** Calls `callback(value, key, dict)` for every item of a snapshot, as `Map.prototype.forEach` does. */
  forEach(callback: (value: V, key: K, dict: this) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  /**
   * Iterates `[key, value]` pairs live, in insertion order, taking the lock
   * for each step: values changed meanwhile are seen as they are then.
   *
   * @throws InvalidStateError (from `next()`) if a key was added or removed
   *   since the iteration began, as Python's "dictionary changed size
   *   during iteration"; iterate `entries()` when other threads may write.
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return new LiveEntries<K, V>(this.#state, this.#table);
  }

  get [Symbol.toStringTag](): string {
    return 'SharedDict';
  }

  /** Like a Map's: `SharedDict(2) { 'a' => 1, 'b' => 2 }`. */
  override toString(): string {
    return `SharedDict(${this.size}) ${inspect(this.toMap()).replace(/^Map\(\d+\) /, '')}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** Stores an encoded item (under the lock): in place if it fits, else in a new block. */
  #put(key: EncodedKey, value: EncodedValue, where: string): void {
    const arena = this.#state.arena;
    const table = this.#table;
    const entry = table.find(key);
    if (entry >= 0) {
      const old = table.blockOf(entry);
      if (fitsInPlace(arena, old, value.length)) {
        dropValue(arena, old);
        writeValue(arena, old, value);
        return;
      }
      const block = arena.allocate(payloadOf(key, value), where);
      writeItem(arena, block, key, value);
      freeItem(arena, table.blockOf(entry)); // read again: the allocation may have moved it
      table.setBlock(entry, block);
      return;
    }
    table.ensureRoom(1, where);
    const block = arena.allocate(payloadOf(key, value), where);
    writeItem(arena, block, key, value);
    table.insert(key.hash, block);
  }

  /** Removes entry `entry` (under the lock); returns its value if `read`, decoded before anything changes. */
  #remove(entry: number, read: boolean, last = false): unknown {
    const arena = this.#state.arena;
    const block = this.#table.blockOf(entry);
    const value = read ? readValue(arena, block) : undefined;
    if (last) this.#table.removeLast(entry);
    else this.#table.remove(entry);
    freeItem(arena, block);
    return value;
  }

  #snapshot<T>(read: (arena: Arena, block: number) => T): T[] {
    const state = this.#state;
    const out: T[] = [];
    state.enter();
    try {
      const table = this.#table;
      for (let entry = 0; entry < table.used; entry++) {
        const block = table.blockOf(entry);
        if (block !== 0) out.push(read(state.arena, block));
      }
    } finally {
      state.leave();
    }
    return out;
  }

  /** @internal */
  static [revive](data: ContainerData): SharedDict {
    return reviveWith(data, () => new this());
  }
}

registerShareable('SharedDict', SharedDict, { module: import.meta.url });
