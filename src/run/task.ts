/**
 * Naming code to run elsewhere. Workers cannot receive closures, so a target is
 * either an inline function (sent as source, see `inline.ts`) or a
 * *module task*: an exported function named by its module's URL and export
 * name — the analogue of Python pickling a function by qualified name.
 */

import { functionSource, type FunctionSource } from './inline.js';

export type AnyFunction = (...args: any[]) => any;

const TASK: unique symbol = Symbol.for('weft.moduleTask');

/** An exported function of a module, named so another thread can import it. `F` is its type. */
export interface ModuleTask<F extends AnyFunction = AnyFunction> {
  readonly [TASK]: true;
  /** The module's URL (`import.meta.url` of the module that exports the function). */
  readonly module: string;
  /** The export's name. */
  readonly exportName: string;
  /** Carries `F` for type inference only; never set. */
  readonly signature?: F;
}

/**
 * Names an exported function of a module so it can run in another thread,
 * with its argument and return types.
 *
 * Pass the function itself (its `name` must be its export name) or the export
 * name with the function's type as the type argument. The module is imported
 * in the worker, so its top-level code runs there too: keep tasks in modules
 * without side effects (as Python's `if __name__ == '__main__'` guard).
 *
 * @example
 * ```ts
 * import { moduleTask } from 'weft';
 * const task = moduleTask<(path: string) => string>('node:path', 'basename');
 * console.log(task.module, task.exportName); // node:path basename
 * ```
 */
export function moduleTask<F extends AnyFunction>(module: string | URL, fn: F): ModuleTask<F>;
export function moduleTask<F extends AnyFunction>(module: string | URL, exportName: string): ModuleTask<F>;
export function moduleTask<F extends AnyFunction>(module: string | URL, target: F | string): ModuleTask<F> {
  const url = module instanceof URL ? module.href : module;
  if (typeof url !== 'string' || url.length === 0) {
    throw new TypeError(`moduleTask(): module must be a URL or URL string, got ${String(module)}`);
  }
  const exportName = typeof target === 'function' ? target.name : target;
  if (typeof exportName !== 'string' || exportName.length === 0) {
    throw new TypeError('moduleTask(): give the export name, or a named function whose name is its export name');
  }
  return Object.freeze({ [TASK]: true as const, module: url, exportName });
}

/** Whether `value` is a {@link ModuleTask}. */
export function isModuleTask(value: unknown): value is ModuleTask {
  return typeof value === 'object' && value !== null && (value as { [TASK]?: unknown })[TASK] === true;
}

/** What a thread may run: a plain function or a module task, with signature `F`. */
export type Target<F extends AnyFunction> = F | ModuleTask<F>;

/** A target as it crosses to another thread. */
export type TargetDescription =
  | { readonly kind: 'inline'; readonly fn: FunctionSource }
  | { readonly kind: 'module'; readonly module: string; readonly exportName: string };

/**
 * Describes `target` for sending.
 *
 * @throws TypeError if it is neither a function nor a module task; CaptureError if it captures.
 */
export function describeTarget(target: unknown, what: string): TargetDescription {
  if (isModuleTask(target)) return { kind: 'module', module: target.module, exportName: target.exportName };
  if (typeof target === 'function') return { kind: 'inline', fn: functionSource(target, what) };
  throw new TypeError(`${what} must be a function or a moduleTask(), got ${target === null ? 'null' : typeof target}`);
}
