/**
 * Runs the benchmark scenarios: every `bench/<scenario>.mjs` whose name
 * contains one of the arguments, or all of them without arguments. Each
 * scenario runs in its own node process (so one scenario's JIT state, heap
 * and leftover workers cannot colour the next), one after the other, and
 * its output is passed through. A summary of every `target` line follows.
 *
 *   npm run bench                      # all scenarios
 *   npm run bench -- lock-uncontended  # one
 *   npm run bench -- lock              # lock-uncontended and lock-contended
 *
 * Exits non-zero if a scenario crashed or a checked result was wrong (a
 * counter that lost increments); a target that is not met is reported, not
 * an error.
 */

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/report.mjs';

const folder = fileURLToPath(new URL('.', import.meta.url));
const scenarios = readdirSync(folder)
  .filter((file) => file.endsWith('.mjs') && file !== 'run.mjs')
  .map((file) => file.slice(0, -'.mjs'.length))
  .sort();

const filters = process.argv.slice(2);
const chosen = filters.length === 0 ? scenarios : scenarios.filter((name) => filters.some((filter) => name.includes(filter)));
if (chosen.length === 0) {
  console.error(`no scenario matches ${filters.map((filter) => `'${filter}'`).join(', ')}; scenarios: ${scenarios.join(', ')}`);
  process.exit(2);
}

/** CPU time counters of the whole machine (Linux), or undefined where /proc/stat is missing. */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
  } catch {
    return undefined;
  }
}

/**
 * How busy the machine is with other work, 0..1 over one second. Benchmarks on
 * a shared machine are skewed by whatever else runs; the runner says so
 * rather than print figures that look clean.
 */
async function busyFraction() {
  const before = cpuTimes();
  await sleep(1000);
  const after = cpuTimes();
  if (before === undefined || after === undefined || after.total === before.total) return undefined;
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}

/** Runs one scenario, echoing its output; resolves its exit code, wall time and target lines. */
function runScenario(name) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [`${folder}${name}.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.once('close', (code, signal) => {
      const targets = output.split('\n').filter((line) => line.startsWith('target '));
      resolve({ name, code: code ?? signal, seconds: (performance.now() - started) / 1000, targets });
    });
  });
}

console.log(`weft benchmarks — ${machine()} — ${new Date().toISOString().slice(0, 10)}`);
const results = [];
for (const name of chosen) {
  const busy = await busyFraction();
  if (busy !== undefined && busy > 0.15) {
    console.log(`\nwarning: the machine was ${(busy * 100).toFixed(0)}% busy with other work just before ${name}; its figures may be skewed`);
  }
  results.push({ ...(await runScenario(name)), busy });
}

console.log('\n== summary ==');
for (const { name, code, seconds, targets, busy } of results) {
  const load = busy !== undefined && busy > 0.15 ? `, machine ${(busy * 100).toFixed(0)}% busy before it` : '';
  console.log(`${name} (${seconds.toFixed(1)} s${load})${code === 0 ? '' : ` FAILED (exit ${code})`}`);
  for (const line of targets) console.log(`  ${line}`);
}
if (results.some((result) => result.code !== 0)) process.exitCode = 1;
