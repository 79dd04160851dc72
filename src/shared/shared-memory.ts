import { inspect } from 'node:util';
import { InvalidStateError, WeftError } from '../errors.js';
import { memoryOf, type Memory } from '../memory/memory.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { lookup, register, unregister } from './registry.js';
import { showTyped } from './typecodes.js';

/**
 * @internal How a scope names SharedMemory blocks: where `create`, attach by
 * name and `unlink` go. The threads scope's is the in-process registry
 * (registry.ts); the processes scope's names POSIX segments
 * (memory/named-blocks.ts). A scope's SharedMemory class carries its own as
 * the static {@link BLOCK_NAMES}.
 */
export interface BlockNames {
  /** Checks a name for this scope; throws a TypeError naming what is wrong. */
  check(name: string): void;
  /** A new block of `size` bytes under `name`, or `undefined` if the name is taken. */
  create(memory: Memory, name: string, size: number): SharedArrayBuffer | undefined;
  /** The block named `name`; `size` is the caller's option as given (the threads scope ignores it, as Python does). */
  attach(name: string, size: unknown): SharedArrayBuffer;
  /** Removes the name; `false` if no block had it. */
  unlink(name: string): boolean;
  /** This handle is done with `name` (a hint: the bytes may be freed once nothing uses them). */
  closed(name: string): void;
}

/** @internal The static property naming a SharedMemory class's {@link BlockNames}. */
export const BLOCK_NAMES: unique symbol = Symbol.for('weft.blockNames');

/** The threads scope's names: the process-wide registry. */
const registryNames: BlockNames = {
  check() {},
  create(memory, name, size) {
    const buffer = memory.allocate(size);
    return register(name, buffer) ? buffer : undefined;
  },
  attach(name) {
    const buffer = lookup(name);
    if (buffer === undefined) throw new SharedMemoryNotFoundError(name);
    return buffer;
  },
  unlink: unregister,
  closed() {},
};

/**
 * `new SharedMemory({ name, create: true })` found the name taken.
 *
 * @example
 * ```ts
 * import { SharedMemory } from 'weft';
 * const first = new SharedMemory({ create: true, size: 8 });
 * try {
 *   new SharedMemory({ name: first.name, create: true, size: 8 });
 * } catch (error) {
 *   console.log((error as Error).name); // SharedMemoryExistsError
 * }
 * first.unlink();
 * ```
 * @see Python's `FileExistsError` from `SharedMemory(create=True)`
 */
export class SharedMemoryExistsError extends WeftError {
  /** The name that was taken. */
  readonly blockName: string;

  constructor(blockName: string, options?: ErrorOptions) {
    super(`a shared memory block named '${blockName}' already exists`, 'ERR_WEFT_SHARED_MEMORY_EXISTS', options);
    this.blockName = blockName;
  }
}

/**
 * No shared memory block has the name given to attach to (or to unlink).
 *
 * @example
 * ```ts
 * import { SharedMemory } from 'weft';
 * try {
 *   new SharedMemory({ name: 'no-such-block' });
 * } catch (error) {
 *   console.log((error as Error).name); // SharedMemoryNotFoundError
 * }
 * ```
 * @see Python's `FileNotFoundError` from `SharedMemory(name)`
 */
export class SharedMemoryNotFoundError extends WeftError {
  /** The name that was not found. */
  readonly blockName: string;

  constructor(blockName: string, options?: ErrorOptions) {
    super(`no shared memory block named '${blockName}'`, 'ERR_WEFT_SHARED_MEMORY_NOT_FOUND', options);
    this.blockName = blockName;
  }
}

/** Options of {@link SharedMemory}. */
export interface SharedMemoryOptions {
  /** The block's name. Required to attach; generated (`wnsm_` + hex) when creating without one. */
  name?: string;
  /** `true` creates a new block; `false` (the default) attaches to an existing one by name. */
  create?: boolean;
  /**
   * Bytes of a new block: a positive integer. When attaching: ignored in the
   * threads scope, as in Python; in the processes scope, if given, the block
   * must have exactly this size (`SegmentMismatchError` otherwise).
   */
  size?: number;
}

interface Description {
  readonly name: string;
  readonly buffer: SharedArrayBuffer;
}

/**
 * A named block of shared bytes that any thread of the process can attach
 * to by name (Python's `multiprocessing.shared_memory.SharedMemory`).
 *
 * Creating registers the name process-wide; attaching is synchronous and
 * works from any thread that has seen the creation. `close()` ends this
 * handle's use of the block (other handles keep working); `unlink()` removes
 * the name, so later attaches fail, while existing handles keep working.
 * The bytes are freed when no handle and no view on them remains. A handle
 * passed to another thread arrives attached to the same bytes.
 *
 * From the processes context, `processes.SharedMemory` is the same class
 * over a named POSIX segment (`/dev/shm/weft.<uid>.<namespace>.shm.<name>`,
 * mode 0600): any process of the same user and `WEFT_NAMESPACE` attaches by
 * the name alone, synchronously. Names there are 1 to 128 letters, digits,
 * `_`, `-` or `.`. The creating process (or worker thread) holds the name
 * until it calls `unlink()` or exits; at its normal exit the name goes unless
 * another live process still maps the block, and then when the last of those
 * lets go. A `size` given when attaching must match the block's.
 *
 * @throws TypeError for options of the wrong type, or attaching without a name
 *   (in the processes scope also for a name a segment cannot have).
 * @throws RangeError for a `size` that is not a positive integer when creating.
 * @throws SharedMemoryExistsError when creating a name that is taken.
 * @throws SharedMemoryNotFoundError when attaching to a name nobody created.
 * @throws SegmentMismatchError (processes scope) when the block's size is not
 *   the `size` given to attach, or the name holds a segment of another layout.
 * @throws SegmentCorruptError (processes scope) when the name holds a file
 *   whose header is not weft's, is of another version, or was never completed.
 * @example
 * ```ts
 * import { SharedMemory } from 'weft';
 * const block = new SharedMemory({ create: true, size: 4 });
 * block.buf.set([1, 2, 3, 4]);
 * {
 *   using other = new SharedMemory({ name: block.name }); // closed at the end of the block
 *   console.log(other.size, other.buf[3]); // 4 4
 * }
 * block.close();
 * block.unlink();
 * console.log(String(block).startsWith("SharedMemory('wnsm_")); // true
 * ```
 * @see Python's `multiprocessing.shared_memory.SharedMemory`
 */
