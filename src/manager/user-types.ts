/**
 * The server's half of `Manager.register()` for a user's typeid: a factory
 * makes the object, and a proxy may call its exposed methods (by default
 * its public ones, as Python's `public_methods`). In a server process the
 * factory is a module task, imported there by the URL the registering
 * program gave — never by anything received on the socket.
 */

import { plainResult, type TypeRegistration, type TypeSpec } from './type-spec.js';

type Factory = (...args: any[]) => unknown;

/** A spec calling `factory` to create and the object's own methods to call. */
export function userType(factory: Factory | (() => Promise<Factory>), registration: Omit<TypeRegistration, 'factory' | 'typeid'>, lazy = false): TypeSpec {
  return {
    async create(args) {
      const make = lazy ? await (factory as () => Promise<Factory>)() : (factory as Factory);
      return make(...args);
    },
    exposed: registration.exposed,
    methodToTypeid: registration.methodToTypeid,
    call(object, method, args) {
      const fn = object?.[method];
      if (typeof fn !== 'function') throw new TypeError(`${method} is not a method of the object`);
      const result = fn.apply(object, args);
      return result instanceof Promise ? result.then((value) => plainResult(object, value)) : plainResult(object, result);
    },
  };
}

/** The spec of a typeid registered in another process, loading its factory module here. */
export function importedType(registration: TypeRegistration): TypeSpec {
  const { module, exportName } = registration.factory!;
  return userType(async () => {
    const loaded = (await import(module)) as Record<string, unknown>;
    const factory = loaded[exportName];
    if (typeof factory !== 'function') {
      throw new TypeError(`the factory of typeid '${registration.typeid}': ${module} has no exported function ${exportName}`);
    }
    return factory as Factory;
  }, registration, true);
}
