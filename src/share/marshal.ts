/**
 * Marshalling: turning a value into something `postMessage` can carry, with
 * every shareable inside it replaced by its description, and back.
 *
 * The encoded form is an envelope `{ value, patches }`. `value` is the sent
 * value itself when it holds no shareable, otherwise a copy of it with each
 * shareable replaced by a placeholder; `patches` lists,
 * for each shareable, the path to its slot, its kind and its described data
 * (itself an envelope, so shareables may describe themselves with other
 * shareables). A value with no shareables has no patches, so decoding it costs
 * nothing beyond the structured clone.
 *
 * Encoding also checks what structured clone would silently get wrong or
 * throw on late: functions, symbols, and class instances that did not join the
 * protocol fail before anything is sent, with the path where they sit.
 */

import { DataCloneError } from '../errors.js';
import { describe, kindOf, registrationOf, scopeOf, type Shareable } from './protocol.js';
import type { SharedSlot, SlotPath } from '../memory/shared-slots.js';
import { singleton } from '../memory/singleton.js';

/** One step of a path: an object key, an array index, or the n-th entry of a Map. */
export type Step = string | number | { entry: number; key: boolean };

/** A shareable's slot in an encoded value. */
export interface Patch {
  readonly path: readonly Step[];
  readonly kind: string;
  readonly module: string | undefined;
  readonly data: Envelope;
  /**
   * Sent to another process only: the shared buffers of a processes-scope
   * shareable's description, as segment slices (their slots in `data.value`
   * hold null); the receiver maps them before reviving.
   */
  readonly slots?: readonly SharedSlot[];
}

/** A marshalled value, ready for structured clone. */
export interface Envelope {
  readonly value: unknown;
  readonly patches?: readonly Patch[];
}

/** Where the encoded value is going; decides which scopes may cross. */
export type Destination = 'thread' | 'process';

export interface EncodeOptions {
  /** The name of the value in error messages: `args`, `result`, `item`. */
  readonly root: string;
  /** Default `'thread'`. */
  readonly destination?: Destination;
}

/**
 * How the shared buffers of a processes-scope shareable's description cross
 * to another process (memory/shared-slots.ts). The processes scope installs
 * it when its classes load, so marshalling for threads never loads the
 * segment code; kept per thread on globalThis, so every bundled copy of this
 * module in a thread sees it.
 */
export interface SlotCrossing {
  take(value: unknown, slots: SharedSlot[], fail: (path: SlotPath, error: unknown) => never): unknown;
  put(value: unknown, slots: readonly SharedSlot[]): unknown;
}

const crossing = singleton('slotCrossing', () => ({ current: undefined as SlotCrossing | undefined }));

/** Installs the processes scope's {@link SlotCrossing}. */
export function setSlotCrossing(slots: SlotCrossing): void {
  crossing.current = slots;
}

function slotCrossing(where: string): SlotCrossing {
  if (crossing.current === undefined) {
    throw new DataCloneError(where, `${where}: a processes-scope shareable, but the processes scope is not loaded in this thread`);
  }
  return crossing.current;
}

const CLONEABLE: readonly (abstract new (...args: never[]) => unknown)[] = [
  Date, RegExp, ArrayBuffer, SharedArrayBuffer, DataView, Error, Boolean, Number, String, Blob,
];

function isCloneableBuiltin(value: object): boolean {
  if (ArrayBuffer.isView(value)) return true;
  for (const type of CLONEABLE) if (value instanceof type) return true;
  return false;
}

/** Formats a path the way a user would write it: `args[1].handler`. */
export function formatPath(root: string, path: readonly Step[]): string {
  let out = root;
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (typeof step === 'string') out += /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
    else out += step.key ? `.keys()[${step.entry}]` : `.values()[${step.entry}]`;
  }
  return out;
}

class Encoder {
  readonly #root: string;
  readonly #destination: Destination;
  readonly #path: Step[] = [];
  readonly #patches: Patch[] = [];
  // Each object is scanned once: this handles cycles and shared substructures.
  readonly #seen = new Set<object>();

