import { inspect } from 'node:util';
import { memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import type { Lock } from '../sync/lock.js';
import type { RLock } from '../sync/rlock.js';
import {
  elementType, showTyped, type ElementArray, type ElementType, type InputOf, type Typecode, type ValueOf, type ViewOf,
} from './typecodes.js';
import { lockOption, noLock, type SynchronizedOptions } from './value.js';

/** What {@link indexed} needs of the object it fronts. @internal */
export interface IndexAccess {
  readonly length: number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}

/**
 * Checks that `index` is an integer in `0..length-1` and returns it.
 *
 * @internal
 */
export function checkIndex(index: unknown, length: number, where: string): number {
  if (typeof index !== 'number') throw new TypeError(`${where}: index must be a number, got ${showTyped(index)}`);
  if (!Number.isInteger(index)) throw new RangeError(`${where}: index ${index} is not an integer`);
  if (index < 0 || index >= length) throw new RangeError(`${where}: index ${index} is out of range for length ${length}`);
  return index;
}

/** The index a property key names, if it is numeric (`'3'`, `'-1'`, `'1.5'`); otherwise `undefined`. */
function indexKey(key: string | symbol): number | undefined {
  if (typeof key !== 'string') return undefined;
  const first = key.charCodeAt(0);
  if ((first < 48 || first > 57) && first !== 45) return undefined; // neither a digit nor '-': the fast exit
  const index = Number(key);
  return String(index) === key ? index : undefined;
}

function inRange(index: number, length: number): boolean {
  return Number.isInteger(index) && index >= 0 && index < length;
}

// Methods read #private fields, so they must run with the target, not the
// proxy, as `this`. Each instance binds each method once, keeping
// `list.get === list.get`.
const bound = new WeakMap<object, Map<Function, Function>>();

function bind(target: object, method: Function): Function {
  let methods = bound.get(target);
  if (methods === undefined) bound.set(target, (methods = new Map()));
  const known = methods.get(method);
  if (known !== undefined) return known;
  const fn: Function = method.bind(target);
  methods.set(method, fn);
  return fn;
}

const handler: ProxyHandler<IndexAccess> = {
  get(target, key) {
    const index = indexKey(key);
    if (index !== undefined) return target.get(index);
    const value = Reflect.get(target, key, target);
    return typeof value === 'function' && key !== 'constructor' ? bind(target, value) : value;
  },
  set(target, key, value) {
    const index = indexKey(key);
    if (index === undefined) return Reflect.set(target, key, value, target);
    target.set(index, value);
    return true;
  },
  has(target, key) {
    const index = indexKey(key);
    return index === undefined ? Reflect.has(target, key) : inRange(index, target.length);
  },
  ownKeys(target) {
    const keys: (string | symbol)[] = Array.from({ length: target.length }, (_, i) => String(i));
    return keys.concat(Reflect.ownKeys(target));
  },
  getOwnPropertyDescriptor(target, key) {
    const index = indexKey(key);
    if (index === undefined) return Reflect.getOwnPropertyDescriptor(target, key);
    if (!inRange(index, target.length)) return undefined;
    return { value: target.get(index), writable: true, enumerable: true, configurable: true };
  },
  defineProperty(target, key, descriptor) {
    const index = indexKey(key);
    if (index === undefined) return Reflect.defineProperty(target, key, descriptor);
    if (!('value' in descriptor)) throw new TypeError(`${target.constructor.name}: item ${index} can only be given a value`);
    target.set(index, descriptor.value);
    return true;
  },
  deleteProperty(target, key) {
    const index = indexKey(key);
    if (index === undefined) return Reflect.deleteProperty(target, key);
    throw new TypeError(`${target.constructor.name}: cannot delete item ${index}; the length is fixed`);
  },
};

/**
 * `target` behind a proxy that turns `obj[i]` into `target.get(i)` /
 * `target.set(i, v)` and leaves every other key to the target, with `in`,
 * `Object.keys` and spreading seeing the items.
 *
 * @internal
 */
export function indexed<T extends IndexAccess>(target: T): T {
  return new Proxy(target, handler as ProxyHandler<T>);
}

interface Description {
  readonly typecode: Typecode;
  readonly view: ElementArray;
  readonly lock: Lock | RLock | undefined;
}

/**
 * A fixed-length array of numbers, bigints or booleans in shared memory, with
 * a lock for compound updates (Python's `multiprocessing.Array`). Passing it
 * to another thread gives that thread a live handle on the same elements and
 * the same lock.
 *
 * `arr[i]`, `get(i)` and `set(i, v)` check the index and the value; each
 * integer or bool element access is atomic by itself (float elements use
 * plain access). For hot loops, `view` is the typed array over the shared
 * elements, with no checks at all. As in Python, updates spanning several
 * reads and writes need `getLock()`.
 *
 * @throws TypeError for an unknown typecode, values of the wrong type, or a
 *   bad `lock` option.
 * @throws RangeError for a negative or non-integer length, values that do not
 *   fit, and (on access) an index out of range.
 * @example
 * ```ts
 * import { SharedArray } from 'weft';
 * const arr = new SharedArray('d', [0.5, 1.5, 2.5]);
 * arr[0] = 10;
 * console.log(arr[0], arr.length, arr.toArray()); // 10 3 [ 10, 1.5, 2.5 ]
 * for (let i = 0; i < arr.view.length; i++) arr.view[i]! *= 2; // unchecked, fast
 * console.log(arr.slice(1)); // [ 3, 5 ]
 * const flags = new SharedArray('bool', 2, { lock: false });
 * console.log([...flags]); // [ false, false ]
 * ```
 * @see Python's `multiprocessing.Array` and `multiprocessing.RawArray`
 */
export class SharedArray<T extends Typecode = Typecode> implements Iterable<ValueOf<T>> {
  /** Element `index`, checked; the same as `get(index)` / `set(index, value)`. */
  [index: number]: ValueOf<T>;

  // Set by [revive] just around the constructor call: attach, do not allocate.
  static #attaching: Description | undefined;

  readonly #typecode: T;
  readonly #type: ElementType;
  readonly #view: ElementArray;
  readonly #lock: Lock | RLock | undefined;
  readonly #memory: Memory;
  readonly #where: string;

  /**
   * @param typecode Python typecode (`'i'`, `'d'`, `'Q'`…) or readable name (`'int32'`, `'bool'`…).
   * @param lengthOrIterable The length (elements start at zero), or the initial elements.
   */
  constructor(typecode: T, lengthOrIterable: number | Iterable<InputOf<T>>, options: SynchronizedOptions = {}) {
    const attachment = SharedArray.#attaching;
    SharedArray.#attaching = undefined;
    this.#memory = memoryOf(new.target);
    this.#type = elementType(typecode, 'SharedArray()');
    this.#typecode = typecode;
    this.#where = `SharedArray('${typecode}')`;
    if (attachment !== undefined) {
      this.#view = attachment.view;
      this.#lock = attachment.lock;
      return indexed(this);
    }
    const initial = this.#initial(lengthOrIterable);
    const length = typeof initial === 'number' ? initial : initial.length;
    this.#lock = lockOption(options?.lock, this.#where, this.#memory);
    const bytes = Math.max(length * this.#type.bytes, 8);
    this.#view = new this.#type.array(this.#memory.allocate(bytes), 0, length);
    if (typeof initial !== 'number') this.#view.set(initial as ArrayLike<number> & ArrayLike<bigint>);
    return indexed(this);
  }

  /** The length, or the checked initial elements. */
  #initial(lengthOrIterable: unknown): number | (number | bigint)[] {
    if (typeof lengthOrIterable === 'number') {
      if (!Number.isSafeInteger(lengthOrIterable) || lengthOrIterable < 0) {
        throw new RangeError(`${this.#where}: length must be a non-negative integer, got ${lengthOrIterable}`);
      }
      return lengthOrIterable;
    }
    if (typeof lengthOrIterable !== 'object' || lengthOrIterable === null || !(Symbol.iterator in lengthOrIterable)) {
      throw new TypeError(
        `${this.#where}: expected a length or an iterable of initial values, got ${showTyped(lengthOrIterable)}`,
      );
    }
    const items: (number | bigint)[] = [];
    for (const item of lengthOrIterable as Iterable<unknown>) items.push(this.#type.coerce(item, `${this.#where}[${items.length}]`));
    return items;
  }

  /** How many elements; fixed at creation. */
  get length(): number {
    return this.#view.length;
  }

  /** The typecode the array was created with. */
  get typecode(): T {
    return this.#typecode;
  }

  /**
   * The typed array over the shared elements (`Int32Array` for `'i'`,
   * `Uint8Array` of 0/1 for `'bool'`…), for hot loops: no index or value
   * checks, no atomicity beyond what the caller arranges.
   */
  get view(): ViewOf<T> {
    return this.#view as ViewOf<T>;
  }

  /**
   * Element `index`.
   *
   * @throws RangeError if `index` is not an integer in `0..length-1`.
   */
  get(index: number): ValueOf<T> {
    return this.#type.load(this.#view, checkIndex(index, this.#view.length, this.#where)) as ValueOf<T>;
  }

  /**
   * Sets element `index` to `value`.
   *
   * @throws RangeError for an index out of range or a value that does not fit.
   * @throws TypeError for a value of the wrong type.
   */
  set(index: number, value: InputOf<T>): void {
    checkIndex(index, this.#view.length, this.#where);
    this.#type.store(this.#view, index, value, `${this.#where}[${index}]`);
  }

  /** Elements `start` up to (not including) `end` as a plain array; negative positions count from the end, as `Array.prototype.slice`. */
  slice(start?: number, end?: number): ValueOf<T>[] {
    const length = this.#view.length;
    const from = clamp(start ?? 0, length);
    const to = clamp(end ?? length, length);
    const out: ValueOf<T>[] = [];
    for (let i = from; i < to; i++) out.push(this.#type.load(this.#view, i) as ValueOf<T>);
    return out;
  }

  /** Every element, as a plain array. */
  toArray(): ValueOf<T>[] {
    return this.slice();
  }

  /** `toArray()`, so `JSON.stringify` writes a list. */
  toJSON(): ValueOf<T>[] {
    return this.slice();
  }

  /** Reads each element as the iteration reaches it (a live view, like Python's). */
  *[Symbol.iterator](): Iterator<ValueOf<T>> {
    for (let i = 0; i < this.#view.length; i++) yield this.#type.load(this.#view, i) as ValueOf<T>;
  }

  /**
   * The lock guarding compound operations on this array.
   *
   * @throws TypeError if the array was created with `{ lock: false }`.
   * @see Python's `Array.get_lock()`
   */
  getLock(): Lock | RLock {
    if (this.#lock === undefined) throw noLock(this.#where);
    return this.#lock;
  }

  /** e.g. `<SharedArray i [1, 2, 3]>`. */
  toString(): string {
    return `<SharedArray ${this.#typecode} [${this.slice().map(String).join(', ')}]>`;
  }

  get [Symbol.toStringTag](): string {
    return `SharedArray ${this.#typecode}`;
  }

  // Node calls this with the proxy as `this`, so it may use public members only.
  [inspect.custom](_depth: number, options: object): string {
    return `SharedArray(${this.typecode}) ${inspect(this.slice(), options)}`;
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /** @internal */
  [describe](): Description {
    return { typecode: this.#typecode, view: this.#view, lock: this.#lock };
  }

  /** @internal */
  static [revive]<T extends Typecode>(data: Description): SharedArray<T> {
    SharedArray.#attaching = data;
    return new this(data.typecode as T, 0);
  }
}

function clamp(position: number, length: number): number {
  const integer = Math.trunc(position) || 0;
  return integer < 0 ? Math.max(length + integer, 0) : Math.min(integer, length);
}

registerShareable('SharedArray', SharedArray, { module: import.meta.url });
