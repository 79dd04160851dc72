/**
 * How weft starts a worker so it runs under the same module loaders as its
 * parent.
 *
 * Node 20 ignores `--import` in a worker's `execArgv`, and tsx's `--import tsx`
 * hook would not register itself in a non-main thread anyway. So every weft
 * worker starts from this small bootstrap (evaluated, so it needs no
 * loader itself), which replays the parent's loader flags — `--import`,
 * `--loader` / `--experimental-loader` — and only then imports the real entry.
 * That is what lets task modules and entries written in TypeScript run in
 * workers when the program runs under tsx.
 */

import { pathToFileURL } from 'node:url';

/** A loader step to replay in the worker. */
export type Preload = { readonly kind: 'import' | 'register' | 'tsx'; readonly specifier: string };

function parsePreloads(execArgv: readonly string[]): Preload[] {
  const preloads: Preload[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--import' && flag !== '--loader' && flag !== '--experimental-loader') continue;
    const specifier = inline ?? execArgv[++i];
    if (specifier === undefined) continue;
    if (specifier === 'tsx' || specifier === 'tsx/esm') preloads.push({ kind: 'tsx', specifier });
    else preloads.push({ kind: flag === '--import' ? 'import' : 'register', specifier });
  }
  return preloads;
}

/** The parent's loader steps, computed once. */
export const preloads: readonly Preload[] = parsePreloads(process.execArgv);

/** Where relative preload specifiers resolve from: the working directory, as Node does. */
export const preloadBase = pathToFileURL(`${process.cwd()}/`).href;

/**
 * The bootstrap's source. `workerData` is `{ preloads, base, entry, data }`.
 * Only `import()` expressions: an eval'd worker inherits `--input-type`, so
 * this must parse both as a CommonJS script and as an ES module.
 */
export const BOOTSTRAP = `
(async () => {
  const { workerData } = await import('node:worker_threads');
  const { register } = await import('node:module');
  const { preloads, base, entry } = workerData;
  for (const { kind, specifier } of preloads) {
    const url = /^[./]/.test(specifier) ? new URL(specifier, base).href : specifier;
    if (kind === 'tsx') (await import('tsx/esm/api')).register();
    else if (kind === 'register') register(url, base);
    else await import(url);
  }
  await import(entry);
})().catch((error) => { process.nextTick(() => { throw error; }); });
`;

/**
 * What to pass to `new Worker` to run `entry` under the parent's loaders: the
 * entry file itself when there are none (the fastest start), otherwise the
 * bootstrap. The entry finds its own data in `workerData.data` either way.
 */
export function workerScript(entry: URL, data: unknown): { script: string | URL; eval: boolean; workerData: unknown } {
  if (preloads.length === 0 && !entry.pathname.endsWith('.ts')) return { script: entry, eval: false, workerData: { data } };
  return { script: BOOTSTRAP, eval: true, workerData: { preloads, base: preloadBase, entry: entry.href, data } };
}
