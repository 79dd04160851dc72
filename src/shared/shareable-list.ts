/**
 * ShareableList: a fixed-length list of small values in one SharedMemory
 * block, laid out so that any thread attaching to the block reads it.
 *
 * ```
 *  bytes (host byte order)
 *   0            magic 0x57534c31 ('WSL1'): the block holds a list
 *   4            n, the number of items
 *   8 + 12i      slot i  offset    where its bytes start, a multiple of 8
 *  12 + 12i              capacity  how many bytes it holds: a multiple of 8, at least 8
 *  16 + 12i              state     byteLength * 8 + type, in one word so a reader
 *                                  never pairs one write's type with another's length
 *   align8(8 + 12n)      the slots' bytes
 *
 *  type  0 null | 1 number (float64) | 2 bigint (int64) | 3 boolean (1 byte)
 *        4 string (UTF-8) | 5 bytes
 * ```
 *
 * A writer fills the slot's bytes, then stores the state word atomically; a
 * reader loads the state word atomically, then reads the bytes. Writers to
 * different slots touch disjoint bytes; two writers to one slot race and the
 * last one wins, as in Python (which has no lock here either).
 */

import { inspect } from 'node:util';
import { memoryOf } from '../memory/memory.js';
import { scopedClass } from '../memory/scoped-classes.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { checkIndex, indexed } from './array.js';
import { SharedMemory } from './shared-memory.js';
import { show, showTyped } from './typecodes.js';

/** What a {@link ShareableList} item can be. */
export type ShareableItem = number | bigint | boolean | string | Uint8Array | null;

/** Options of {@link ShareableList}. */
export interface ShareableListOptions {
  /** The block's name: to attach (with a `null` sequence), or for the block a new list creates. */
  name?: string;
}

const MAGIC = 0x57534c31;
const HEADER_WORDS = 2;
const SLOT_WORDS = 3;
const NULL = 0, NUMBER = 1, BIGINT = 2, BOOL = 3, STRING = 4, BYTES = 5;
const MAX_ITEM_BYTES = 2 ** 29 - 8; // byteLength * 8 must fit the 32-bit state word

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const align8 = (bytes: number): number => Math.ceil(bytes / 8) * 8;

/** The type code and byte length `item` needs. */
function measure(item: unknown, where: string): [type: number, length: number] {
  switch (typeof item) {
    case 'number':
      return [NUMBER, 8];
    case 'bigint':
      if (item < -(2n ** 63n) || item >= 2n ** 63n) throw new RangeError(`${where}: ${item}n does not fit in int64`);
      return [BIGINT, 8];
    case 'boolean':
      return [BOOL, 1];
    case 'string':
      return [STRING, Buffer.byteLength(item, 'utf8')];
    case 'object':
      if (item === null) return [NULL, 0];
      if (item instanceof Uint8Array) return [BYTES, item.byteLength];
  }
  throw new TypeError(`${where}: must be a number, bigint, boolean, string, Uint8Array or null, got ${showTyped(item)}`);
}

/**
 * A fixed-length list of numbers, bigints, booleans, strings, byte arrays and
 * nulls in a named {@link SharedMemory} block, which other threads attach to
 * by name (Python's `multiprocessing.shared_memory.ShareableList`).
 *
 * The length is fixed, and so is each slot's size: 8 bytes for a number,
 * bigint, boolean or null, and a string's (UTF-8) or byte array's length
 * rounded up to a multiple of 8. An item may be replaced by one of another
 * type if it fits the slot. Numbers are stored as float64 and bigints as
 * int64. Reads return copies; writes to different items never interfere, and
 * concurrent writes to one item are last-writer-wins (no lock, as in Python).
 *
 * @throws TypeError for items of other types, or a `null` sequence without a name.
 * @throws RangeError for a bigint outside int64, or (on assignment) an item
 *   larger than its slot or an index out of range.
 * @throws SharedMemoryExistsError / SharedMemoryNotFoundError as SharedMemory does.
 * @example
 * ```ts
 * import { ShareableList } from 'weft';
 * const list = new ShareableList([1.5, 'hello', true, null, 7n]);
 * const same = ShareableList.attach(list.shm.name); // what another thread would do
 * same[1] = 'howdy';
 * list[3] = 42; // null → number: fits the 8-byte slot
 * console.log(list.toArray()); // [ 1.5, 'howdy', true, 42, 7n ]
 * console.log(list.format, list.index(true)); // d8s?7xdq 2
 * list.shm.close();
 * list.shm.unlink();
 * ```
 * @see Python's `multiprocessing.shared_memory.ShareableList`
 */
export class ShareableList implements Iterable<ShareableItem> {
  /** Item `index`, checked; the same as `get(index)` / `set(index, value)`. */
  [index: number]: ShareableItem;

  // Set by [revive] just around the constructor call: attach to this block.
  static #attaching: SharedMemory | undefined;

