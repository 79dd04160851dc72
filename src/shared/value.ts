import { inspect } from 'node:util';
import { memoryOf, type Memory } from '../memory/memory.js';
import { scopedClass } from '../memory/scoped-classes.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { Lock } from '../sync/lock.js';
import { RLock } from '../sync/rlock.js';
import { elementType, showTyped, type ElementArray, type ElementType, type InputOf, type Typecode, type ValueOf } from './typecodes.js';

/** Options of {@link Value} and `SharedArray`. */
export interface SynchronizedOptions {
  /**
   * The lock `getLock()` returns, for compound operations. `true` or omitted:
   * a new {@link RLock} (CPython's default). A `Lock` or `RLock`: that one,
   * e.g. to guard several values with one lock. `false`: no lock at all
   * (Python's `RawValue` / `RawArray`).
   */
  lock?: boolean | Lock | RLock;
}

/**
 * The lock a synchronized value is given: `undefined` for `{ lock: false }`.
 *
 * @internal
 */
export function lockOption(lock: unknown, where: string, memory: Memory): Lock | RLock | undefined {
  if (lock === undefined || lock === true) return new (scopedClass(memory, RLock))();
  if (lock === false) return undefined;
  if (lock instanceof Lock || lock instanceof RLock) {
    if (lock[SCOPE] !== memory.scope) {
      throw new TypeError(`${where}: a ${memory.scope}-scope value needs a lock of the same scope, got a ${lock[SCOPE]}-scope ${lock.constructor.name}`);
    }
    return lock;
  }
  throw new TypeError(`${where}: lock must be true, false, a Lock or an RLock, got ${showTyped(lock)}`);
}

/** The error `getLock()` throws on a raw value. @internal */
export function noLock(where: string): TypeError {
  return new TypeError(`${where} was created with { lock: false } and has no lock`);
}

interface Attachment {
  readonly view: ElementArray;
  readonly lock: Lock | RLock | undefined;
}

interface Description {
  readonly typecode: Typecode;
  readonly view: ElementArray;
  readonly lock: Lock | RLock | undefined;
}

/**
 * One number, bigint or boolean in shared memory, with a lock for compound
 * updates (Python's `multiprocessing.Value`). Passing it to another thread
 * gives that thread a live handle on the same memory and the same lock.
 *
 * Reading or writing `value` is atomic by itself for integer and bool
 * typecodes (`Atomics.load` / `Atomics.store`); float typecodes use plain
 * access. Like Python, a read-modify-write such as `value += 1` is *not*
 * atomic: do it while holding `getLock()`. 64-bit typecodes hold bigints and
 * also accept safe-integer numbers.
 *
 * @throws TypeError for an unknown typecode, a value of the wrong type, or a
 *   `lock` option that is not a boolean, Lock or RLock.
 * @throws RangeError for a value that does not fit the typecode (or a
 *   non-integer for an integer typecode).
 * @example
 * ```ts
 * import { Value } from 'weft';
 * const hits = new Value('i', 5);
 * hits.value += 1; // one thread: fine; several: hold the lock
 * {
 *   using held = hits.getLock().holdSync();
 *   hits.value *= 2;
 * }
 * console.log(hits.value, String(hits)); // 12 <Value i 12>
 * const big = new Value('Q', 2n ** 64n - 1n, { lock: false });
 * console.log(big.value); // 18446744073709551615n
 * ```
 * @see Python's `multiprocessing.Value` and `multiprocessing.RawValue`
 */
export class Value<T extends Typecode = Typecode> {
  // Set by [revive] just around the constructor call, so the constructor
  // attaches to live memory instead of allocating and initialising.
  static #attaching: Attachment | undefined;

  readonly #typecode: T;
  // Names this value in errors; built once, not on every assignment.
  readonly #where: string;
  readonly #type: ElementType;
  readonly #view: ElementArray;
  readonly #lock: Lock | RLock | undefined;
  readonly #memory: Memory;

  /**
   * @param typecode Python typecode (`'i'`, `'d'`, `'Q'`…) or readable name (`'int32'`, `'bool'`…).
   * @param initial Default 0 (`0n` for 64-bit typecodes, `false` for `'bool'`).
   */
  constructor(typecode: T, initial?: InputOf<T>, options: SynchronizedOptions = {}) {
    const attachment = Value.#attaching;
    Value.#attaching = undefined;
    this.#memory = memoryOf(new.target);
    this.#type = elementType(typecode, 'Value()');
    this.#typecode = typecode;
    this.#where = `Value('${typecode}')`;
    if (attachment !== undefined) {
      this.#view = attachment.view;
      this.#lock = attachment.lock;
      return;
    }
    const where = `Value('${typecode}')`;
    // Check before allocating anything, so a bad call leaves nothing behind.
    const stored = initial === undefined ? undefined : this.#type.coerce(initial, where);
    this.#lock = lockOption(options?.lock, where, this.#memory);
    this.#view = new this.#type.array(this.#memory.allocate(8), 0, 1);
    if (stored !== undefined) this.#view[0] = stored as number; // nobody else sees the memory yet
  }

  /** The typecode the value was created with. */
  get typecode(): T {
    return this.#typecode;
  }

  /**
   * The current value: a `number`, `bigint` (64-bit typecodes) or `boolean`
   * (`'bool'`). Setting checks the type and range first.
   *
   * @throws TypeError / RangeError (on set) for a value the typecode cannot hold.
   */
  get value(): ValueOf<T> {
    return this.#type.load(this.#view, 0) as ValueOf<T>;
  }

  set value(value: InputOf<T>) {
    this.#type.store(this.#view, 0, value, this.#where);
  }

  /** The same as reading `value`. */
  get(): ValueOf<T> {
    return this.value;
  }

  /** The same as assigning `value`. */
  set(value: InputOf<T>): void {
    this.value = value;
  }

  /**
   * The lock guarding compound operations on this value.
   *
   * @throws TypeError if the value was created with `{ lock: false }`.
   * @see Python's `Value.get_lock()`
   */
  getLock(): Lock | RLock {
    if (this.#lock === undefined) throw noLock(`Value('${this.#typecode}')`);
    return this.#lock;
  }

  /** Python's repr, e.g. `<Value i 5>`. */
  toString(): string {
    return `<Value ${this.#typecode} ${String(this.value)}>`;
  }

  get [Symbol.toStringTag](): string {
    return `Value ${this.#typecode} ${String(this.value)}`;
  }

  [inspect.custom](): string {
    return `Value(${this.#typecode}) ${inspect(this.value)}`;
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /** @internal The element view and the lock; the lock is itself a shareable. */
  [describe](): Description {
    return { typecode: this.#typecode, view: this.#view, lock: this.#lock };
  }

  /** @internal */
  static [revive]<T extends Typecode>(data: Description): Value<T> {
    Value.#attaching = { view: data.view, lock: data.lock };
    return new this(data.typecode as T);
  }
}

registerShareable('Value', Value, { module: import.meta.url });
