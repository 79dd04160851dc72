/**
 * Helpers that TypeScript transpilers insert into function bodies, supplied
 * where an inline function's source is compiled.
 *
 * A function's source text, as `Function.prototype.toString` gives it, is the
 * *transpiled* code: under tsx (esbuild) an inner function may be wrapped in
 * `__name(fn, "name")`, and a `using` declaration becomes calls to `__using`
 * and `__callDispose`; under tsc (targets before ESNext) it becomes
 * `__addDisposableResource` / `__disposeResources`. Those helpers live at the
 * top of the sender's module and do not travel with the function, so the
 * receiving side provides its own implementations of the same contracts.
 */

type Entry = [async: boolean, dispose?: () => unknown, value?: unknown];

function disposerOf(value: unknown, async: boolean): (() => unknown) | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' && typeof value !== 'function') {
    throw new TypeError('using: the value is not an object');
  }
  const target = value as { [Symbol.asyncDispose]?: () => unknown; [Symbol.dispose]?: () => unknown };
  const dispose = (async ? target[Symbol.asyncDispose] : undefined) ?? target[Symbol.dispose];
  if (typeof dispose !== 'function') throw new TypeError('using: the value is not disposable');
  return dispose;
}

/** Disposes `stack` in reverse; errors are chained as SuppressedError, as the language specifies. */
function disposeAll(stack: Entry[], error: unknown, hasError: boolean): unknown {
  const fail = (next: unknown): void => {
    if (hasError) {
      const suppressed = new Error('An error was suppressed during disposal');
      Object.assign(suppressed, { name: 'SuppressedError', error: next, suppressed: error });
      error = suppressed;
    } else {
      error = next;
      hasError = true;
    }
  };
  const step = (): unknown => {
    for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
      const [async, dispose, value] = entry;
      try {
        const result = dispose?.call(value);
        if (async) {
          return Promise.resolve(result).then(step, (reason) => {
            fail(reason);
            return step();
          });
        }
      } catch (reason) {
        fail(reason);
      }
    }
    if (hasError) throw error;
    return undefined;
  };
  return step();
}

/** esbuild: `__name(fn, name)` keeps a function's name; we keep the function as is. */
function __name<T>(fn: T): T {
  return fn;
}

/** esbuild: registers a `using` resource on the block's stack and returns it. */
function __using<T>(stack: Entry[], value: T, async: boolean): T {
  const dispose = disposerOf(value, async);
  if (dispose !== undefined) stack.push([async, dispose, value]);
  else if (async) stack.push([async]);
  return value;
}

/** esbuild: disposes the block's stack at its end. */
function __callDispose(stack: Entry[], error: unknown, hasError: boolean): unknown {
  return disposeAll(stack, error, hasError);
}

interface Environment {
  stack: Entry[];
  error: unknown;
  hasError: boolean;
}

/** tsc / tslib: registers a `using` resource on the block's environment. */
function __addDisposableResource<T>(env: Environment, value: T, async: boolean): T {
  return __using(env.stack, value, async);
}

/** tsc / tslib: disposes the block's environment at its end. */
function __disposeResources(env: Environment): unknown {
  return disposeAll(env.stack, env.error, env.hasError);
}

/** The helpers by name, in the order the compiled wrapper declares them. */
export const transpilerHelpers: Readonly<Record<string, unknown>> = {
  __name,
  __using,
  __callDispose,
  __addDisposableResource,
  __disposeResources,
};