  readonly #shm: SharedMemory;
  readonly #length: number;
  readonly #header: Uint32Array;
  readonly #bytes: Uint8Array;
  readonly #floats: Float64Array;
  readonly #bigints: BigInt64Array;

  /**
   * @param sequence The items of a new list; `null` (or omitted) to attach to `options.name`.
   */
  constructor(sequence?: Iterable<ShareableItem> | null, options: ShareableListOptions = {}) {
    const attachment = ShareableList.#attaching;
    ShareableList.#attaching = undefined;
    // The block is of this class's scope: a processes-scope list lives in a named segment.
    const Block = scopedClass(memoryOf(new.target), SharedMemory);
    if (attachment !== undefined) this.#shm = attachment;
    else if (sequence === null || sequence === undefined) {
      if (options?.name === undefined) throw new TypeError('ShareableList(): give a sequence to create a list, or a name to attach to one');
      this.#shm = new Block({ name: options.name });
    } else {
      this.#shm = create(Block, sequence, options?.name);
    }
    const { buffer, byteOffset, byteLength } = this.#shm.buf;
    const head = new Uint32Array(buffer, byteOffset, Math.min(HEADER_WORDS, byteLength >> 2));
    if (head.length < HEADER_WORDS || head[0] !== MAGIC || byteLength < (HEADER_WORDS + SLOT_WORDS * head[1]!) * 4) {
      throw new TypeError(`ShareableList(): shared memory block '${this.#shm.name}' does not hold a ShareableList`);
    }
    this.#length = head[1]!;
    this.#header = new Uint32Array(buffer, byteOffset, HEADER_WORDS + SLOT_WORDS * this.#length);
    this.#bytes = new Uint8Array(buffer, byteOffset, byteLength);
    this.#floats = new Float64Array(buffer, byteOffset, byteLength >> 3);
    this.#bigints = new BigInt64Array(buffer, byteOffset, byteLength >> 3);
    return indexed(this);
  }

  /**
   * Attaches to the list another thread created in the block named `name`.
   *
   * @throws SharedMemoryNotFoundError if no block has that name.
   * @throws TypeError if the block does not hold a ShareableList.
   */
  static attach(name: string): ShareableList {
    return new this(null, { name });
  }

  /** How many items; fixed at creation. */
  get length(): number {
    return this.#length;
  }

  /** The SharedMemory block holding the list: its `name` is what other threads attach by. */
  get shm(): SharedMemory {
    return this.#shm;
  }

  /**
   * A Python `struct`-style description of the slots as they are now:
   * `d` number, `q` bigint, `?` boolean, `Ns` string or bytes of an N-byte
   * slot, `Nx` N bytes of padding (a null is all padding). Informational.
   */
  get format(): string {
    let format = '';
    for (let i = 0; i < this.#length; i++) {
      const [, capacity, type] = this.#slot(i);
      const pad = (used: number): string => (capacity > used ? `${capacity - used}x` : '');
      if (type === STRING || type === BYTES) format += `${capacity}s`;
      else if (type === NUMBER) format += `d${pad(8)}`;
      else if (type === BIGINT) format += `q${pad(8)}`;
      else if (type === BOOL) format += `?${pad(1)}`;
      else format += pad(0);
    }
    return format;
  }