  constructor(options: EncodeOptions) {
    this.#root = options.root;
    this.#destination = options.destination ?? 'thread';
  }

  /**
   * Two passes: the scan checks everything and records a patch per
   * shareable; only if it found any does a second pass copy the value with
   * shareables replaced by null (a memoised copy, so cycles and shared
   * substructures keep their shape and the patch paths stay valid).
   */
  encode(value: unknown): Envelope {
    this.#scan(value);
    if (this.#patches.length === 0) return { value };
    return { value: copyWithout(value, new Map()), patches: this.#patches };
  }

  #fail(message: string): never {
    const where = formatPath(this.#root, this.#path);
    throw new DataCloneError(where, `${where} ${message}`);
  }

  #scan(value: unknown): void {
    switch (typeof value) {
      case 'function':
        this.#fail(
          `is a function (${(value as Function).name || 'anonymous'}); functions cannot be sent to another ` +
            `${this.#destination}. Pass data instead, or name the code with a module task.`,
        );
      case 'symbol':
        this.#fail(`is a symbol (${String(value)}); symbols cannot be sent to another ${this.#destination}`);
      case 'object':
        break;
      default:
        return;
    }
    if (value === null) return;
    const object = value as object;
    const kind = kindOf(object);
    if (kind !== undefined) return this.#share(object as Shareable, kind);
    if (this.#seen.has(object)) return;
    this.#seen.add(object);
    if (Array.isArray(object)) return this.#scanArray(object);
    const proto = Object.getPrototypeOf(object);
    if (proto === Object.prototype || proto === null) return this.#scanObject(object as Record<string, unknown>);
    if (object instanceof Map) return this.#scanMap(object);
    if (object instanceof Set) return this.#scanSet(object);
    if (isCloneableBuiltin(object)) return;
    const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
    this.#fail(
      `is an instance of ${name}, which cannot be sent to another ${this.#destination} as is: ` +
        'send a plain object, or make the class shareable with registerShareable()',
    );
  }

  #share(object: Shareable, kind: string): void {
    const scope = this.#destination === 'process' ? scopeOf(object) : undefined;
    if (scope === 'threads') {
      this.#fail(
        `is a threads-scope ${kind}, which lives in this process's memory and cannot reach another process; ` +
          `create it from the processes context instead (${kind === 'Connection' ? 'an end of processes.Pipe()' : `processes.${kind}`})`,
      );
    }
    const registration = registrationOf(kind);
    const root = `${formatPath(this.#root, this.#path)}[describe]()`;
    const data = new Encoder({ root, destination: this.#destination }).encode(object[describe]());
    if (scope !== 'processes') {
      this.#patches.push({ path: [...this.#path], kind, module: registration?.module, data });
      return;
    }
    // To another process, shared buffers travel as the segment slices that name them.
    const slots: SharedSlot[] = [];
    const value = slotCrossing(root).take(data.value, slots, (path, error) => {
      const where = formatPath(root, path);
      throw new DataCloneError(where, `${where} cannot reach another process: ${(error as Error).message}`);
    });
    const sliced = data.patches === undefined ? { value } : { value, patches: data.patches };
    this.#patches.push({ path: [...this.#path], kind, module: registration?.module, data: sliced, slots });
  }

  #scanArray(array: unknown[]): void {
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      // Primitives are the hot path: no bookkeeping.
      if (item === null || (typeof item !== 'object' && typeof item !== 'function' && typeof item !== 'symbol')) continue;
      this.#path.push(i);
      this.#scan(item);
      this.#path.pop();
    }
  }

  #scanObject(object: Record<string, unknown>): void {
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (item === null || (typeof item !== 'object' && typeof item !== 'function' && typeof item !== 'symbol')) continue;
      this.#path.push(key);
      this.#scan(item);
      this.#path.pop();
    }
  }

  #scanMap(map: Map<unknown, unknown>): void {
    let entry = 0;
    for (const [key, item] of map) {
      this.#path.push({ entry, key: true });
      this.#scan(key);
      this.#path.pop();
      this.#path.push({ entry, key: false });
      this.#scan(item);
      this.#path.pop();
      entry++;
    }
  }

  #scanSet(set: Set<unknown>): void {
    let entry = 0;
    for (const item of set) {
      this.#path.push({ entry, key: true });
      if (item !== null && typeof item === 'object' && kindOf(item) !== undefined) {
        this.#fail('is a shareable inside a Set; put shareables in an array or a Map instead');
      }
      this.#scan(item);
      this.#path.pop();
      entry++;
    }
  }
}

