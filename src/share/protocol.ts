/**
 * The sharing protocol. A *shareable* is an object whose state lives in shared
 * memory (or elsewhere reachable by every party): sending it to another
 * thread sends a *description* of that state, and the other side *revives* a
 * live handle on the same state from it.
 *
 * A class joins by implementing `[describe]()`, having a static `[revive]()`,
 * and being registered under a kind name with {@link registerShareable}. The
 * registration names the module that defines the class, so a thread that has
 * never imported it can import it on arrival (the analogue of Python
 * unpickling by qualified name).
 */

import type { ScopeName } from '../memory/memory.js';
import { singleton } from '../memory/singleton.js';

/** Method a shareable implements: returns the data its reviver needs. */
export const describe: unique symbol = Symbol.for('weft.describe');
/** Static method of a shareable class: builds a live handle from described data. */
export const revive: unique symbol = Symbol.for('weft.revive');
/** Prototype property set by registration: the kind name. */
export const KIND: unique symbol = Symbol.for('weft.kind');
/** Optional property of a shareable: the scope its state lives in (default `'threads'`). */
export const SCOPE: unique symbol = Symbol.for('weft.scope');

/** An instance that can cross to another thread as a live handle. */
export interface Shareable {
  /**
   * The data from which `[revive]` rebuilds a live handle elsewhere. It may
   * hold anything that can cross itself — numbers, shared buffers, other
   * shareables.
   */
  [describe](): unknown;
}

/** A class whose instances are {@link Shareable}. */
export interface ShareableClass<T extends Shareable = Shareable> {
  readonly name: string;
  prototype: T;
  [revive](data: any): T;
}

interface Registration {
  readonly revive: (data: unknown) => unknown;
  readonly module: string | undefined;
  readonly className: string;
}

const registry = singleton('shareables', () => new Map<string, Registration>());

export interface RegisterOptions {
  /**
   * URL of the module that defines and registers the class — normally
   * `import.meta.url`. A thread that receives this kind before importing that
   * module imports it first. Without it, every receiving thread must have
   * imported the class itself.
   */
  module?: string;
}

/**
 * Joins `cls` to the sharing protocol under `kind`: its instances, sent to
 * another thread at any depth inside arguments, results or queue items,
 * arrive as whatever `cls[revive]` builds from `instance[describe]()`.
 *
 * @throws TypeError if `cls` lacks `[describe]` or `[revive]`, or `kind` is
 *   already registered to another class.
 * @example
 * ```ts
 * import { registerShareable, describe, revive, Value } from 'weft';
 *
 * class Tally {
 *   constructor(readonly hits: InstanceType<typeof Value>) {}
 *   [describe]() { return { hits: this.hits }; }
 *   static [revive](data: { hits: InstanceType<typeof Value> }) { return new Tally(data.hits); }
 * }
 * registerShareable('example.Tally', Tally, { module: import.meta.url });
 * console.log(new Tally(new Value('i', 3)).hits.value); // 3
 * ```
 */
export function registerShareable(kind: string, cls: ShareableClass<any>, options: RegisterOptions = {}): void {
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new TypeError(`registerShareable(): kind must be a non-empty string, got ${String(kind)}`);
  }
  if (typeof cls?.prototype?.[describe] !== 'function' || typeof cls[revive] !== 'function') {
    throw new TypeError(
      `registerShareable('${kind}'): the class must implement [describe]() and a static [revive](data)`,
    );
  }
  const existing = registry.get(kind);
  const proto = cls.prototype as { [KIND]?: string };
  if (existing !== undefined && Object.prototype.hasOwnProperty.call(proto, KIND) && proto[KIND] === kind) {
    return; // the same class registered twice (a module evaluated again): harmless
  }
  if (existing !== undefined && existing.className !== cls.name) {
    throw new TypeError(`registerShareable(): kind '${kind}' is already registered to another class`);
  }
  Object.defineProperty(proto, KIND, { value: kind, enumerable: false, configurable: true });
  // A class of the same name under a registered kind is another copy of the
  // same module (weft loaded twice in one thread): its instances can be sent,
  // and arrivals keep reviving through the first copy.
  if (existing !== undefined) return;
  registry.set(kind, { revive: (data) => cls[revive](data), module: options.module, className: cls.name });
}

/** The registration of `kind`, if this thread has one. */
export function registrationOf(kind: string): Registration | undefined {
  return registry.get(kind);
}

/** The kind of `value` if it is a registered shareable, otherwise `undefined`. */
export function kindOf(value: object): string | undefined {
  const kind = (value as { [KIND]?: unknown })[KIND];
  return typeof kind === 'string' ? kind : undefined;
}

/** The scope a shareable's state lives in. */
export function scopeOf(value: object): ScopeName {
  return (value as { [SCOPE]?: ScopeName })[SCOPE] ?? 'threads';
}
