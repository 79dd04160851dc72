/**
 * The classes of each scope other than `threads`, by the threads-scope class
 * they subclass. A primitive that makes a companion (a Condition's default
 * RLock, a Barrier's Condition, a Value's lock) must make it in its own
 * scope; it asks here, with its memory, instead of naming the threads-scope
 * class. A scope's context module (scope/processes.ts) fills the table when
 * it is imported, which it always is before any of its objects exist.
 */

import type { Memory, ScopeName } from './memory.js';
import { singleton } from './singleton.js';

const table = singleton('scopedClasses', () => new Map<ScopeName, Map<Function, Function>>());

/** Records `cls` as `scope`'s version of the threads-scope class `base`. */
export function defineScopedClass(scope: ScopeName, base: Function, cls: Function): void {
  let classes = table.get(scope);
  if (classes === undefined) table.set(scope, (classes = new Map()));
  classes.set(base, cls);
}

/**
 * The class of `memory`'s scope that corresponds to the threads-scope class
 * `base`: `base` itself in the threads scope.
 *
 * @throws TypeError if that scope has no such class (its context was never imported).
 */
export function scopedClass<C extends Function>(memory: Memory, base: C): C {
  if (memory.scope === 'threads') return base;
  const cls = table.get(memory.scope)?.get(base);
  if (cls === undefined) {
    throw new TypeError(`the ${memory.scope} scope has no ${base.name}: import weft's ${memory.scope} context before using it`);
  }
  return cls as C;
}
