// Builds the processes-scope addon (native/) — run by `npm install` as the
// package's "install" script, or by hand: `node scripts/build-native.mjs
// [--force]`.
//
// It runs npm's own node-gyp against the headers of the Node that runs it
// (<prefix>/include/node, as Debian's and the official builds ship them), so
// nothing is downloaded. A plain `node-gyp rebuild` ignores npm's `nodedir`
// setting and tries to download headers, which fails offline.
//
// A failed build does not fail `npm install`: everything but the processes
// scope works without the addon. The reason is written to
// native/build/weft-build-error.txt and printed here, and the processes scope
// repeats it in the error it throws at first use. Set WEFT_REQUIRE_NATIVE=1
// to make a failed build fail the install instead.
//
// The build is skipped when native/build/Release/weft.node is newer than every
// source and was built for this Node's ABI (native/build/weft-build-stamp.json).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const native = join(root, 'native');
const build = join(native, 'build');
const addon = join(build, 'Release', 'weft.node');
const errorFile = join(build, 'weft-build-error.txt');
const stampFile = join(build, 'weft-build-stamp.json');
const force = process.argv.includes('--force');
const strict = process.env.WEFT_REQUIRE_NATIVE === '1';

function say(line) {
  console.log(`weft: ${line}`);
}

function giveUp(reason, detail = '') {
  mkdirSync(build, { recursive: true });
  rmSync(addon, { force: true });
  writeFileSync(errorFile, `${reason}\n${detail}`);
  say(`the native addon was not built: ${reason}`);
  if (detail) console.log(detail.trimEnd().split('\n').slice(-25).join('\n'));
  say('everything but the processes scope works without it; `processes` will report this at first use.');
  process.exit(strict ? 1 : 0);
}

function newestSource() {
  let newest = statSync(join(native, 'binding.gyp')).mtimeMs;
  for (const name of readdirSync(join(native, 'src'))) newest = Math.max(newest, statSync(join(native, 'src', name)).mtimeMs);
  return newest;
}

function upToDate() {
  if (force || !existsSync(addon) || !existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return stamp.modules === process.versions.modules && statSync(addon).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/** npm's bundled node-gyp: from the lifecycle environment, else beside this Node's npm, else on PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const script = candidates.find((path) => path && existsSync(path));
  return script ? [process.execPath, script] : ['node-gyp'];
}

/** The directory whose include/node holds this Node's headers, if there is one. */
function nodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    return prefix;
  }
  return process.env.npm_config_nodedir || undefined;
}

if (process.platform !== 'linux') {
  giveUp(`the processes scope needs Linux (futexes, /dev/shm); this is ${process.platform}`);
}
if (upToDate()) {
  say('native addon up to date');
  process.exit(0);
}

const [command, ...prefixArgs] = nodeGyp();
const dir = nodeDir();
const args = [...prefixArgs, 'rebuild', '--jobs=max', ...(dir ? [`--nodedir=${dir}`] : [])];
say(`building the native addon: ${[command, ...args].join(' ')}`);
const started = performance.now();
const run = spawnSync(command, args, {
  cwd: native,
  encoding: 'utf8',
  env: { ...process.env, ...(dir ? { npm_config_nodedir: dir } : {}) },
});
const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
if (run.error) giveUp(`could not run node-gyp (${run.error.message})`, output);
if (run.status !== 0 || !existsSync(addon)) {
  const missing = /No such file or directory: '([^']+)'|(\S+): (?:command )?not found|spawn (\S+) ENOENT/.exec(output);
  const tool = /Could not find any Python/.test(output) ? 'python3' : missing?.slice(1).find(Boolean);
  giveUp(tool ? `a build tool is missing (${tool})` : `node-gyp exited with ${run.status}`, output);
}
rmSync(errorFile, { force: true });
writeFileSync(stampFile, JSON.stringify({ modules: process.versions.modules, node: process.version }));
say(`native addon built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
