/**
 * pool-throughput: 200,000 trivial tasks (`x => x + 1`) submitted at once to
 * a pool of 2 workers, in tasks per second from the first submit to the last
 * result, for weft's ThreadPoolExecutor, piscina, workerpool, tinypool,
 * poolifier and a hand-written postMessage pool. See bench/README.md.
 */

import { heading, median, number, ratio, target } from './lib/report.mjs';
import { best as bestOf, inc, inRounds, peerTable, quotient, scaled, threadPool, weftMissing, withExecutor, withPeer } from './pool/common.mjs';
import { ECHO, LIBRARIES, PISCINA_PIPELINED } from './pool/peers.mjs';

const N = scaled(200_000, 1_000);
const ROUNDS = 3;
// workerpool and tinypool manage ~7–10 k tasks/s here: a round of either
// takes 20–30 s, so they run in the first round only.
const SLOW_ROUNDS = 1;
const SUM = (n) => (n * (n + 1)) / 2; // of i + 1 for i = 0 … n - 1
const MAP_CHUNKSIZE = 1_024;

/** Times `n` submissions of `submit(i)` and the wait for all of them; checks the sum of the results. */
async function timeAll(n, submit) {
  const started = performance.now();
  const pending = new Array(n);
  for (let i = 0; i < n; i++) pending[i] = submit(i);
  const submitted = performance.now();
  const results = await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  let sum = 0;
  for (const result of results) sum += result;
  return { rate: n / seconds, submitMs: submitted - started, sum };
}

// --- weft -------------------------------------------------------------------

/** weft: `executor.submit(inc, i)` 200,000 times on a ThreadPoolExecutor({ maxWorkers: 2 }), then `Promise.all`. */
async function runWeft() {
  return withExecutor(threadPool(), (executor) => timeAll(N, (i) => executor.submit(inc, i)));
}

/** weft, extra row: `executor.map(inc, inputs, { chunksize })`, consumed as an async iterable. */
async function runWeftMap() {
  return withExecutor(threadPool(), async (executor) => {
    const inputs = Array.from({ length: N }, (_, i) => i);
    const started = performance.now();
    let sum = 0;
    for await (const result of executor.map(inc, inputs, { chunksize: MAP_CHUNKSIZE })) sum += result;
    return { rate: N / ((performance.now() - started) / 1000), submitMs: NaN, sum };
  });
}

// --- the peers ----------------------------------------------------------------

function library(peer, rounds) {
  return { name: peer.name, rounds, measure: () => withPeer(peer, (pool) => timeAll(N, (i) => pool.run('inc', i))) };
}

heading(
  'pool-throughput',
  `${number(N, 0)} trivial tasks (x => x + 1) submitted at once to 2 workers; tasks/s from the first submit to the last result`,
  `each round starts a fresh pool and warms it up (2,000 tasks) before timing; ${ROUNDS} rounds (workerpool, tinypool: ${SLOW_ROUNDS}), peers back to back; medians`,
);

const [piscina, workerpool, tinypool, poolifier] = LIBRARIES;
const weft = { name: 'weft ThreadPoolExecutor (submit)', measure: runWeft, reason: weftMissing('ThreadPoolExecutor') };
const weftMap = { name: `weft ThreadPoolExecutor (map, chunksize ${MAP_CHUNKSIZE})`, measure: runWeftMap, reason: weft.reason };
const libraries = [
  library(piscina),
  library(PISCINA_PIPELINED),
  library(workerpool, SLOW_ROUNDS),
  library(tinypool, SLOW_ROUNDS),
  library(poolifier),
];
const echo = library(ECHO);
const peers = [weft, weftMap, ...libraries, echo];

await inRounds(peers, ROUNDS);

let wrong = false;
for (const peer of peers) {
  peer.rate = median(peer.runs.map((run) => run.rate));
  peer.wrongSum = peer.runs.find((run) => run.sum !== SUM(N))?.sum;
  if (peer.wrongSum !== undefined) wrong = true;
}
const best = bestOf(libraries, 'rate', 'highest');
const versusWeft = (peer) => quotient(weft, peer, 'rate');

peerTable(['tasks/s (median)', 'min', 'max', 'µs/task', 'submit loop ms', 'weft vs peer', 'sum'], peers, (peer) => [
  number(peer.rate),
  number(Math.min(...peer.runs.map((run) => run.rate))),
  number(Math.max(...peer.runs.map((run) => run.rate))),
  number(1e6 / peer.rate),
  peer === weftMap ? '—' : number(median(peer.runs.map((run) => run.submitMs)), 0),
  peer === weft || peer === weftMap ? '' : ratio(versusWeft(peer)),
  peer.wrongSum === undefined ? 'ok' : `WRONG ${peer.wrongSum}`,
]);
console.log(`best of the four libraries: ${best?.name ?? 'none measured'}`);
target('weft submit tasks/s vs the best library', best ? versusWeft(best) : NaN, '>=', 3);
target('weft submit tasks/s vs the hand-written postMessage pool', versusWeft(echo), '>=', 1);
if (wrong) {
  console.log('ERROR: a peer returned wrong results (see the sum column)');
  process.exitCode = 1;
}
// Some libraries keep timers or workers alive after destroy(); the figures are printed.
process.exit();
