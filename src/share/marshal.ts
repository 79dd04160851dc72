/**
 * Marshalling: turning a value into something `postMessage` can carry, with
 * every shareable inside it replaced by its description, and back.
 *
 * The encoded form is an envelope `{ value, patches }`. `value` is the sent
 * value with each shareable replaced by `null` (containers on the way to a
 * shareable are copied; everything else is sent as is), and `patches` lists,
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

/** One step of a path: an object key, an array index, or the n-th entry of a Map. */
export type Step = string | number | { entry: number; key: boolean };

/** A shareable's slot in an encoded value. */
export interface Patch {
  readonly path: readonly Step[];
  readonly kind: string;
  readonly module: string | undefined;
  readonly data: Envelope;
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
  // Guards against cycles: structured clone supports them, and so do we.
  readonly #seen = new Set<object>();

  constructor(options: EncodeOptions) {
    this.#root = options.root;
    this.#destination = options.destination ?? 'thread';
  }

  encode(value: unknown): Envelope {
    const out = this.#walk(value);
    return this.#patches.length === 0 ? { value: out } : { value: out, patches: this.#patches };
  }

  #fail(message: string): never {
    const where = formatPath(this.#root, this.#path);
    throw new DataCloneError(where, `${where} ${message}`);
  }

  /** Returns `value`, or a copy of it with shareables replaced by null. */
  #walk(value: unknown): unknown {
    switch (typeof value) {
      case 'function':
        return this.#fail(
          `is a function (${(value as Function).name || 'anonymous'}); functions cannot be sent to another ` +
            'thread. Pass data instead, or name the code with a module task.',
        );
      case 'symbol':
        return this.#fail(`is a symbol (${String(value)}); symbols cannot be sent to another thread`);
      case 'object':
        break;
      default:
        return value;
    }
    if (value === null) return value;
    const object = value as object;
    const kind = kindOf(object);
    if (kind !== undefined) return this.#share(object as Shareable, kind);
    if (this.#seen.has(object)) return object;
    this.#seen.add(object);
    try {
      if (Array.isArray(object)) return this.#walkArray(object);
      const proto = Object.getPrototypeOf(object);
      if (proto === Object.prototype || proto === null) return this.#walkObject(object as Record<string, unknown>);
      if (object instanceof Map) return this.#walkMap(object);
      if (object instanceof Set) return this.#walkSet(object);
      if (isCloneableBuiltin(object)) return object;
      const name = (object as { constructor?: { name?: string } }).constructor?.name ?? 'an unknown class';
      return this.#fail(
        `is an instance of ${name}, which cannot be sent to another thread as is: ` +
          'send a plain object, or make the class shareable with registerShareable()',
      );
    } finally {
      this.#seen.delete(object);
    }
  }

  #share(object: Shareable, kind: string): null {
    const scope = scopeOf(object);
    if (scope === 'threads' && this.#destination === 'process') {
      this.#fail(
        `is a threads-scope ${kind}, which lives in this process's memory and cannot reach another process; ` +
          `create it from the processes context instead (processes.${kind})`,
      );
    }
    const registration = registrationOf(kind);
    const data = new Encoder({ root: `${formatPath(this.#root, this.#path)}[describe]()`, destination: this.#destination })
      .encode(object[describe]());
    this.#patches.push({ path: [...this.#path], kind, module: registration?.module, data });
    return null;
  }

  #walkArray(array: unknown[]): unknown[] {
    let copy: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      if (item === null || (typeof item !== 'object' && typeof item !== 'function' && typeof item !== 'symbol')) {
        continue; // primitives: the hot path, no bookkeeping
      }
      this.#path.push(i);
      const out = this.#walk(item);
      this.#path.pop();
      if (out !== item) (copy ??= array.slice())[i] = out;
    }
    return copy ?? array;
  }

  #walkObject(object: Record<string, unknown>): Record<string, unknown> {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (item === null || (typeof item !== 'object' && typeof item !== 'function' && typeof item !== 'symbol')) {
        continue;
      }
      this.#path.push(key);
      const out = this.#walk(item);
      this.#path.pop();
      if (out !== item) (copy ??= { ...object })[key] = out;
    }
    return copy ?? object;
  }

  #walkMap(map: Map<unknown, unknown>): Map<unknown, unknown> {
    let changed = false;
    const entries: [unknown, unknown][] = [];
    let entry = 0;
    for (const [key, item] of map) {
      this.#path.push({ entry, key: true });
      const k = this.#walk(key);
      this.#path.pop();
      this.#path.push({ entry, key: false });
      const v = this.#walk(item);
      this.#path.pop();
      if (k !== key || v !== item) changed = true;
      entries.push([k, v]);
      entry++;
    }
    return changed ? new Map(entries) : map;
  }

  #walkSet(set: Set<unknown>): Set<unknown> {
    let entry = 0;
    for (const item of set) {
      this.#path.push({ entry, key: true });
      if (this.#walk(item) !== item) {
        this.#fail('is a shareable inside a Set; put shareables in an array or a Map instead');
      }
      this.#path.pop();
      entry++;
    }
    return set;
  }
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
    const live = registration.revive(decode(patch.data));
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
