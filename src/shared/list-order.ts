/**
 * SharedList.sort()'s default order: Python's `<` on the values JavaScript
 * shares with it — numbers, bigints and booleans numerically (not as
 * strings, as `Array.prototype.sort` does), strings by code point, arrays
 * element by element and then by length, as Python compares lists and
 * tuples. Anything else, or two values of different kinds, cannot be
 * ordered: Python raises TypeError, and so does this.
 */

import { compareKeys } from '../queue/priority-key.js';
import { showTyped } from './typecodes.js';

/** How `sort()` is told the order: a compare function, or Python's `key` and `reverse`. */
export interface SortOptions<T> {
  /** Sorts by `key(item)` instead of the item, each key computed once. */
  key?: (item: T) => unknown;
  /** Sorts in descending order; equal items keep their order (the sort stays stable). */
  reverse?: boolean;
}

const NUMERIC = 0;
const TEXT = 1;
const SEQUENCE = 2;

function kindOf(value: unknown): number {
  switch (typeof value) {
    case 'number':
    case 'bigint':
    case 'boolean':
      return NUMERIC;
    case 'string':
      return TEXT;
    default:
      return Array.isArray(value) ? SEQUENCE : -1;
  }
}

/** The default order of `where` (named in its TypeError). */
export function pythonOrder(where: string): (a: unknown, b: unknown) => number {
  const order = (a: unknown, b: unknown): number => {
    const kind = kindOf(a);
    if (kind < 0 || kind !== kindOf(b)) {
      throw new TypeError(
        `${where}: cannot order ${showTyped(a)} and ${showTyped(b)} (Python's '<' would not either); ` +
          'pass a compare function or { key }',
      );
    }
    if (kind === NUMERIC) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    if (kind === TEXT) return compareKeys(a as string, b as string);
    const x = a as unknown[];
    const y = b as unknown[];
    for (let i = 0; i < x.length && i < y.length; i++) {
      const c = order(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  };
  return order;
}

/** The permutation that sorts `items` stably: `order[i]` is the index of the item that goes to position i. */
export function sortOrder<T>(items: readonly T[], how: ((a: T, b: T) => number) | SortOptions<T> | undefined, where: string): number[] {
  let compare: (a: unknown, b: unknown) => number;
  let keys: readonly unknown[] = items;
  let reverse = false;
  if (typeof how === 'function') {
    compare = how as (a: unknown, b: unknown) => number;
  } else if (how === undefined || (typeof how === 'object' && how !== null)) {
    compare = pythonOrder(where);
    if (how?.key !== undefined) {
      if (typeof how.key !== 'function') throw new TypeError(`${where}: key must be a function, got ${showTyped(how.key)}`);
      keys = items.map(how.key);
    }
    reverse = how?.reverse === true;
  } else {
    throw new TypeError(`${where}: expected a compare function or { key, reverse }, got ${showTyped(how)}`);
  }
  const order = Array.from(items, (_, i) => i);
  // Array.prototype.sort is stable; reversing the comparison keeps equal items in order, as Python's reverse=True does.
  return reverse ? order.sort((i, j) => compare(keys[j], keys[i])) : order.sort((i, j) => compare(keys[i], keys[j]));
}
