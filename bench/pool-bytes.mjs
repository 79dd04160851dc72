/**
 * pool-bytes: 2,000 tasks, each given a 1 MiB Float64Array (131,072
 * doubles) and returning its first element, on a pool of 2 workers; MB/s of
 * argument bytes delivered, when the array is copied, transferred, or shared.
 * For weft's ThreadPoolExecutor, the four libraries and the hand-written
 * postMessage pool. See bench/README.md.
 */

import { heading, median, number, ratio } from './lib/report.mjs';
import { inRounds, peerTable, quotient, scaled, threadPool, weft as weftPackage, weftMissing, withExecutor, withPeer } from './pool/common.mjs';
import { ECHO, LIBRARIES } from './pool/peers.mjs';

const TASKS = scaled(2_000, 50);
const DOUBLES = 131_072; // 1 MiB
const BYTES = DOUBLES * 8;
// Tasks in flight at once: enough to keep both workers busy, few enough that
// 2,000 copies of 1 MiB are never all alive at the same time (a pool that
// posts every task at once would hold 2 GB of clones in its message queues).
const WINDOW = 16;
const ROUNDS = 3;

/** The task weft sends as source: the first element of whatever typed array it is given. */
const first = (array) => array[0];
/** The same for a weft SharedArray, through its typed view. */
const firstOfShared = (shared) => shared.view[0];

/**
 * Runs `TASKS` tasks with at most `WINDOW` in flight: `submit(k)` starts task
 * `k` and resolves what the worker returned, which must be `expected(k)`.
 * Resolves MB/s (10^6 bytes) of arguments.
 */
async function stream(submit, expected) {
  let next = 0;
  const started = performance.now();
  async function lane() {
    while (next < TASKS) {
      const k = next++;
      const value = await submit(k);
      if (value !== expected(k)) throw new Error(`task ${k} returned ${value}, expected ${expected(k)}`);
    }
  }
  await Promise.all(Array.from({ length: WINDOW }, lane));
  return (TASKS * BYTES) / 1e6 / ((performance.now() - started) / 1000);
}

/** A new 1 MiB array per task (as a producer making data would), stamped with the task's number. */
function fresh(k) {
  const array = new Float64Array(DOUBLES);
  array[0] = k;
  return array;
}

/** One SharedArrayBuffer-backed array for every task: nothing is copied, every task reads the same memory. */
function sharedArray() {
  const array = new Float64Array(new SharedArrayBuffer(BYTES));
  array[0] = 7;
  return array;
}
const seven = () => 7;
const own = (k) => k;

// --- weft -------------------------------------------------------------------

/** weft, copied: `executor.submit(first, fresh(k))`; the array crosses by value. */
async function runWeftCopy() {
  return withExecutor(threadPool(), (executor) => stream((k) => executor.submit(first, fresh(k)), own));
}

/** weft, shared: one `new SharedArray('d', 131072, { lock: false })` passed to every task (a live handle, no copy). */
async function runWeftSharedArray() {
  const shared = new weftPackage.SharedArray('d', DOUBLES, { lock: false });
  shared.view[0] = 7;
  return withExecutor(threadPool(), (executor) => stream(() => executor.submit(firstOfShared, shared), seven));
}

/** weft, shared: one SharedArrayBuffer-backed Float64Array passed to every task, as the peers do below. */
async function runWeftSab() {
  const array = sharedArray();
  return withExecutor(threadPool(), (executor) => stream(() => executor.submit(first, array), seven));
}

// --- the peers ----------------------------------------------------------------

const MODES = {
  copy: (pool) => stream((k) => pool.run('first', fresh(k)), own),
  transfer: (pool) =>
    stream((k) => {
      const array = fresh(k);
      return pool.run('first', array, [array.buffer]);
    }, own),
  shared: (pool) => {
    const array = sharedArray();
    return stream(() => pool.run('first', array), seven);
  },
};

// --- the run ----------------------------------------------------------------

heading(
  'pool-bytes',
  `${number(TASKS, 0)} tasks, each given a 1 MiB Float64Array and returning its first element, on 2 workers; MB/s (10^6 bytes) of arguments delivered`,
  `copy: a new array per task, structured-cloned; transfer: a new array per task, its buffer in the transfer list;`,
  `shared: one SharedArrayBuffer-backed array (weft: also one SharedArray) given to every task; ${WINDOW} tasks in flight at once;`,
  `each run starts a fresh pool and warms it up; ${ROUNDS} rounds, peers back to back; medians`,
);

const notBuilt = weftMissing('ThreadPoolExecutor', 'SharedArray');
const rows = [
  { name: 'weft ThreadPoolExecutor: copy', mode: 'copy', measure: runWeftCopy, reason: notBuilt, weft: true },
  { name: 'weft ThreadPoolExecutor: shared, one SharedArray', mode: 'shared', measure: runWeftSharedArray, reason: notBuilt, weft: true },
  { name: 'weft ThreadPoolExecutor: shared, one SAB-backed array', mode: 'shared', measure: runWeftSab, reason: notBuilt, weft: true },
];
for (const peer of [...LIBRARIES, ECHO]) {
  for (const [mode, run] of Object.entries(MODES)) rows.push({ name: `${peer.name}: ${mode}`, mode, measure: () => withPeer(peer, run) });
}

await inRounds(rows, ROUNDS);

for (const row of rows) row.rate = median(row.runs);
const [weftCopy, weftShared] = rows;

peerTable(['MB/s (median)', 'min', 'max', 'µs per task', 'weft (same mode) vs peer'], rows, (row) => [
  number(row.rate),
  number(Math.min(...row.runs)),
  number(Math.max(...row.runs)),
  number(BYTES / row.rate),
  row.weft ? '' : ratio(quotient(row.mode === 'copy' ? weftCopy : weftShared, row, 'rate')),
]);
console.log('weft vs peer: weft copy against the peer copying, weft SharedArray against the peer transferring or sharing. No target.');
if (rows.some((row) => row.reason?.startsWith('failed'))) process.exitCode = 1;
process.exit();