  /** Slot `index`'s offset, capacity, type and byte length. */
  #slot(index: number): [offset: number, capacity: number, type: number, length: number] {
    this.#shm.buf; // throws once the block's handle is closed, as in Python
    const at = HEADER_WORDS + SLOT_WORDS * index;
    const state = Atomics.load(this.#header, at + 2);
    return [this.#header[at]!, this.#header[at + 1]!, state & 7, state >>> 3];
  }

  /**
   * Item `index` (a copy, for byte arrays).
   *
   * @throws RangeError if `index` is not an integer in `0..length-1`.
   * @throws InvalidStateError once `shm` is closed.
   */
  get(index: number): ShareableItem {
    const [offset, , type, length] = this.#slot(checkIndex(index, this.#length, 'ShareableList'));
    switch (type) {
      case NUMBER: return this.#floats[offset >> 3]!;
      case BIGINT: return this.#bigints[offset >> 3]!;
      case BOOL: return this.#bytes[offset] !== 0;
      case STRING: return decoder.decode(this.#bytes.subarray(offset, offset + length));
      case BYTES: return this.#bytes.slice(offset, offset + length); // slice copies into unshared memory
      default: return null;
    }
  }

  /**
   * Replaces item `index` with `value`, which may be of another type if it
   * fits the slot.
   *
   * @throws RangeError for an index out of range, or a value larger than the slot.
   * @throws TypeError for a value of a type a ShareableList cannot hold.
   * @throws InvalidStateError once `shm` is closed.
   */
  set(index: number, value: ShareableItem): void {
    const [offset, capacity] = this.#slot(checkIndex(index, this.#length, 'ShareableList'));
    const [type, length] = measure(value, `ShareableList: item ${index}`);
    if (length > capacity) throw new RangeError(`ShareableList: item ${index} needs ${length} bytes, the slot holds ${capacity}`);
    write(this.#bytes, this.#floats, this.#bigints, offset, type, length, value);
    // The bytes first, then the state that makes them visible.
    Atomics.store(this.#header, HEADER_WORDS + SLOT_WORDS * index + 2, length * 8 + type);
  }

  /** How many items equal `value` (byte arrays compare by content). */
  count(value: ShareableItem): number {
    let count = 0;
    for (const item of this) if (same(item, value)) count++;
    return count;
  }

  /**
   * The position of the first item equal to `value`.
   *
   * @throws RangeError if no item is equal (Python raises `ValueError`).
   */
  index(value: ShareableItem): number {
    for (let i = 0; i < this.#length; i++) if (same(this.get(i), value)) return i;
    throw new RangeError(`ShareableList.index(): ${show(value)} is not in the list`);
  }

  /** Every item, as a plain array. */
  toArray(): ShareableItem[] {
    return [...this];
  }

  *[Symbol.iterator](): Iterator<ShareableItem> {
    for (let i = 0; i < this.#length; i++) yield this.get(i);
  }

  /** Python's repr: `ShareableList([1, 'a'], name='wnsm_1a2b3c4d')`. */
  toString(): string {
    return `ShareableList([${this.toArray().map((item) => inspect(item)).join(', ')}], name='${this.#shm.name}')`;
  }

  get [Symbol.toStringTag](): string {
    return 'ShareableList';
  }

  // Node calls this with the proxy as `this`, so it may use public members only.
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  get [SCOPE]() {
    return this.#shm[SCOPE];
  }

  /** @internal The block travels as a shareable itself. */
  [describe](): { shm: SharedMemory } {
    return { shm: this.#shm };
  }

  /** @internal */
  static [revive](data: { shm: SharedMemory }): ShareableList {
    ShareableList.#attaching = data.shm;
    return new this(null);
  }
}

/** Creates and fills the block of a new list. */
function create(Block: typeof SharedMemory, sequence: Iterable<ShareableItem>, name: string | undefined): SharedMemory {
  if (typeof sequence !== 'object' || !(Symbol.iterator in sequence)) {
    throw new TypeError(`ShareableList(): the sequence must be iterable, got ${showTyped(sequence)}`);
  }
  const items = [...sequence];
  const measured = items.map((item, i) => measure(item, `ShareableList(): item ${i}`));
  const capacities = measured.map(([, length], i) => {
    if (length > MAX_ITEM_BYTES) throw new RangeError(`ShareableList(): item ${i} needs ${length} bytes, more than a slot can hold (${MAX_ITEM_BYTES})`);
    return Math.max(8, align8(length));
  });
  let offset = align8((HEADER_WORDS + SLOT_WORDS * items.length) * 4);
  const size = capacities.reduce((total, capacity) => total + capacity, offset);
  const shm = new Block(name === undefined ? { create: true, size } : { name, create: true, size });
  const { buffer, byteOffset, byteLength } = shm.buf;
  const header = new Uint32Array(buffer, byteOffset, HEADER_WORDS + SLOT_WORDS * items.length);
  const floats = new Float64Array(buffer, byteOffset, byteLength >> 3);
  const bigints = new BigInt64Array(buffer, byteOffset, byteLength >> 3);
  const bytes = new Uint8Array(buffer, byteOffset, byteLength);
  header[0] = MAGIC;
  header[1] = items.length;
  items.forEach((item, i) => {
    const [type, length] = measured[i]!;
    header.set([offset, capacities[i]!, length * 8 + type], HEADER_WORDS + SLOT_WORDS * i);
    write(bytes, floats, bigints, offset, type, length, item);
    offset += capacities[i]!;
  });
  return shm;
}

/** Writes a measured item's bytes (`length` of them) at `offset`. */
function write(
  bytes: Uint8Array, floats: Float64Array, bigints: BigInt64Array, offset: number, type: number, length: number, item: ShareableItem,
): void {
  switch (type) {
    case NUMBER: floats[offset >> 3] = item as number; break;
    case BIGINT: bigints[offset >> 3] = item as bigint; break;
    case BOOL: bytes[offset] = item ? 1 : 0; break;
    case STRING: encoder.encodeInto(item as string, bytes.subarray(offset, offset + length)); break;
    case BYTES: bytes.set(item as Uint8Array, offset); break;
  }
}

function same(a: ShareableItem, b: ShareableItem): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((byte, i) => byte === b[i]);
  return a === b;
}

registerShareable('ShareableList', ShareableList, { module: import.meta.url });
