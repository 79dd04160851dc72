/**
 * seed-counter: the seed program — five parties each doing 100,000 locked
 * increments of one shared integer — timed as whole processes, start to
 * exit, for weft under node (five threads, and five processes sharing a
 * processes-scope Value) and for CPython's multiprocessing and threading.
 * See bench/README.md.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';

const RUNS = 5;
const WARMUP = 1;
const EXPECTED = 500_000;

const here = (file) => fileURLToPath(new URL(`./seed-counter/${file}`, import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';

const FIVE_EMPTY_WORKERS = `
const { Worker } = require('node:worker_threads');
for (let i = 0; i < 5; i++) new Worker('', { eval: true });
`;

const FIVE_EMPTY_CHILDREN = `
const { spawn } = require('node:child_process');
for (let i = 0; i < 5; i++) spawn(process.execPath, ['-e', '']);
`;

const peers = [
  { name: 'weft: node seed-counter/weft.mjs', command: process.execPath, args: [here('weft.mjs')] },
  { name: 'CPython multiprocessing (5 processes)', command: PYTHON, args: [here('python_mp.py')] },
  { name: 'weft processes: node seed-counter/weft_processes.mjs', command: process.execPath, args: [here('weft_processes.mjs')] },
  { name: 'CPython threading (5 threads)', command: PYTHON, args: [here('python_threading.py')] },
  { name: 'floor: node, empty program', command: process.execPath, args: ['-e', ''], floor: true },
  { name: 'floor: python3, empty program', command: PYTHON, args: ['-c', 'pass'], floor: true },
  // What any program that runs its five parties in worker_threads pays before doing any work.
  { name: 'floor: node, 5 empty Workers', command: process.execPath, args: ['-e', FIVE_EMPTY_WORKERS], floor: true },
  // What any node program that runs its five parties as child processes pays before doing any work.
  { name: 'floor: node, 5 empty child processes', command: process.execPath, args: ['-e', FIVE_EMPTY_CHILDREN], floor: true },
];

/** Runs one process to its exit: wall milliseconds and what it printed. */
function timed({ command, args }) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('error', (error) => resolve({ error: error.message }));
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      if (code !== 0) {
        const why = stderr.trim().split('\n').find((line) => /Error|error:/.test(line)) ?? stderr.trim().split('\n').at(-1);
        resolve({ error: `exit ${code ?? signal}: ${why ?? ''}`.trim() });
      } else resolve({ ms, printed: stdout.trim().split('\n').at(-1) ?? '' });
    });
  });
}

heading(
  'seed-counter',
  `5 parties x 100,000 increments of one shared int under its lock; each program timed as a whole process (spawn to exit)`,
  `${WARMUP} untimed warm-up run, then ${RUNS} timed runs per program, programs alternating; medians`,
);

for (const peer of peers) peer.runs = [];
for (let run = 0; run < WARMUP + RUNS; run++) {
  for (const peer of peers) {
    if (peer.error) continue;
    const outcome = await timed(peer);
    if (outcome.error) {
      peer.error = outcome.error;
      continue;
    }
    if (!peer.floor && Number(outcome.printed) !== EXPECTED) peer.wrong = outcome.printed;
    if (run >= WARMUP) peer.runs.push(outcome);
  }
}

for (const peer of peers) peer.ms = median(peer.runs.map((run) => run.ms));
const [weft, mp, weftProcesses] = peers;
const fiveWorkers = peers.at(-2);
const fiveChildren = peers.at(-1);
table(
  ['program', 'wall ms (median)', 'min', 'max', 'time vs weft', 'final value'],
  peers.map((peer) =>
    peer.error
      ? [peer.name, 'failed (below)', '', '', '', '']
      : [
          peer.name,
          number(peer.ms, 1),
          number(Math.min(...peer.runs.map((run) => run.ms)), 1),
          number(Math.max(...peer.runs.map((run) => run.ms)), 1),
          ratio(peer.ms / weft.ms),
          peer.floor ? '' : [...new Set(peer.runs.map((run) => run.printed))].join(' / '),
        ],
  ),
);
for (const peer of peers) if (peer.error) console.log(`${peer.name} failed: ${peer.error}`);
target('CPython multiprocessing time / weft time', mp.ms / weft.ms, '>=', 5);
// The like-for-like comparison: five processes sharing one processes-scope Value (issue 6).
if (!weftProcesses.error) target('CPython multiprocessing time / weft processes time', mp.ms / weftProcesses.ms, '>=', 5);
console.log(`info: best ratio any program with 5 worker_threads could reach here (multiprocessing / 5 empty Workers): ${ratio(mp.ms / fiveWorkers.ms)}`);
console.log(`info: best ratio any node program with 5 child processes could reach here (multiprocessing / 5 empty children): ${ratio(mp.ms / fiveChildren.ms)}`);
const wrong = peers.filter((peer) => peer.wrong !== undefined);
for (const peer of wrong) console.log(`ERROR: ${peer.name} printed ${peer.wrong}, expected ${EXPECTED}`);
if (wrong.length > 0 || weft.error || weftProcesses.error) process.exitCode = 1;
