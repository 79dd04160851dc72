/**
 * pool-matrix: the shared-matrix scenario. A 4096 x 4096 Float64Array in
 * shared memory; tasks apply the logistic sigmoid in place to ranges of rows,
 * nothing copied. weft's ThreadPoolExecutor with 2 workers against 1 worker,
 * the main thread alone, piscina over a SharedArrayBuffer, and numpy (under
 * python3, bench/pool/matrix_numpy.py) in one process and in two processes
 * over multiprocessing.shared_memory. See bench/README.md.
 */

import { fileURLToPath } from 'node:url';
import { heading, median, number, ratio, target } from './lib/report.mjs';
import { inRounds, peerTable, quotient, threadPool, weft as weftPackage, weftMissing, withExecutor, withPeer } from './pool/common.mjs';
import { LIBRARIES } from './pool/peers.mjs';
import { sigmoidRows } from './pool/tasks.mjs';
import { python } from './queue/race.mjs';

const ROWS = 4096;
const COLUMNS = 4096;
const CHUNKS = 16; // tasks per run, 256 rows each
const ROUNDS = 5;
const MATRIX_NUMPY_PY = fileURLToPath(new URL('./pool/matrix_numpy.py', import.meta.url));

const ranges = Array.from({ length: CHUNKS }, (_, k) => [(k * ROWS) / CHUNKS, ((k + 1) * ROWS) / CHUNKS]);

/** The values every side starts from (numpy too): ((i mod 2001) - 1000) / 100, so -10 … 10. */
function fill(view) {
  for (let i = 0; i < view.length; i++) view[i] = ((i % 2001) - 1000) / 100;
}

/** Checks sampled elements against the sigmoid of their starting values. */
function check(view) {
  for (let i = 0; i < view.length; i += 9973) {
    const expected = 1 / (1 + Math.exp(-(((i % 2001) - 1000) / 100)));
    if (Math.abs(view[i] - expected) > 1e-12) throw new Error(`element ${i} is ${view[i]}, expected ${expected}`);
  }
}

/**
 * Fills `view`, warms the task on row 0 (each worker JIT-compiles it; then
 * the matrix is filled again), times `sigmoid(from, to)` over every range at
 * once, checks the result. Resolves milliseconds.
 */
async function timeRanges(view, sigmoid) {
  fill(view);
  await Promise.all(Array.from({ length: 4 }, () => sigmoid(0, 1)));
  fill(view);
  const started = performance.now();
  await Promise.all(ranges.map(([from, to]) => sigmoid(from, to)));
  const ms = performance.now() - started;
  check(view);
  return ms;
}

// --- weft -------------------------------------------------------------------

/** The task weft sends as source: the sigmoid over rows `from`…`to` of the SharedArray, through its typed view. */
function sigmoidShared(shared, columns, from, to) {
  const m = shared.view;
  for (let i = from * columns, end = to * columns; i < end; i++) m[i] = 1 / (1 + Math.exp(-m[i]));
  return to - from;
}

let sharedMatrix;

/**
 * weft: one `new SharedArray('d', 4096 * 4096, { lock: false })`, 16
 * `executor.submit(sigmoidShared, matrix, 4096, from, to)` at once on a
 * ThreadPoolExecutor({ maxWorkers }), then `Promise.all`.
 */
async function runWeft(workers) {
  sharedMatrix ??= new weftPackage.SharedArray('d', ROWS * COLUMNS, { lock: false });
  return withExecutor(threadPool(workers), (executor) =>
    timeRanges(sharedMatrix.view, (from, to) => executor.submit(sigmoidShared, sharedMatrix, COLUMNS, from, to)),
  );
}

// --- the peers ----------------------------------------------------------------

const sabMatrix = new Float64Array(new SharedArrayBuffer(ROWS * COLUMNS * 8));

/** The main thread alone, the same loop over the same ranges: what the pools divide. */
async function runMain() {
  return timeRanges(sabMatrix, async (from, to) => sigmoidRows({ matrix: sabMatrix, columns: COLUMNS, from, to }));
}

