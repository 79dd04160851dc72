/**
 * The receiving half of inline functions: compiling sent source, once per
 * thread per distinct source. Kept apart from `inline.ts` so a worker that
 * only receives functions never loads the parser the sender uses.
 */

import type { FunctionSource } from './inline.js';
import { transpilerHelpers } from './transpiler-helpers.js';

const helperNames = Object.keys(transpilerHelpers);
const helperValues = Object.values(transpilerHelpers);

const compiled = new Map<string, Function>();

function importHelper(base: string): (specifier: string) => Promise<unknown> {
  return (specifier) => import(/^\.{1,2}\//.test(specifier) ? new URL(specifier, base).href : specifier);
}

/** Compiles a function sent as source, once per thread per distinct source. */
export function compileFunction(sent: FunctionSource): Function {
  const key = `${sent.base}\n${sent.source}`;
  let fn = compiled.get(key);
  if (fn === undefined) {
    // Indirect eval: global scope, so the function sees only globals and the
    // helpers passed in — the same world the capture check assumed.
    const factory = (0, eval)(`(function (${helperNames.join(', ')}, __import) { return (${sent.source}\n); })`) as (
      ...helpers: unknown[]
    ) => Function;
    fn = factory(...helperValues, importHelper(sent.base));
    compiled.set(key, fn);
  }
  return fn;
}