/** A structural copy of a scanned value with every shareable replaced by null. */
function copyWithout(value: unknown, memo: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (kindOf(value) !== undefined) return null;
  const done = memo.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    memo.set(value, copy);
    for (let i = 0; i < value.length; i++) copy[i] = copyWithout(value[i], memo);
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    memo.set(value, copy);
    // A shareable key becomes a fresh placeholder object, so two such keys stay two entries.
    for (const [k, v] of value) copy.set(k !== null && typeof k === 'object' && kindOf(k) !== undefined ? {} : copyWithout(k, memo), copyWithout(v, memo));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    memo.set(value, copy);
    for (const item of value) copy.add(copyWithout(item, memo));
    return copy;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a cloneable built-in: sent as is
  const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
  memo.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = copyWithout((value as Record<string, unknown>)[key], memo);
  return copy;
}

/**
 * Encodes `value` for sending. Throws {@link DataCloneError} naming the path of
 * anything that cannot cross.
 */
export function encode(value: unknown, options: EncodeOptions): Envelope {
  return new Encoder(options).encode(value);
}

/** Imports the modules that define kinds this thread has not registered yet. */
export async function prepare(envelope: Envelope): Promise<void> {
  if (envelope.patches === undefined) return;
  for (const patch of envelope.patches) {
    if (registrationOf(patch.kind) === undefined && patch.module !== undefined) await import(patch.module);
    await prepare(patch.data);
  }
}

function setAt(container: unknown, step: Step, item: unknown): unknown {
  if (typeof step !== 'object') {
    (container as Record<string | number, unknown>)[step] = item;
    return container;
  }
  // Rebuild the Map so the revived key or value keeps its entry's position.
  const map = container as Map<unknown, unknown>;
  const entries = [...map];
  const target = entries[step.entry]!;
  if (step.key) target[0] = item;
  else target[1] = item;
  map.clear();
  for (const [k, v] of entries) map.set(k, v);
  return map;
}

/**
 * Decodes an envelope received from another thread, reviving each shareable
 * in place. Kinds must be registered already — call {@link prepare} first when
 * the sender may use kinds this thread has not imported.
 */
export function decode(envelope: Envelope): unknown {
  const patches = envelope.patches;
  if (patches === undefined) return envelope.value;
  let root = envelope.value;
  for (const patch of patches) {
    const registration = registrationOf(patch.kind);
    if (registration === undefined) {
      throw new DataCloneError(
        patch.path.length === 0 ? '(root)' : formatPath('', patch.path),
        `received a shareable of kind '${patch.kind}', which this thread has not registered` +
          (patch.module ? ` (its module ${patch.module} was not imported)` : ''),
      );
    }
    const data = patch.slots === undefined
      ? patch.data
      : { value: slotCrossing(patch.kind).put(patch.data.value, patch.slots), patches: patch.data.patches };
    const live = registration.revive(decode(data));
    if (patch.path.length === 0) {
      root = live;
      continue;
    }
    let container = root;
    for (let i = 0; i < patch.path.length - 1; i++) {
      const step = patch.path[i]!;
      if (typeof step === 'object') {
        const entry = [...(container as Map<unknown, unknown>)][step.entry]!;
        container = step.key ? entry[0] : entry[1];
      } else {
        container = (container as Record<string | number, unknown>)[step];
      }
    }
    setAt(container, patch.path[patch.path.length - 1]!, live);
  }
  return root;
}

/** {@link prepare} then {@link decode}. */
export async function decodeAsync(envelope: Envelope): Promise<unknown> {
  await prepare(envelope);
  return decode(envelope);
}
