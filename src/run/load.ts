/** The receiving half of targets: loading a described target in this thread. */

import { compileFunction } from './compile.js';
import type { TargetDescription } from './task.js';

type AnyFunction = (...args: any[]) => any;

/** Loads a described target in this thread. */
export async function loadTarget(description: TargetDescription): Promise<AnyFunction> {
  if (description.kind === 'inline') return compileFunction(description.fn) as AnyFunction;
  const module = (await import(description.module)) as Record<string, unknown>;
  const fn = module[description.exportName];
  if (typeof fn !== 'function') {
    throw new TypeError(`module ${description.module} has no exported function '${description.exportName}'`);
  }
  return fn as AnyFunction;
}
