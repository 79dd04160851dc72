/**
 * How a manager's server makes and calls the objects of one typeid: the
 * server's half of `Manager.register()`. Built-in typeids are in
 * `builtin-types.ts`; a user's come from a factory (see `user-types.ts`).
 */

/** What a method running in the server knows about the call. */
export interface CallContext {
  /** The connection the call came on: an identity to record who holds a lock. */
  readonly owner: object;
  /** Aborted when that connection closes: a blocking call then gives up. */
  readonly signal: AbortSignal;
  /** Runs `cleanup` when the connection closes (once per `key`): releases what it still holds. */
  onClose(key: object, cleanup: () => void): void;
  /** The object itself if `value` is a proxy to an object of this server, otherwise `undefined`. */
  local(value: unknown): unknown;
}

/** One typeid as the server sees it. */
export interface TypeSpec {
  /** Makes a new object from the arguments of `manager.<typeid>(...)`. */
  create(args: unknown[], context: CallContext): unknown;
  /** The methods a proxy may call; `undefined`: the object's public methods. */
  readonly exposed: readonly string[] | undefined;
  /** Methods whose result is kept in the server as a new object of this typeid, returned as a proxy. */
  readonly methodToTypeid: Readonly<Record<string, string>>;
  /** Calls `method` (one of `exposed`) on `object`. */
  call(object: any, method: string, args: unknown[], context: CallContext): unknown;
  /** Lets go of what `object` holds beyond memory (a pool's processes) once the server forgets it. */
  dispose?(object: any): void;
}

/** The registration of a user typeid, as it crosses to a server process. */
export interface TypeRegistration {
  readonly typeid: string;
  /** `null`: this side only makes proxies for the typeid (a `connect()` client). */
  readonly factory: { readonly module: string; readonly exportName: string } | null;
  readonly exposed: readonly string[] | undefined;
  readonly methodToTypeid: Readonly<Record<string, string>>;
}

/**
 * A method's result as it goes back: the object itself (`set()` returning
 * `this`) is nothing, an iterator is drained into an array.
 */
export function plainResult(object: unknown, result: unknown): unknown {
  if (result === object) return undefined;
  if (
    typeof result === 'object' && result !== null && !Array.isArray(result) &&
    typeof (result as Iterator<unknown>).next === 'function' && typeof (result as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    return [...(result as Iterable<unknown>)];
  }
  return result;
}

/** Python's `public_methods(obj)`: the object's callable properties whose names do not start with `_`. */
export function publicMethods(object: unknown): string[] {
  const names = new Set<string>();
  for (let o = object; o !== null && o !== undefined && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(o, name);
      if (typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}
