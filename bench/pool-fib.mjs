/**
 * pool-fib: 64 tasks of recursive fib(27) submitted at once to a pool of 2
 * workers; the speedup of each pool over computing the 64 one after the
 * other on the main thread, for weft's ThreadPoolExecutor, the four
 * libraries and the hand-written postMessage pool. See bench/README.md.
 */

import { moduleTask } from 'weft';
import { heading, median, number } from './lib/report.mjs';
import { inRounds, measured, peerTable, threadPool, unitTarget, weftMissing, withExecutor, withPeer } from './pool/common.mjs';
import { ECHO, LIBRARIES } from './pool/peers.mjs';
import { fib } from './pool/tasks.mjs';

const TASKS = 64;
const N = 27;
const ROUNDS = 9;
const FIB = fib(N);

/** weft runs the very function the peers run: tasks.mjs's `fib`, named as a module task. */
const fibTask = moduleTask(new URL('./pool/tasks.mjs', import.meta.url), 'fib');

/** Times `TASKS` calls of `submit()` made at once and the wait for all; checks every result. */
async function timeAll(submit) {
  for (const value of await Promise.all(Array.from({ length: 4 }, submit))) check(value); // JIT the task in each worker
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: TASKS }, submit));
  const ms = performance.now() - started;
  for (const value of results) check(value);
  return ms;
}

function check(value) {
  if (value !== FIB) throw new Error(`fib(${N}) returned ${value}, expected ${FIB}`);
}

/** The baseline: the same 64 calls one after the other on the main thread. */
function sequential() {
  for (let i = 0; i < 4; i++) check(fib(N));
  const started = performance.now();
  for (let i = 0; i < TASKS; i++) check(fib(N));
  return performance.now() - started;
}

// --- weft -------------------------------------------------------------------

/** weft: `executor.submit(fibTask, 27)` 64 times at once on a ThreadPoolExecutor({ maxWorkers: 2 }), then `Promise.all`. */
async function runWeft() {
  return withExecutor(threadPool(), (executor) => timeAll(() => executor.submit(fibTask, N)));
}

// --- the run ----------------------------------------------------------------

heading(
  'pool-fib',
  `${TASKS} x recursive fib(${N}) submitted at once to 2 workers; speedup = the same ${TASKS} calls one after the other on the main thread / the pool's time`,
  `every round times the main thread, then each pool (fresh, warmed, fib JIT-compiled in its workers); ${ROUNDS} rounds;`,
  `speedup: the median over rounds of that round's main-thread time over the pool's`,
);

const main = { name: 'main thread, one after the other (baseline)', measure: async () => sequential() };
const weft = { name: 'weft ThreadPoolExecutor', measure: runWeft, reason: weftMissing('ThreadPoolExecutor') };
const pools = [
  weft,
  ...[...LIBRARIES, ECHO].map((peer) => ({ name: peer.name, measure: () => withPeer(peer, (pool) => timeAll(() => pool.run('fib', N))) })),
];

// The baseline runs just before the pools in every round, so each round's
// speedups compare figures measured seconds apart.
await inRounds([main, ...pools], ROUNDS);

for (const pool of pools) {
  const speedups = pool.runs.map((ms, round) => main.runs[round] / ms);
  pool.speedup = median(speedups);
  pool.min = Math.min(...speedups);
  pool.max = Math.max(...speedups);
  pool.ms = median(pool.runs);
}

main.ms = median(main.runs);
peerTable(['ms (median)', 'speedup (median)', 'min', 'max'], [main, ...pools], (pool) =>
  pool === main ? [number(main.ms), '1.00', '', ''] : [number(pool.ms), pool.speedup.toFixed(2), pool.min.toFixed(2), pool.max.toFixed(2)],
);
unitTarget('weft speedup over the main thread on 2 cores', measured(weft) ? weft.speedup : NaN, '>=', 1.85, 'x');
if (pools.some((pool) => pool.reason?.startsWith('failed'))) process.exitCode = 1;
process.exit();
