// Build step after tsc: bundles what runs in a new worker into CommonJS files.
//
// - dist/worker/thread-entry.cjs, from dist/worker/thread-entry.js: a worker
//   that loads one CommonJS file starts without compiling Node's ES-module
//   loader (about 8 ms of a ~25 ms start here).
// - dist/worker/pool-entry.cjs, from dist/worker/pool-entry.js: the same for
//   a thread pool's worker.
// - dist/worker/process-entry.cjs, from dist/worker/process-entry.js: the
//   child a Process forks (a child process skips the ES-module loader too).
// - dist/worker/builtins.cjs, from dist/share/builtins.js: every built-in
//   shareable, `require`d by the entry only when shareables arrive (the entry's
//   load-builtins module is swapped for that require), so a worker that gets
//   none never parses them.
//
// Per-thread state is kept on globalThis (src/memory/singleton.ts), so these
// bundles and the package's own modules, loaded side by side in one worker,
// agree on it.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url).pathname;

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // CommonJS has no import.meta: give `import.meta.url` the bundle's own URL.
  define: { 'import.meta.url': '__weftModuleUrl' },
  banner: { js: "var __weftModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  external: ['acorn'],
  // Smaller source compiles faster in every new worker; names stay for errors and stacks.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
};

const requireBuiltins = {
  name: 'require-builtins',
  setup(builder) {
    builder.onResolve({ filter: /load-builtins\.js$/ }, () => ({ path: 'load-builtins', namespace: 'weft' }));
    builder.onLoad({ filter: /.*/, namespace: 'weft' }, () => ({
      contents: "export async function loadBuiltins() { require(require('node:path').join(__dirname, 'builtins.cjs')); }",
      loader: 'js',
    }));
  },
};

await build({ ...common, entryPoints: [`${dist}share/builtins.js`], outfile: `${dist}worker/builtins.cjs` });
await build({
  ...common,
  entryPoints: [`${dist}worker/thread-entry.js`],
  outfile: `${dist}worker/thread-entry.cjs`,
  plugins: [requireBuiltins],
});
await build({
  ...common,
  entryPoints: [`${dist}worker/pool-entry.js`],
  outfile: `${dist}worker/pool-entry.cjs`,
  plugins: [requireBuiltins],
});
await build({
  ...common,
  entryPoints: [`${dist}worker/pool-process-entry.js`],
  outfile: `${dist}worker/pool-process-entry.cjs`,
  plugins: [requireBuiltins],
});
await build({
  ...common,
  entryPoints: [`${dist}worker/process-entry.js`],
  outfile: `${dist}worker/process-entry.cjs`,
  plugins: [requireBuiltins],
});
for (const stale of ['process-entry.js', 'process-entry.js.map', 'pool-process-entry.js', 'pool-process-entry.js.map', 'thread-entry.js', 'thread-entry.js.map', 'pool-entry.js', 'pool-entry.js.map', 'load-builtins.js', 'load-builtins.js.map']) {
  rmSync(`${dist}worker/${stale}`, { force: true });
}