/** piscina, 2 threads: tasks.mjs's `sigmoidRows({ matrix, columns, from, to })`, the SharedArrayBuffer-backed array shared by postMessage. */
async function runPiscina() {
  return withPeer(LIBRARIES[0], (pool) =>
    timeRanges(sabMatrix, (from, to) => pool.run('sigmoidRows', { matrix: sabMatrix, columns: COLUMNS, from, to })),
  );
}

/** numpy, one and two processes, in one python3 run per round; null if numpy is missing. */
let numpy;
async function runNumpy() {
  const result = await python(MATRIX_NUMPY_PY, [ROWS, CHUNKS]);
  if (result.numpy === false) return null;
  if (!result.correct) throw new Error('numpy: sampled elements do not hold the expected values');
  numpy = result.numpy;
  return { one: result.one * 1000, two: result.two * 1000 };
}

// --- the run ----------------------------------------------------------------

heading(
  'pool-matrix',
  `logistic sigmoid in place over a ${ROWS} x ${COLUMNS} Float64Array (128 MiB) in shared memory, ${CHUNKS} tasks of ${ROWS / CHUNKS} rows, zero copies`,
  `each run fills the matrix, warms the task, then times the ${CHUNKS} tasks submitted at once; results sampled and checked;`,
  `numpy: np.negative, np.exp, += 1, np.reciprocal, all in place (no temporaries); ${ROUNDS} rounds; medians`,
);

const notBuilt = weftMissing('ThreadPoolExecutor', 'SharedArray');
const weft2 = { name: 'weft ThreadPoolExecutor, 2 workers, SharedArray', measure: () => runWeft(2), reason: notBuilt };
const weft1 = { name: 'weft ThreadPoolExecutor, 1 worker, SharedArray', measure: () => runWeft(1), reason: notBuilt };
const main = { name: 'main thread alone, same loop', measure: runMain };
const piscina = { name: `${LIBRARIES[0].name}, 2 threads, SharedArrayBuffer`, measure: runPiscina };
const python3 = { name: 'numpy', measure: runNumpy };

await inRounds([weft2, weft1, main, piscina, python3], ROUNDS);

const numpyMissing = python3.reason === undefined && python3.runs.some((run) => run === null);
const numpyReason = numpyMissing ? 'numpy is not installed for python3 (apt-get install python3-numpy)' : python3.reason;
const label = numpy === undefined ? 'numpy' : `numpy ${numpy}`;
const numpy1 = { name: `${label}, 1 process`, reason: numpyReason, runs: numpyMissing ? [] : python3.runs.map((run) => run.one) };
const numpy2 = { name: `${label}, 2 processes (Pool(2) over shared_memory)`, reason: numpyReason, runs: numpyMissing ? [] : python3.runs.map((run) => run.two) };

const rows = [weft2, weft1, main, piscina, numpy1, numpy2];
for (const row of rows) row.ms = median(row.runs);
/** How many times faster `a` is than `b` (b's time over a's). */
const faster = (a, b) => quotient(b, a, 'ms');

peerTable(['ms (median)', 'min', 'max', 'M elements/s', 'weft 2 workers faster by'], rows, (row) => [
  number(row.ms),
  number(Math.min(...row.runs)),
  number(Math.max(...row.runs)),
  number((ROWS * COLUMNS) / row.ms / 1000),
  row === weft2 ? '' : ratio(faster(weft2, row)),
]);
target('weft 2 workers vs 1 worker', faster(weft2, weft1), '>=', 1.8);
if (numpyReason !== undefined) console.log(`info: no numpy ratios: ${numpyReason}`);
else {
  console.log(`info: weft 2 workers vs numpy in 1 process: ${ratio(faster(weft2, numpy1))}; vs numpy in 2 processes: ${ratio(faster(weft2, numpy2))}`);
  console.log(`info: numpy 2 processes vs 1 process: ${ratio(faster(numpy2, numpy1))}`);
}
console.log(`info: weft 2 workers vs piscina: ${ratio(faster(weft2, piscina))}; vs the main thread alone: ${ratio(faster(weft2, main))}`);
if (rows.some((row) => row.reason?.startsWith('failed'))) process.exitCode = 1;
process.exit();
