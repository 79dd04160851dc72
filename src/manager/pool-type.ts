/**
 * The manager's `Pool` typeid (Python's `SyncManager.Pool`): a process pool
 * living in the server, whose proxy runs tasks there.
 *
 * A function cannot cross a manager's socket, and nothing received is ever
 * evaluated as code. So a task is a module task (`moduleTask(url, name)`),
 * which crosses as its module URL and export name, and the pool runs it
 * only if the module is one its owner listed when starting the manager
 * (`new Manager({ poolModules })`): a client can make the server run the
 * functions its owner chose, never code of its own. (Python's manager pools
 * unpickle functions by module and name from any client.)
 */

import { Pool } from '../pool/pool.js';
import { moduleTask, type ModuleTask } from '../run/task.js';
import type { TypeSpec } from './type-spec.js';

/** The href a module is known by, for comparing a task's module with the owner's list. */
export function moduleKey(module: string | URL): string {
  if (module instanceof URL) return module.href;
  try {
    return new URL(module).href;
  } catch {
    return module; // a bare specifier, compared as written
  }
}

/**
 * The owner's `poolModules`, checked: each a URL (`new URL('./tasks.js',
 * import.meta.url)`) or an absolute URL string — a relative path would
 * resolve against weft's own files, not the owner's.
 *
 * @throws TypeError naming the first entry that is not one.
 */
export function poolModuleKeys(modules: unknown): string[] {
  if (modules === undefined) return [];
  if (!Array.isArray(modules)) throw new TypeError('poolModules must be an array of module URLs');
  return modules.map((module, i) => {
    if (module instanceof URL) return module.href;
    if (typeof module === 'string' && URL.canParse(module)) return new URL(module).href;
    throw new TypeError(`poolModules[${i}] must be a URL or an absolute URL string (new URL('./tasks.js', import.meta.url)), got ${JSON.stringify(module)}`);
  });
}

/** The options a client may give `manager.Pool()`. */
export interface ManagerPoolOptions {
  /** Number of worker processes; default the number of CPUs. */
  readonly processes?: number;
  /** Runs once in each worker before its first task: a module task from one of the manager's `poolModules`. */
  readonly initializer?: ModuleTask;
  readonly initargs?: readonly unknown[];
  /** A worker is replaced after this many tasks. */
  readonly maxtasksperchild?: number;
}

/** The `Pool` typeid of a server whose owner allows tasks from `modules`. */
export function poolType(modules: readonly (string | URL)[]): TypeSpec {
  const allowed = new Set(modules.map(moduleKey));

  /** A task as it came: checked, and made a module task again. */
  const task = (raw: unknown, what: string): ModuleTask => {
    const { module, exportName } = (typeof raw === 'object' && raw !== null ? raw : {}) as { module?: unknown; exportName?: unknown };
    if (typeof module !== 'string' || typeof exportName !== 'string' || exportName.length === 0) {
      throw new TypeError(`a manager Pool's ${what} must be a moduleTask(url, name): functions cannot cross to the server`);
    }
    const key = moduleKey(module);
    if (!allowed.has(key)) {
      throw new TypeError(
        `a manager Pool runs functions of the modules its owner listed only (new Manager({ poolModules })); ${module} is not one`,
      );
    }
    return moduleTask(key, exportName); // the module as the owner listed it, not as the client spelled it
  };
  const list = (raw: unknown, what: string): unknown[] => {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw new TypeError(`a manager Pool's ${what} must be an array`);
    return raw;
  };
  const chunksize = (raw: unknown): number | undefined => (raw === undefined || raw === null ? undefined : (raw as number));

  const methods: Record<string, (pool: Pool, args: unknown[]) => unknown> = {
    apply: (pool, [fn, args]) => pool.apply(task(fn, 'task'), list(args, 'args') as never),
    map: (pool, [fn, items, size]) => pool.map(task(fn, 'task'), list(items, 'items'), chunksize(size)),
    starmap: (pool, [fn, items, size]) => pool.starmap(task(fn, 'task'), list(items, 'items') as never, chunksize(size)),
    close: (pool) => pool.close(),
    terminate: (pool) => pool.terminate(),
    join: (pool, [timeout]) => pool.join(timeout === undefined || timeout === null ? {} : { timeout: timeout as number }),
  };

  return {
    create: ([raw]) => {
      const options = (raw ?? {}) as ManagerPoolOptions;
      if (typeof options !== 'object') throw new TypeError(`manager.Pool(options): options must be an object, got ${typeof options}`);
      return new Pool({
        processes: options.processes,
        maxtasksperchild: options.maxtasksperchild,
        initializer: options.initializer === undefined ? undefined : task(options.initializer, 'initializer'),
        initargs: options.initargs === undefined ? undefined : (list(options.initargs, 'initargs') as never),
      });
    },
    exposed: Object.keys(methods),
    methodToTypeid: {},
    call: (pool: Pool, method, args) => methods[method]!(pool, args),
    dispose: (pool: Pool) => pool.terminate(),
  };
}
