/**
 * pool-processes: weft's ProcessPoolExecutor on its two transports —
 * shared-memory rings with futex wake-ups (`transport: 'shared-memory'`, the
 * default) and Node's IPC channel (`transport: 'ipc'`) — and CPython's
 * concurrent.futures.ProcessPoolExecutor(2), on trivial tasks (x => x + 1):
 * throughput (N submitted at once, then gathered) and the round trip (one
 * task at a time: submit, await, submit the next; p50 and p99). CPython runs
 * under python3 in the same benchmark (bench/pool/pools.py). See bench/README.md.
 */

import { fileURLToPath } from 'node:url';
import { heading, median, number, ratio } from './lib/report.mjs';
import { inc, inRounds, peerTable, percentile, quotient, scaled, weft, weftMissing, withExecutor } from './pool/common.mjs';
import { WORKERS } from './pool/peers.mjs';
import { python } from './queue/race.mjs';

const TASKS = scaled(20_000, 500);
const TRIPS = scaled(2_000, 100);
const WARM_TRIPS = 500; // sequential, after the pool's warm-up of 2,000 tasks at once
const ROUNDS = 3;

const POOLS_PY = fileURLToPath(new URL('./pool/pools.py', import.meta.url));

function sum(values) {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Every task submitted, then every result awaited. */
async function throughput(transport) {
  return withExecutor(new weft.ProcessPoolExecutor({ maxWorkers: WORKERS, transport }), async (executor) => {
    const started = performance.now();
    const futures = [];
    for (let i = 0; i < TASKS; i++) futures.push(executor.submit(inc, i));
    const results = await Promise.all(futures);
    return { seconds: (performance.now() - started) / 1000, sum: sum(results), expected: (TASKS * (TASKS + 1)) / 2 };
  });
}

/** One task at a time; microseconds per round trip. */
async function roundTrips(transport) {
  return withExecutor(new weft.ProcessPoolExecutor({ maxWorkers: WORKERS, transport }), async (executor) => {
    for (let i = 0; i < WARM_TRIPS; i++) await executor.submit(inc, i);
    const times = [];
    let total = 0;
    for (let i = 0; i < TRIPS; i++) {
      const began = performance.now();
      total += await executor.submit(inc, i);
      times.push((performance.now() - began) * 1000);
    }
    return { p50: median(times), p99: percentile(times, 99), sum: total, expected: (TRIPS * (TRIPS + 1)) / 2 };
  });
}

heading(
  'pool-processes',
  `ProcessPoolExecutor, 2 worker processes each; trivial tasks (x + 1)`,
  `throughput: ${number(TASKS, 0)} submitted at once, then gathered; round trip: ${number(TRIPS, 0)} sequential submit-and-await (after ${WARM_TRIPS} untimed)`,
  `pools started and warmed (2,000 trivial tasks) before timing; ${ROUNDS} rounds, peers back to back; medians over rounds`,
  `ratios: the other peer's median time / weft shared memory's (above 1: shared memory is faster)`,
);

const noWeft = weftMissing('ProcessPoolExecutor');
const shm = { throughput: { name: 'weft shared memory', measure: () => throughput('shared-memory'), reason: noWeft } };
const ipc = { throughput: { name: 'weft IPC', measure: () => throughput('ipc'), reason: noWeft } };
const cpython = { throughput: { name: 'CPython ProcessPoolExecutor(2)', measure: () => python(POOLS_PY, ['submit', 'trivial', TASKS]) } };
shm.trip = { name: 'weft shared memory', measure: () => roundTrips('shared-memory'), reason: noWeft };
ipc.trip = { name: 'weft IPC', measure: () => roundTrips('ipc'), reason: noWeft };
cpython.trip = { name: 'CPython ProcessPoolExecutor(2)', measure: () => python(POOLS_PY, ['roundtrip', 'trivial', TRIPS]) };
const sides = [shm, ipc, cpython];

await inRounds(sides.flatMap((side) => [side.throughput, side.trip]), ROUNDS);

let wrong = false;
for (const side of sides) {
  for (const peer of [side.throughput, side.trip]) {
    if (peer.runs.some((run) => run.sum !== run.expected)) wrong = peer.wrong = true;
  }
  side.throughput.seconds = median(side.throughput.runs.map((run) => run.seconds));
  side.trip.p50 = median(side.trip.runs.map((run) => run.p50));
  side.trip.p99 = median(side.trip.runs.map((run) => run.p99));
}

console.log(`\nthroughput (${number(TASKS, 0)} trivial tasks submitted at once)`);
peerTable(['ms (median)', 'tasks/s', 'vs shared memory', 'results'], sides.map((side) => side.throughput), (peer) => [
  number(peer.seconds * 1000), number(TASKS / peer.seconds), ratio(quotient(peer, shm.throughput, 'seconds')), peer.wrong ? 'WRONG' : 'ok',
]);

console.log(`\nround trip (${number(TRIPS, 0)} sequential trivial tasks)`);
peerTable(['p50 µs', 'p99 µs', 'p50 vs shared memory', 'p99 vs shared memory', 'results'], sides.map((side) => side.trip), (peer) => [
  number(peer.p50), number(peer.p99), ratio(quotient(peer, shm.trip, 'p50')), ratio(quotient(peer, shm.trip, 'p99')), peer.wrong ? 'WRONG' : 'ok',
]);

if (wrong) {
  console.log('ERROR: a peer returned wrong results');
  process.exitCode = 1;
}
process.exit();
