/**
 * How a processes-scope shareable's description crosses to another process.
 * Its shared buffers (a Lock's word, a Value's view, their SharedArrayBuffers)
 * cannot be sent: another process has no way to receive a
 * SharedArrayBuffer. Each is replaced by the {@link SegmentSlice} naming its
 * bytes, and the receiver maps the same bytes again ({@link attachShared})
 * and rebuilds the view before the description is revived.
 */

import { attachShared, describeShared, type SegmentSlice } from './segments.js';

/** A place in a description: keys and indices from its root. */
export type SlotPath = readonly (string | number)[];

/** One shared buffer or view taken out of a description, and where it was. */
export interface SharedSlot {
  readonly path: SlotPath;
  readonly slice: SegmentSlice;
  /** The view's type (`'Int32Array'`, `'DataView'`…), or absent for a bare SharedArrayBuffer. */
  readonly view?: string;
  /** Elements of the view (bytes for a DataView). */
  readonly length?: number;
}

const VIEWS: Readonly<Record<string, new (buffer: SharedArrayBuffer, offset: number, length: number) => ArrayBufferView>> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
};

/**
 * A copy of `value` (plain objects and arrays) with every SharedArrayBuffer,
 * and every view on one, replaced by null and recorded in `slots`.
 *
 * @throws TypeError (from describeShared) for shared memory that is not
 *   processes memory; `fail` turns it into the caller's error.
 */
export function takeSharedSlots(value: unknown, slots: SharedSlot[], fail: (path: SlotPath, error: unknown) => never): unknown {
  const path: (string | number)[] = [];
  const seen = new Map<object, unknown>();
  const walk = (item: unknown): unknown => {
    if (item === null || typeof item !== 'object') return item;
    const shared = item instanceof SharedArrayBuffer || (ArrayBuffer.isView(item) && item.buffer instanceof SharedArrayBuffer);
    if (shared) {
      let slice: SegmentSlice;
      try {
        slice = describeShared(item as SharedArrayBuffer | ArrayBufferView);
      } catch (error) {
        fail([...path], error);
      }
      if (item instanceof SharedArrayBuffer) slots.push({ path: [...path], slice });
      else {
        const view = item.constructor.name;
        if (!(view in VIEWS)) fail([...path], new TypeError(`a ${view} over shared memory cannot be rebuilt in another process`));
        const length = item instanceof DataView ? item.byteLength : (item as unknown as { length: number }).length;
        slots.push({ path: [...path], slice, view, length });
      }
      return null;
    }
    const done = seen.get(item);
    if (done !== undefined) return done;
    const proto = Object.getPrototypeOf(item);
    if (Array.isArray(item)) {
      const copy: unknown[] = new Array(item.length);
      seen.set(item, copy);
      for (let i = 0; i < item.length; i++) {
        path.push(i);
        copy[i] = walk(item[i]);
        path.pop();
      }
      return copy;
    }
    if (proto !== Object.prototype && proto !== null) return item;
    const copy: Record<string, unknown> = proto === null ? Object.create(null) : {};
    seen.set(item, copy);
    for (const key of Object.keys(item)) {
      path.push(key);
      copy[key] = walk((item as Record<string, unknown>)[key]);
      path.pop();
    }
    return copy;
  };
  return walk(value);
}

/** `value` with each slot's bytes mapped in this process and put back in place (the root itself for an empty path). */
export function putSharedSlots(value: unknown, slots: readonly SharedSlot[]): unknown {
  let root = value;
  for (const slot of slots) {
    const buffer = attachShared(slot.slice);
    const item = slot.view === undefined ? buffer : new VIEWS[slot.view]!(buffer, 0, slot.length!);
    if (slot.path.length === 0) {
      root = item;
      continue;
    }
    let container = root as Record<string | number, unknown>;
    for (let i = 0; i < slot.path.length - 1; i++) container = container[slot.path[i]!] as Record<string | number, unknown>;
    container[slot.path[slot.path.length - 1]!] = item;
  }
  return root;
}
