import { inspect } from 'node:util';
import { registerShareable, revive } from '../share/protocol.js';
import { InvalidStateError } from '../errors.js';
import { LIST, USED, VERSION, blockSize } from './container-layout.js';
import {
  isThenable, openState, reviveWith, SharedContainer, writing, type ContainerData, type ContainerOptions, type ContainerState,
} from './container.js';
import { ListTable } from './list-table.js';
import { bound, finding, integer, position } from './list-index.js';
import { sortOrder, type SortOptions } from './list-order.js';
import {
  dropValue, encodeAll, encodeValue, fitsInPlace, freeItem, readValue, writeItem, writeValue, type EncodedValue,
} from './stored-item.js';
import { showTyped } from './typecodes.js';

export type { SortOptions } from './list-order.js';

/**
 * A list in shared memory that every thread reads and writes directly
 * (Python's `multiprocessing.Manager().list()`, without the manager): items
 * are any structured-clone values, stored encoded in shared memory, and
 * each call takes the list's lock for a moment. Passing it to a Thread, a
 * pool task or a Queue gives the other side a live handle;
 * shareables stored in it (a Lock, a Queue, a SharedDict…) stay live.
 *
 * Indices follow Python: `get(-1)` is the last item, and an index out of
 * range is a RangeError (`at()` returns `undefined` instead, as Array's
 * does). Methods from both languages are here — `append`/`push`,
 * `pop(index)`, `insert`, `extend`, `remove`, `index`/`indexOf`, `count`,
 * `slice`, `splice`, `reverse`, `sort` — each one atomic. Reads return
 * copies: change an item by writing it back (`set`, `compute`).
 *
 * `sort()` without arguments orders as Python does (numbers numerically,
 * strings by code point, arrays element-wise) and throws TypeError for
 * values Python could not compare; it is stable, and takes a compare
 * function or `{ key, reverse }`. `index`, `indexOf`, `count`, `includes`
 * and `remove` compare items by their encoding: equal primitives, and
 * objects of the same shape and contents (`0` and `-0` count as equal;
 * items holding shareables or shared buffers never do).
 *
 * Iterating the list is live, as in Python: each step reads the item at the
 * next index as it is then. `toArray()` and `slice()` are atomic snapshots.
 * Every method blocks only while another thread holds the lock (see
 * `withLock` for the main thread). The list grows as needed and reuses the
 * space of removed and overwritten items; a write that cannot be done
 * throws and changes nothing.
 *
 * @throws DataCloneError (naming the path) for an item that cannot be stored.
 * @throws RangeError when the list would need more than `maxBytes`.
 * @example
 * ```ts
 * import { SharedList, Thread } from 'weft';
 * const list = new SharedList<number>([3, 1, 2]);
 * const worker = new Thread({ target: (l: SharedList<number>) => { l.append(10); l.sort(); }, args: [list] });
 * worker.start();
 * await worker.join();
 * console.log(list.toArray(), list.get(-1)); // [ 1, 2, 3, 10 ] 10
 * console.log(list.splice(1, 2, 7), list.pop(0), list.toArray()); // [ 2, 3 ] 1 [ 7, 10 ]
 * ```
 * @see Python's `list` and `multiprocessing.managers.ListProxy`
 */
export class SharedList<T = unknown> extends SharedContainer implements Iterable<T> {
  readonly #state: ContainerState;
  readonly #table: ListTable;

  /** @param items Initial items. */
  constructor(items?: Iterable<T> | null, options?: ContainerOptions) {
    const { state, table, fresh } = openState(new.target, 'SharedList', LIST, options, (words, arena) => new ListTable(words, arena));
    super(state);
    this.#state = state;
    this.#table = table;
    if (!fresh) return;
    if (items !== undefined && items !== null) this.extend(items);
  }

