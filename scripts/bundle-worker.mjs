// Build step after tsc: bundles each worker entry (dist/worker/x.js) into one
// CommonJS file (dist/worker/x.cjs). A worker that loads one CommonJS file
// starts without compiling Node's ES-module loader (about 8 ms of a ~25 ms
// start here); the loader is only brought in if the work needs an ES module
// (a module task, or a shareable whose module is not loaded yet). Per-thread
// state is kept on globalThis (src/memory/singleton.ts), so the bundled copies
// of internal modules and the package's own modules, both loaded in one
// worker, agree on it.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../dist/worker/', import.meta.url).pathname;
const entries = readdirSync(dir).filter((name) => name.endsWith('.js'));
for (const name of entries) {
  await build({
    entryPoints: [join(dir, name)],
    outfile: join(dir, name.replace(/\.js$/, '.cjs')),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: false,
    logLevel: 'warning',
  });
  for (const stale of [name, `${name}.map`]) rmSync(join(dir, stale), { force: true });
}
