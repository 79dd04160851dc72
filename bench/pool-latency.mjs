/**
 * pool-latency: one trivial task at a time, 5,000 sequential round trips
 * (submit, await the result, submit the next) on a warmed pool of 2
 * workers; the median and p99 of one round trip, for weft's
 * ThreadPoolExecutor, the four libraries, the hand-written postMessage pool,
 * and the floor: a bare MessagePort echo to one Worker. See bench/README.md.
 */

import { MessageChannel, Worker } from 'node:worker_threads';
import { heading, median, number, ratio, target } from './lib/report.mjs';
import { best as bestOf, inc, inRounds, peerTable, percentile, quotient, scaled, threadPool, weftMissing, withExecutor, withPeer } from './pool/common.mjs';
import { ECHO, LIBRARIES } from './pool/peers.mjs';

const TRIPS = scaled(5_000, 100);
const WARM_TRIPS = 500; // sequential, after the pool's own warm-up of 2,000 tasks at once
const ROUNDS = 5;

/** `WARM_TRIPS` untimed then `TRIPS` timed sequential round trips of `roundTrip(i)`; microseconds each. */
async function trips(roundTrip) {
  for (let i = 0; i < WARM_TRIPS; i++) await roundTrip(i);
  const times = new Float64Array(TRIPS);
  for (let i = 0; i < TRIPS; i++) {
    const started = performance.now();
    const result = await roundTrip(i);
    times[i] = (performance.now() - started) * 1000;
    if (result !== i + 1) throw new Error(`round trip ${i} returned ${result}`);
  }
  const list = Array.from(times);
  return { p50: median(list), p99: percentile(list, 99) };
}

// --- weft -------------------------------------------------------------------

/** weft: `await executor.submit(inc, i)`, one at a time, on a ThreadPoolExecutor({ maxWorkers: 2 }). */
async function runWeft() {
  return withExecutor(threadPool(), (executor) => trips((i) => executor.submit(inc, i)));
}

// --- the floor: a bare MessagePort echo ---------------------------------------

const ECHO_WORKER = `
const { workerData } = require('node:worker_threads');
workerData.port.on('message', (x) => workerData.port.postMessage(x + 1));
`;

/** One Worker holding one end of a MessageChannel and answering x with x + 1: no pool at all. */
async function runPort() {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(ECHO_WORKER, { eval: true, workerData: { port: port2 }, transferList: [port2] });
  let answer;
  port1.on('message', (value) => answer(value));
  const roundTrip = (x) =>
    new Promise((resolve) => {
      answer = resolve;
      port1.postMessage(x);
    });
  try {
    return await trips(roundTrip);
  } finally {
    port1.close();
    await worker.terminate();
  }
}

// --- the run ----------------------------------------------------------------

heading(
  'pool-latency',
  `one trivial task (x => x + 1) at a time: ${number(TRIPS, 0)} sequential round trips per round on a warmed pool of 2 workers`,
  `${ROUNDS} rounds, peers back to back; p50 and p99 per round, then the median over rounds`,
);

const weft = { name: 'weft ThreadPoolExecutor', measure: runWeft, reason: weftMissing('ThreadPoolExecutor') };
const libraries = LIBRARIES.map((peer) => ({ name: peer.name, measure: () => withPeer(peer, (pool) => trips((i) => pool.run('inc', i))) }));
const echo = { name: ECHO.name, measure: () => withPeer(ECHO, (pool) => trips((i) => pool.run('inc', i))) };
const port = { name: 'floor: bare MessagePort echo (1 Worker, no pool)', measure: runPort };
const peers = [weft, ...libraries, echo, port];

await inRounds(peers, ROUNDS);

for (const peer of peers) {
  peer.p50 = median(peer.runs.map((run) => run.p50));
  peer.p99 = median(peer.runs.map((run) => run.p99));
}
const best = bestOf(libraries, 'p50');
const versus = (peer) => quotient(weft, peer, 'p50');

peerTable(['p50 µs', 'p99 µs', 'min p50', 'max p50', 'weft p50 / peer p50'], peers, (peer) => [
  number(peer.p50),
  number(peer.p99),
  number(Math.min(...peer.runs.map((run) => run.p50))),
  number(Math.max(...peer.runs.map((run) => run.p50))),
  peer === weft ? '' : ratio(versus(peer)),
]);
console.log(`best of the four libraries (lowest p50): ${best?.name ?? 'none measured'}`);
target('weft p50 round trip vs the best library', best ? versus(best) : NaN, '<=', 0.7);
console.log(`info: weft p50 vs the bare MessagePort echo: ${ratio(versus(port))}`);
process.exit();