  /** How many items (a snapshot). */
  get length(): number {
    return Atomics.load(this.#state.words, USED);
  }

  /**
   * Item `index` (negative counts from the end), as a copy.
   *
   * @throws RangeError if there is no such item; TypeError if `index` is not an integer.
   */
  get(index: number): T {
    return this.#read((length) => position(index, length, 'SharedList.get()'));
  }

  /** Item `index` (negative counts from the end), or `undefined` if there is none, as `Array.prototype.at`. */
  at(index: number): T | undefined {
    const i = integer(index, 'index', 'SharedList.at()');
    return this.#read((length) => (i < -length || i >= length ? -1 : i < 0 ? i + length : i));
  }

  /**
   * Replaces item `index` (negative counts from the end).
   *
   * @throws RangeError if there is no such item, or beyond `maxBytes`; DataCloneError if the value cannot be stored.
   */
  set(index: number, value: T): this {
    const where = 'SharedList.set()';
    const stored = encodeValue(value, 'value', this.#state.destination);
    writing(this.#state, [stored], () => this.#store(position(index, this.#table.length, where), stored, where));
    return this;
  }

  /**
   * Replaces item `index` with `fn(current)` atomically and returns the new
   * value. `fn` runs holding the lock: keep it short and synchronous.
   *
   * @throws RangeError if there is no such item; TypeError if `fn` returns a Promise.
   */
  compute(index: number, fn: (current: T) => T): T {
    const where = 'SharedList.compute()';
    const state = this.#state;
    state.enter();
    try {
      const at = position(index, this.#table.length, where);
      const next = fn(readValue(state.arena, this.#table.at(at)) as T);
      if (isThenable(next)) {
        throw new TypeError(`${where}: the function returned a Promise; it runs holding the lock and must be synchronous (use withLock() for async updates)`);
      }
      const stored = encodeValue(next, 'value', this.#state.destination);
      // fn may have changed the list (it may call its methods): find the index again.
      writing(state, [stored], () => this.#store(position(index, this.#table.length, where), stored, where));
      return next;
    } finally {
      state.leave();
    }
  }

  /** Adds `item` at the end. @see Python's `list.append()` */
  append(item: T): void {
    this.#splice('SharedList.append()', [item], (length) => [length, 0]);
  }

  /** Adds `items` at the end; returns the new length, as `Array.prototype.push`. */
  push(...items: T[]): number {
    return this.#splice('SharedList.push()', items, (length) => [length, 0]).length;
  }

  /** Adds every item of `items` at the end, in one atomic step. @see Python's `list.extend()` */
  extend(items: Iterable<T>): void {
    if (items === null || typeof (items as Iterable<T>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`SharedList.extend(): expected an iterable, got ${showTyped(items)}`);
    }
    this.#splice('SharedList.extend()', [...items], (length) => [length, 0]);
  }

  /**
   * Inserts `item` before position `index`; as in Python, a negative index
   * counts from the end and an index out of range inserts at that end.
   */
  insert(index: number, item: T): void {
    const i = integer(index, 'index', 'SharedList.insert()');
    this.#splice('SharedList.insert()', [item], (length) => [i < 0 ? Math.max(length + i, 0) : Math.min(i, length), 0]);
  }

  /**
   * Removes and returns item `index` (default: the last).
   *
   * @throws RangeError if the list is empty or there is no such item.
   * @see Python's `list.pop()`
   */
  pop(index = -1): T {
    return this.#splice('SharedList.pop()', [], (length) => [position(index, length, 'SharedList.pop()'), 1], true).removed[0] as T;
  }

  /**
   * Removes the first item equal to `value` (see the class notes on equality).
   *
   * @throws RangeError if no item is equal.
   * @see Python's `list.remove()`
   */
  remove(value: T): void {
    const where = 'SharedList.remove()';
    finding(this.#state.arena, this.#table, value, (find) => this.#splice(where, [], (length) => {
      const at = find(0, length);
      if (at < 0) throw new RangeError(`${where}: ${inspect(value)} is not in the list`);
      return [at, 1];
    }));
  }

  /**
   * Removes `deleteCount` items from `start` and inserts `items` there, as
   * `Array.prototype.splice` (negative `start` counts from the end); returns
   * the removed items. Atomic: all of it or, on a failure, none.
   */
  splice(start: number, deleteCount?: number, ...items: T[]): T[];
  splice(start: number, ...rest: unknown[]): T[] {
    const where = 'SharedList.splice()';
    return this.#splice(where, rest.slice(1) as T[], (length) => {
      const from = bound(start, length, 0, where);
      const count = rest.length === 0 ? length - from : Math.min(Math.max(Math.trunc(Number(rest[0])) || 0, 0), length - from);
      return [from, count];
    }, true).removed as T[];
  }

  /** Removes every item; the memory is kept for what comes next. */
  clear(): void {
    const state = this.#state;
    state.enter();
    try {
      const table = this.#table;
      for (let i = 0; i < table.length; i++) dropValue(state.arena, table.at(i));
      state.arena.reset();
      table.reset('SharedList.clear()');
      state.words[VERSION]!++;
    } finally {
      state.leave();
    }
  }

  /** Items `start` to `end` (exclusive) as a plain array, as `Array.prototype.slice` (a snapshot). */
  slice(start?: number, end?: number): T[] {
    const where = 'SharedList.slice()';
    return this.#readAll((length) => [bound(start, length, 0, where), bound(end, length, length, where)]);
  }

  /** Every item as a plain array (a snapshot). */
  toArray(): T[] {
    return this.#readAll((length) => [0, length]);
  }

  /**
   * The position of the first item equal to `value` in `start..stop` (slice bounds).
   *
   * @throws RangeError if there is none (Python raises ValueError).
   * @see Python's `list.index()`
   */
  index(value: T, start?: number, stop?: number): number {
    const where = 'SharedList.index()';
    const at = finding(this.#state.arena, this.#table, value, (find) => this.#locked((length) => find(bound(start, length, 0, where), bound(stop, length, length, where))));
    if (at < 0) throw new RangeError(`${where}: ${inspect(value)} is not in the list`);
    return at;
  }

  /** The position of the first item equal to `value` from `fromIndex` on, or -1, as `Array.prototype.indexOf`. */
  indexOf(value: T, fromIndex?: number): number {
    return finding(this.#state.arena, this.#table, value, (find) => this.#locked((length) => find(bound(fromIndex, length, 0, 'SharedList.indexOf()'), length)));
  }

  /** Whether an item equals `value`. */
  includes(value: T): boolean {
    return this.indexOf(value) >= 0;
  }

  /** How many items equal `value`. @see Python's `list.count()` */
  count(value: T): number {
    return finding(this.#state.arena, this.#table, value, (find) => this.#locked((length) => {
      let count = 0;
      for (let at = find(0, length); at >= 0; at = find(at + 1, length)) count++;
      return count;
    }));
  }

  /** Reverses the list in place. */
  reverse(): this {
    this.#locked(() => {
      this.#table.reverse();
      this.#state.words[VERSION]!++;
    });
    return this;
  }

  /**
   * Sorts the list in place, stably: by `compare` (as `Array.prototype.sort`),
   * or by Python's order of the items or of `key(item)`, optionally
   * reversed. The functions run holding the lock.
   *
   * @throws TypeError (default order) for items Python could not compare.
   * @throws InvalidStateError if the compare or key function changed the list.
   * @throws whatever `compare` or `key` throws; the list is then unchanged.
   */
  sort(how?: ((a: T, b: T) => number) | SortOptions<T>): this {
    const where = 'SharedList.sort()';
    this.#locked(() => {
      const table = this.#table;
      const words = this.#state.words;
      const version = words[VERSION];
      const refs = table.copy();
      const items = Array.from(refs, (block) => readValue(this.#state.arena, block) as T);
      const order = sortOrder(items, how, where);
      if (words[VERSION] !== version) {
        throw new InvalidStateError(`${where}: the list was changed during the sort (by the compare or key function)`);
      }
      table.permute(refs, order);
      words[VERSION]!++;
    });
    return this;
  }

  /**
   * Iterates live, as Python's list iterator: each step reads the item at
   * the next index as it is then, and the iteration ends at the end of the
   * list as it is then.
   */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; ; i++) {
      const state = this.#state;
      state.enter();
      let item: T;
      try {
        if (i >= this.#table.length) return;
        item = readValue(state.arena, this.#table.at(i)) as T;
      } finally {
        state.leave();
      }
      yield item;
    }
  }

  get [Symbol.toStringTag](): string {
    return 'SharedList';
  }

  /** Like an array's: `SharedList(2) [ 1, 'a' ]`. */
  override toString(): string {
    const items = this.toArray();
    return `SharedList(${items.length}) ${inspect(items)}`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** Runs `fn(length)` under the lock. */
  #locked<R>(fn: (length: number) => R): R {
    const state = this.#state;
    state.enter();
    try {
      return fn(this.#table.length);
    } finally {
      state.leave();
    }
  }

  /** The item at the index `locate(length)` picks (-1: none, giving `undefined`). */
  #read(locate: (length: number) => number): T {
    return this.#locked((length) => {
      const at = locate(length);
      return (at < 0 ? undefined : readValue(this.#state.arena, this.#table.at(at))) as T;
    });
  }

  /** Items [from, to) where `range(length)` says. */
  #readAll(range: (length: number) => [number, number]): T[] {
    return this.#locked((length) => {
      const [from, to] = range(length);
      const items: T[] = [];
      for (let i = from; i < to; i++) items.push(readValue(this.#state.arena, this.#table.at(i)) as T);
      return items;
    });
  }

  /** Replaces item `at` with an encoded value (under the lock): in place if it fits, else in a new block. */
  #store(at: number, value: EncodedValue, where: string): void {
    const arena = this.#state.arena;
    const old = this.#table.at(at);
    this.#state.words[VERSION]!++;
    if (fitsInPlace(arena, old, value.length)) {
      dropValue(arena, old);
      writeValue(arena, old, value);
      return;
    }
    const block = arena.allocate(value.length, where);
    writeItem(arena, block, undefined, value);
    freeItem(arena, this.#table.at(at)); // read again: the allocation may have moved it
    this.#table.setAt(at, block);
  }

  /**
   * The one write that changes the length: under the lock, `locate(length)`
   * says which `count` items from `from` to remove, and `items` go there.
   * Everything that can fail — encoding, decoding what is removed (when
   * `read`), making room — happens before the first change.
   */
  #splice(where: string, items: readonly T[], locate: (length: number) => [from: number, count: number], read = false): { removed: unknown[]; length: number } {
    const values = items.length === 1 ? [encodeValue(items[0], 'item', this.#state.destination)] : encodeAll(items, (i) => `items[${i}]`, this.#state.destination);
    return writing(this.#state, values, () => {
      const arena = this.#state.arena;
      const table = this.#table;
      const [from, count] = locate(table.length);
      const removed: unknown[] = [];
      if (read) for (let i = from; i < from + count; i++) removed.push(readValue(arena, table.at(i)));
      table.ensureRoom(values.length - count, where);
      let bytes = 0;
      for (const value of values) bytes += blockSize(value.length);
      arena.reserve(bytes, where);
      // From here on nothing can fail.
      this.#state.words[VERSION]!++;
      for (let i = from; i < from + count; i++) freeItem(arena, table.at(i));
      table.replace(from, count, values.length);
      for (let i = 0; i < values.length; i++) {
        const block = arena.allocate(values[i]!.length, where);
        writeItem(arena, block, undefined, values[i]!);
        table.setAt(from + i, block);
      }
      if (count > values.length) table.shrink(where);
      return { removed, length: table.length };
    });
  }

  /** @internal */
  static [revive](data: ContainerData): SharedList {
    return reviveWith(data, () => new this());
  }
}

registerShareable('SharedList', SharedList, { module: import.meta.url });
