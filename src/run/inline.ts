/**
 * Inline functions: a plain function that runs in another thread crosses as
 * its source text and is compiled there once per thread.
 *
 * It must be self-contained: a variable captured from the scope it was written
 * in fails here, before anything is sent, with an error naming it. Globals
 * (`Math`, `console`, `Atomics`…) and dynamic `import()` are fine.
 */

import { CaptureError } from '../errors.js';
import { pathToFileURL } from 'node:url';
import { analyseFunction, type Analysis } from './captures.js';
import { transpilerHelpers } from './transpiler-helpers.js';

/** A function as it crosses to another thread. */
export interface FunctionSource {
  /** A function expression; its `import(` calls are rewritten to `__import(`. */
  readonly source: string;
  readonly name: string;
  /** The URL relative `import()` specifiers in the function resolve against. */
  readonly base: string;
}

/**
 * Relative `import('./x.js')` inside an inline function resolves against the
 * program's main module (or the working directory when there is none) — the
 * function has no module of its own once it is source text.
 */
const importBase = process.argv[1] ? pathToFileURL(process.argv[1]).href : pathToFileURL(`${process.cwd()}/`).href;

// Helpers a TypeScript transpiler may insert into function bodies, and our own
// `__import`: supplied where the source is compiled, so they are not captures.
const TRANSPILER_HELPERS = [...Object.keys(transpilerHelpers), '__import'];

const checked = new WeakMap<Function, FunctionSource>();
/** Checked sources by text: the same function written inline in a loop is checked once. */
const bySource = new Map<string, FunctionSource>();

/** Method shorthand (`run() {…}`, `async *gen() {…}`) as a function expression. */
function methodAsFunction(source: string): string | undefined {
  const method = /^(async\s+)?(\*?)\s*([\w$]+)\s*\(/.exec(source);
  if (method === null) return undefined;
  const [, async = '', star, name] = method;
  return `${async}function${star} ${name}${source.slice(method[0].length - 1)}`;
}

/** Parses `text` as a function expression (or method shorthand); returns its expression form and analysis. */
function analyse(text: string): Analysis & { source: string } {
  try {
    return { source: text, ...analyseFunction(text) };
  } catch (error) {
    const method = methodAsFunction(text);
    if (method === undefined) throw error;
    return { source: method, ...analyseFunction(method) };
  }
}

/** Routes each `import(` through the `__import` helper the receiver supplies. */
function routeImports(source: string, offsets: readonly number[]): string {
  let out = source;
  for (const offset of [...offsets].sort((a, b) => b - a)) out = `${out.slice(0, offset)}__${out.slice(offset)}`;
  return out;
}

/**
 * The source of `fn`, checked to be sendable: not native, not bound, not a
 * class, and capturing nothing. Results are cached per function.
 *
 * @param what names the function in errors (`Thread target`, `Barrier action`).
 * @throws TypeError if `fn` cannot be sent as source.
 * @throws CaptureError naming the captured identifiers.
 */
export function functionSource(fn: Function, what: string): FunctionSource {
  const cached = checked.get(fn);
  if (cached !== undefined) return cached;
  const text = Function.prototype.toString.call(fn).trim();
  // A function written inline in a loop is a new object each time, with the same source.
  const same = bySource.get(text);
  if (same !== undefined && same.name === fn.name) {
    checked.set(fn, same);
    return same;
  }
  if (/\{\s*\[native code\]\s*\}$/.test(text)) {
    throw new TypeError(`${what}: ${fn.name || 'the function'} is native or bound and cannot be sent as source; use a module task`);
  }
  if (/^class\b/.test(text)) throw new TypeError(`${what}: a class cannot be sent as a function`);
  let analysis: ReturnType<typeof analyse>;
  try {
    analysis = analyse(text);
  } catch (error) {
    throw new TypeError(`${what}: cannot parse the source of ${fn.name || 'the function'} to send it`, { cause: error });
  }
  const captured = analysis.free.filter((name) => !(name in globalThis) && !TRANSPILER_HELPERS.includes(name));
  if (captured.length > 0) {
    const list = captured.map((name) => `'${name}'`).join(', ');
    const them = captured.length === 1 ? 'it' : 'them';
    throw new CaptureError(
      captured,
      `${what} ${fn.name ? `'${fn.name}' ` : ''}uses ${list} from the scope it was written in. ` +
        `Functions cross to another thread as source text and cannot capture variables: pass ${them} as ` +
        `argument${captured.length === 1 ? '' : 's'} instead, or import ${them} inside the function with await import().`,
    );
  }
  const result = { source: routeImports(analysis.source, analysis.imports), name: fn.name, base: importBase };
  checked.set(fn, result);
  if (bySource.size < 4096) bySource.set(text, result);
  return result;
}