export class SharedMemory implements Disposable {
  // Set by [revive] just around the constructor call: attach to these bytes.
  static #attaching: Description | undefined;

  readonly #name: string;
  readonly #buffer: SharedArrayBuffer;
  readonly #memory: Memory;
  readonly #names: BlockNames;
  #buf: Uint8Array | undefined; // undefined once closed

  constructor(options: SharedMemoryOptions = {}) {
    const attachment = SharedMemory.#attaching;
    SharedMemory.#attaching = undefined;
    this.#memory = memoryOf(new.target);
    this.#names = (new.target as { [BLOCK_NAMES]?: BlockNames })[BLOCK_NAMES] ?? registryNames;
    if (attachment !== undefined) {
      this.#name = attachment.name;
      this.#buffer = attachment.buffer;
    } else {
      const { name, create = false, size } = options ?? {};
      if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
        throw new TypeError(`SharedMemory(): name must be a non-empty string, got ${showTyped(name)}`);
      }
      if (typeof create !== 'boolean') throw new TypeError(`SharedMemory(): create must be a boolean, got ${showTyped(create)}`);
      if (name !== undefined) this.#names.check(name);
      [this.#name, this.#buffer] = create ? this.#create(name, size) : this.#attach(name, size);
    }
    this.#buf = new Uint8Array(this.#buffer);
  }

  #create(name: string | undefined, size: unknown): [string, SharedArrayBuffer] {
    if (typeof size !== 'number') throw new TypeError(`SharedMemory(): creating needs a size in bytes, got ${showTyped(size)}`);
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new RangeError(`SharedMemory(): size must be a positive integer number of bytes, got ${size}`);
    }
    if (name !== undefined) {
      const buffer = this.#names.create(this.#memory, name, size);
      if (buffer === undefined) throw new SharedMemoryExistsError(name);
      return [name, buffer];
    }
    for (;;) {
      // Python's names are 'psm_' + 8 hex digits; a taken one is simply drawn again.
      // Random, not secret: a clash only means another try.
      const generated = `wnsm_${Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')}`;
      const buffer = this.#names.create(this.#memory, generated, size);
      if (buffer !== undefined) return [generated, buffer];
    }
  }

  #attach(name: string | undefined, size: unknown): [string, SharedArrayBuffer] {
    if (name === undefined) throw new TypeError('SharedMemory(): attaching needs a name (or pass create: true to create a block)');
    return [name, this.#names.attach(name, size)];
  }

  /** The block's name: pass it to another thread to attach there. */
  get name(): string {
    return this.#name;
  }

  /** The block's length in bytes. */
  get size(): number {
    return this.#buffer.byteLength;
  }

  /**
   * The block's bytes, a `Uint8Array` over a `SharedArrayBuffer`.
   *
   * @throws InvalidStateError once this handle is closed. (A view taken
   *   before `close()` stays usable: JavaScript cannot revoke it.)
   */
  get buf(): Uint8Array {
    if (this.#buf === undefined) throw new InvalidStateError(`${this}: the handle is closed`);
    return this.#buf;
  }

  /** Ends this handle's use of the block; `buf` throws afterwards. Closing again does nothing. */
  close(): void {
    if (this.#buf === undefined) return;
    this.#buf = undefined;
    this.#names.closed(this.#name);
  }

  /**
   * Removes the block's name process-wide: attaching by it fails from now on,
   * while every existing handle (this one included) keeps working. A new
   * block may then take the name. As in Python, it removes whatever block
   * holds the name now.
   *
   * @throws SharedMemoryNotFoundError if no block has this name any more.
   */
  unlink(): void {
    if (!this.#names.unlink(this.#name)) throw new SharedMemoryNotFoundError(this.#name);
  }

  /** Closes the handle. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Python's repr: `SharedMemory('wnsm_1a2b3c4d', size=16)`. */
  toString(): string {
    return `SharedMemory('${this.#name}', size=${this.size})`;
  }

  get [Symbol.toStringTag](): string {
    return 'SharedMemory';
  }

  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal */
  get [SCOPE]() {
    return this.#memory.scope;
  }

  /**
   * @internal The bytes themselves, not just the name, so the receiver is
   * attached even if the name is unlinked while the handle is in flight.
   */
  [describe](): Description {
    if (this.#buf === undefined) throw new InvalidStateError(`${this}: cannot send a closed handle`);
    return { name: this.#name, buffer: this.#buffer };
  }

  /** @internal */
  static [revive](data: Description): SharedMemory {
    SharedMemory.#attaching = data;
    return new this();
  }
}

registerShareable('SharedMemory', SharedMemory, { module: import.meta.url });
