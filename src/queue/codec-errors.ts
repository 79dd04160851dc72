/**
 * The item codec's failures: what cannot be encoded (with where it sits) and
 * what cannot be decoded.
 */

import { types } from 'node:util';
import { DataCloneError } from '../errors.js';
import { formatPath, type Step } from '../share/marshal.js';

/** A decoding failure: the bytes are not an item. */
export function corrupt(what: string, at: number): RangeError {
  return new RangeError(`corrupt item: ${what} at byte ${at}`);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'}); functions cannot be cloned`;
  if (typeof value === 'symbol') return `a symbol (${String(value)}); symbols cannot be cloned`;
  const o = value as object;
  if (types.isProxy(o)) return 'a Proxy, which structured clone refuses';
  if (o instanceof Blob) return 'a Blob, whose bytes cannot be read synchronously; send await blob.arrayBuffer() instead';
  if (types.isArrayBuffer(o)) return 'a detached ArrayBuffer';
  return `${Object.prototype.toString.call(o)}, which structured clone refuses`;
}

/**
 * The error for `value`, found inside `root` and refused. The encoder keeps
 * no path (it would cost on every item); the path is searched for here, once.
 */
export function uncloneable(root: unknown, value: unknown): DataCloneError {
  const path = pathTo(root, value, [], new Set()) ?? [];
  const where = formatPath('item', path);
  return new DataCloneError(where, `${where} is ${describe(value)}`);
}

/** The first path from `from` to `target`, walking what the encoder walks. */
function pathTo(from: unknown, target: unknown, path: Step[], seen: Set<object>): Step[] | undefined {
  if (from === target) return path;
  if (from === null || typeof from !== 'object' || seen.has(from) || types.isProxy(from)) return undefined;
  seen.add(from);
  const visit = (step: Step, item: unknown): Step[] | undefined => {
    path.push(step);
    const found = pathTo(item, target, path, seen);
    if (found === undefined) path.pop();
    return found;
  };
  if (from instanceof Map || from instanceof Set) {
    let entry = 0;
    for (const [key, item] of from.entries()) {
      const found = visit({ entry, key: true }, key) ?? (from instanceof Map ? visit({ entry, key: false }, item) : undefined);
      if (found !== undefined) return found;
      entry++;
    }
    return undefined;
  }
  if (types.isNativeError(from)) return visit('cause', (from as { cause?: unknown }).cause);
  if (ArrayBuffer.isView(from)) return visit('buffer', from.buffer);
  for (const key of Object.keys(from)) {
    const found = visit(/^\d+$/.test(key) && Array.isArray(from) ? Number(key) : key, (from as Record<string, unknown>)[key]);
    if (found !== undefined) return found;
  }
  return undefined;
}
