/**
 * pool-memory: the resident set size (RSS) of a process that has just
 * submitted 200,000 trivial tasks to a pool of 2 workers (submitted, not yet
 * completed), and its peak RSS until they have all completed, for weft's
 * ThreadPoolExecutor, the four libraries and the hand-written postMessage
 * pool. Each peer runs in a child node process of its own (this file again,
 * with `--child <peer>`), so no heap carries another's garbage. See
 * bench/README.md.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { heading, median, number, ratio, target } from './lib/report.mjs';
import { best, inc, inRounds, peerTable, quotient, scaled, threadPool, warm, warmWeft, weftMissing } from './pool/common.mjs';
import { ECHO, LIBRARIES, PISCINA_PIPELINED } from './pool/peers.mjs';

const N = scaled(200_000, 1_000);
const ROUNDS = 3;
// workerpool and tinypool take 20–30 s to finish 200,000 tasks: one run each.
const SLOW_ROUNDS = 1;
const MiB = 2 ** 20;

/** Peak RSS of this process so far, from Linux's /proc (VmHWM), in bytes; NaN elsewhere. */
function peakRss() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return Number(line.split(/\s+/)[1]) * 1024;
  } catch {
    return NaN;
  }
}

/**
 * In the child: RSS with the pool started and warm (after a full GC), right
 * after `submit(i)` has been called for every task, and the peak once every
 * task has completed.
 */
async function measure(submit) {
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();
  const pending = new Array(N);
  for (let i = 0; i < N; i++) pending[i] = submit(i);
  const queued = process.memoryUsage.rss();
  const results = await Promise.all(pending);
  let sum = 0;
  for (const result of results) sum += result;
  return { baseline, queued, peak: peakRss(), sum };
}

// --- weft (in the child) ----------------------------------------------------

/** weft: 200,000 `executor.submit(inc, i)` on a warmed ThreadPoolExecutor({ maxWorkers: 2 }). */
async function runWeft() {
  const executor = threadPool();
  await warmWeft(executor);
  const result = await measure((i) => executor.submit(inc, i));
  await executor.shutdown();
  return result;
}

// --- the peers (in the child) -------------------------------------------------

const [piscina, workerpool, tinypool, poolifier] = LIBRARIES;
const PEERS = {
  weft: { name: 'weft ThreadPoolExecutor (submit)' },
  piscina,
  'piscina-pipelined': PISCINA_PIPELINED,
  workerpool,
  tinypool,
  poolifier,
  echo: ECHO,
};

async function runPeer(peer) {
  const pool = await peer.start();
  await warm(pool);
  return measure((i) => pool.run('inc', i));
}

if (process.argv[2] === '--child') {
  const key = process.argv[3];
  const result = key === 'weft' ? await runWeft() : await runPeer(PEERS[key]);
  console.log(JSON.stringify(result));
  // Pools are not closed: the process ends here, and with it every worker.
  process.exit(0);
}

// --- the parent ---------------------------------------------------------------

/** Runs one child; resolves the JSON line it printed. */
function child(key) {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const proc = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', key], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    proc.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    proc.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      if (code !== 0) reject(new Error(`child exited with ${code ?? signal}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

heading(
  'pool-memory',
  `RSS of a process that has just submitted ${number(N, 0)} trivial tasks (x => x + 1) to a warmed pool of 2 workers, and its peak RSS until all completed`,
  `each peer in a child node process of its own (--expose-gc, a full GC before the baseline); ${ROUNDS} runs (workerpool, tinypool: ${SLOW_ROUNDS}); medians`,
);

const slow = new Set(['workerpool', 'tinypool']);
const peers = Object.entries(PEERS).map(([key, peer]) => ({
  key,
  name: peer.name,
  rounds: slow.has(key) ? SLOW_ROUNDS : ROUNDS,
  reason: key === 'weft' ? weftMissing('ThreadPoolExecutor') : undefined,
  measure: () => child(key),
}));

await inRounds(peers, ROUNDS);

const SUM = (N * (N + 1)) / 2;
let wrong = false;
for (const peer of peers) {
  for (const field of ['baseline', 'queued', 'peak']) peer[field] = median(peer.runs.map((run) => run[field]));
  peer.grown = median(peer.runs.map((run) => run.queued - run.baseline));
  if (peer.runs.some((run) => run.sum !== SUM)) wrong = peer.wrongSum = true;
}
const weft = peers[0];
const libraries = peers.filter((peer) => peer.key !== 'weft' && peer.key !== 'echo');

peerTable(['pool started MiB', 'after submitting MiB', 'grown by, bytes/task', 'peak MiB', 'weft / peer (after submitting)', 'results'], peers, (peer) => [
  number(peer.baseline / MiB, 0),
  number(peer.queued / MiB, 0),
  number(peer.grown / N, 0),
  number(peer.peak / MiB, 0),
  peer === weft ? '' : ratio(quotient(weft, peer, 'queued')),
  peer.wrongSum ? 'WRONG' : 'ok',
]);
const bestQueued = best(libraries, 'queued');
const bestPeak = best(libraries, 'peak');
console.log(`lowest among the four libraries: after submitting ${bestQueued?.name ?? '—'}; peak ${bestPeak?.name ?? '—'}`);
target('weft RSS after submitting vs the lowest library', quotient(weft, bestQueued, 'queued'), '<=', 1);
console.log(`info: weft peak RSS vs the lowest library peak: ${ratio(quotient(weft, bestPeak, 'peak'))}`);
if (wrong) {
  console.log('ERROR: a peer returned wrong results');
  process.exitCode = 1;
}
