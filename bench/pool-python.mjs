/**
 * pool-python: weft's ProcessPoolExecutor and Pool against CPython's
 * concurrent.futures.ProcessPoolExecutor(2) and multiprocessing.Pool(2), on
 * the same workloads — N trivial tasks, and 64 x fib(27) — run in the same
 * benchmark (CPython under python3, bench/pool/pools.py). Submit-and-gather
 * (submit every task, then wait for every result) and `map` with the default
 * chunksize. See bench/README.md.
 */

import { fileURLToPath } from 'node:url';
import { moduleTask } from 'weft';
import { heading, median, number, ratio, target } from './lib/report.mjs';
import { inc, inRounds, peerTable, quotient, scaled, weft as weftPackage, weftMissing, withExecutor } from './pool/common.mjs';
import { WORKERS } from './pool/peers.mjs';
import { python } from './queue/race.mjs';

// Sized so that a CPython run takes a second or two here: ProcessPoolExecutor
// manages ~10–20 k trivial tasks/s, Pool.map with its default chunksize
// (about four chunks per worker) ~1 M/s, fib(27) ~50 ms in CPython.
const SUBMIT_TASKS = scaled(20_000, 500);
const MAP_TASKS = scaled(200_000, 5_000);
const FIB_TASKS = scaled(64, 4);
const FIB_N = 27;
const ROUNDS = 3;
// A map takes tens of milliseconds, with a fresh pool each round: more rounds steady its median.
const MAP_ROUNDS = 7;

const POOLS_PY = fileURLToPath(new URL('./pool/pools.py', import.meta.url));
/** weft runs tasks.mjs's `fib`, named as a module task (each child process imports it). */
const fibTask = moduleTask(new URL('./pool/tasks.mjs', import.meta.url), 'fib');

const FIB = 196_418; // fib(27)
const WORKLOADS = {
  trivial: (n) => ({ task: inc, inputs: Array.from({ length: n }, (_, i) => i), expected: (n * (n + 1)) / 2 }),
  fib: (n) => ({ task: fibTask, inputs: Array.from({ length: n }, () => FIB_N), expected: FIB * n }),
};

function sum(values) {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

// --- weft -------------------------------------------------------------------

/** weft submit-and-gather: `executor.submit(task, x)` for every input on a ProcessPoolExecutor({ maxWorkers: 2 }), then `Promise.all`. */
async function runWeftSubmit(workload, n) {
  const { task, inputs, expected } = WORKLOADS[workload](n);
  return withExecutor(new weftPackage.ProcessPoolExecutor({ maxWorkers: WORKERS }), async (executor) => {
    const started = performance.now();
    const results = await Promise.all(inputs.map((x) => executor.submit(task, x)));
    return { seconds: (performance.now() - started) / 1000, sum: sum(results), expected };
  });
}

/** weft map: `await pool.map(task, inputs)` (default chunksize) on a Pool({ processes: 2 }); then `close()` and `join()`. */
async function runWeftMap(workload, n) {
  const { task, inputs, expected } = WORKLOADS[workload](n);
  const pool = new weftPackage.Pool({ processes: WORKERS });
  try {
    await pool.map(inc, Array.from({ length: 2_000 }, (_, i) => i)); // both children started and warm
    const started = performance.now();
    const results = await pool.map(task, inputs);
    return { seconds: (performance.now() - started) / 1000, sum: sum(results), expected };
  } finally {
    pool.close();
    await pool.join();
  }
}

// --- the run ----------------------------------------------------------------

heading(
  'pool-python',
  `2 worker processes each side; submit-and-gather: every task submitted, then every result awaited; map: the default chunksize`,
  `workloads: trivial (x + 1; submit: ${number(SUBMIT_TASKS, 0)} tasks, map: ${number(MAP_TASKS, 0)}), fib: ${FIB_TASKS} x fib(${FIB_N})`,
  `pools started and warmed (2,000 trivial tasks) before timing; ${ROUNDS} rounds (map: ${MAP_ROUNDS}), weft and CPython back to back; medians;`,
  `weft vs CPython: CPython's median time / weft's`,
);

const noExecutor = weftMissing('ProcessPoolExecutor');
const noPool = weftMissing('Pool');
const pairs = [
  ['submit', 'trivial', SUBMIT_TASKS, 'ProcessPoolExecutor submit-and-gather', runWeftSubmit, noExecutor],
  ['submit', 'fib', FIB_TASKS, 'ProcessPoolExecutor submit-and-gather', runWeftSubmit, noExecutor],
  ['map', 'trivial', MAP_TASKS, 'Pool.map', runWeftMap, noPool],
  ['map', 'fib', FIB_TASKS, 'Pool.map', runWeftMap, noPool],
].map(([api, workload, n, what, runWeft, reason]) => ({
  api,
  workload,
  n,
  weft: { name: `weft ${what}, ${workload}`, measure: () => runWeft(workload, n), reason, rounds: api === 'map' ? MAP_ROUNDS : ROUNDS },
  cpython: {
    name: `CPython ${api === 'submit' ? 'ProcessPoolExecutor(2) submit-and-gather' : 'multiprocessing.Pool(2).map'}, ${workload}`,
    measure: () => python(POOLS_PY, [api, workload, n]),
    rounds: api === 'map' ? MAP_ROUNDS : ROUNDS,
  },
}));

await inRounds(pairs.flatMap((pair) => [pair.weft, pair.cpython]), MAP_ROUNDS);

let wrong = false;
for (const pair of pairs) {
  for (const side of [pair.weft, pair.cpython]) {
    side.seconds = median(side.runs.map((run) => run.seconds));
    side.n = pair.n;
    if (side.runs.some((run) => run.sum !== run.expected)) wrong = side.wrong = true;
  }
  pair.ratio = quotient(pair.cpython, pair.weft, 'seconds');
}
peerTable(['ms (median)', 'tasks', 'tasks/s', 'weft vs CPython', 'results'], pairs.flatMap((pair) => [pair.weft, pair.cpython]), (side) => {
  const pair = pairs.find((p) => p.weft === side);
  return [number(side.seconds * 1000), number(side.n, 0), number(side.n / side.seconds), pair ? ratio(pair.ratio) : '', side.wrong ? 'WRONG' : 'ok'];
});

const [submitTrivial, submitFib, mapTrivial, mapFib] = pairs;
target('weft ProcessPoolExecutor submit-and-gather vs CPython, trivial', submitTrivial.ratio, '>=', 3);
target('weft ProcessPoolExecutor submit-and-gather vs CPython, fib', submitFib.ratio, '>=', 3);
target('weft Pool.map vs CPython Pool.map (default chunksize), trivial', mapTrivial.ratio, '>=', 1);
target('weft Pool.map vs CPython Pool.map (default chunksize), fib', mapFib.ratio, '>=', 1);
console.log('note: on fib the ratios are mostly V8 against the CPython interpreter (one fib(27): ~2–3 ms in node, ~50 ms in CPython here).');
if (wrong) {
  console.log('ERROR: a peer returned wrong results');
  process.exitCode = 1;
}
process.exit();
