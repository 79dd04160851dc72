/**
 * pool-crash: a task whose worker exits in the middle of it
 * (`process.exit(1)` inside the worker). How long until the task's promise
 * rejects — or whether it never settles — and whether the pool still runs
 * the next task, for weft's ThreadPoolExecutor (and ProcessPoolExecutor, for
 * information) and the four libraries. See bench/README.md.
 */

import { heading, median, number } from './lib/report.mjs';
import { inc, inRounds, peerTable, threadPool, unitTarget, warm, warmWeft, weft as weftPackage, weftMissing, within } from './pool/common.mjs';
import { LIBRARIES, WORKERS } from './pool/peers.mjs';

// A promise that has not settled after this long is reported as hanging.
const BOUND_MS = 5_000;
const ROUNDS = 5;
const LIMIT_MS = 100;

/** The task weft sends as source: end the worker it runs on. */
const die = () => process.exit(1);

/**
 * Kills a worker with `crash()`, waits (bounded) for that promise, then runs
 * one trivial task with `next(41)` (bounded) on the same pool. `close()` is
 * bounded too: a pool that lost track of a worker may never finish closing.
 */
async function crashThenNext(crash, next, close) {
  try {
    const crashed = await within(crash(), BOUND_MS);
    const after = await within(next(41), BOUND_MS);
    return {
      outcome: crashed.outcome,
      ms: crashed.ms,
      message: crashed.outcome === 'rejected' ? `${crashed.error?.name ?? 'Error'}: ${crashed.error?.message ?? crashed.error}` : '',
      next: after.outcome === 'resolved' ? (after.value === 42 ? 'ok' : `wrong: ${after.value}`) : after.outcome === 'pending' ? 'hangs' : `rejected: ${after.error?.message ?? after.error}`,
    };
  } finally {
    await within(close(), BOUND_MS);
  }
}

// --- weft -------------------------------------------------------------------

/** weft: `executor.submit(die)` on a warmed ThreadPoolExecutor({ maxWorkers: 2 }), then `executor.submit(inc, 41)`. */
async function runWeft() {
  const executor = threadPool();
  await warmWeft(executor);
  return crashThenNext(() => executor.submit(die), (x) => executor.submit(inc, x), () => executor.shutdown());
}

/** weft, for information: the same on a ProcessPoolExecutor({ maxWorkers: 2 }) — the child process exits. */
async function runWeftProcess() {
  const executor = new weftPackage.ProcessPoolExecutor({ maxWorkers: WORKERS });
  await warmWeft(executor);
  return crashThenNext(() => executor.submit(die), (x) => executor.submit(inc, x), () => executor.shutdown());
}

// --- the peers ----------------------------------------------------------------

function library(peer) {
  const row = {
    name: peer.name,
    async measure() {
      const pool = await peer.start();
      await warm(pool);
      const result = await crashThenNext(() => pool.run('crash'), (x) => pool.run('inc', x), () => pool.close());
      // A pool that leaves the task pending does so every time: one 5 s wait is enough.
      if (result.outcome === 'pending') row.rounds = 1;
      return result;
    },
  };
  return row;
}

// --- the run ----------------------------------------------------------------

heading(
  'pool-crash',
  `a task whose worker calls process.exit(1) mid-task, on a warmed pool of 2 workers: time until its promise rejects`,
  `("hangs": still pending after ${number(BOUND_MS, 0)} ms), then whether the same pool runs the next task;`,
  `a fresh pool per run; ${ROUNDS} runs (a peer that hangs: 1); medians`,
);

const weft = { name: 'weft ThreadPoolExecutor', measure: runWeft, reason: weftMissing('ThreadPoolExecutor') };
const weftProcess = { name: 'weft ProcessPoolExecutor (information)', measure: runWeftProcess, reason: weftMissing('ProcessPoolExecutor') };
const peers = [weft, weftProcess, ...LIBRARIES.map(library)];

await inRounds(peers, ROUNDS);

function verdict(peer) {
  const outcomes = new Set(peer.runs.map((run) => run.outcome));
  if (outcomes.size === 1 && outcomes.has('rejected')) return 'rejected';
  if (outcomes.size === 1 && outcomes.has('pending')) return 'hangs';
  return [...outcomes].join(' / ');
}

peerTable(['the crashed task', 'ms to reject (median)', 'max', 'next task', 'error it rejected with'], peers, (peer) => {
  const rejected = peer.runs.filter((run) => run.outcome === 'rejected');
  peer.ms = median(rejected.map((run) => run.ms));
  return [
    verdict(peer),
    rejected.length > 0 ? number(peer.ms) : '—',
    rejected.length > 0 ? number(Math.max(...rejected.map((run) => run.ms))) : '—',
    [...new Set(peer.runs.map((run) => run.next))].join(' / '),
    (rejected[0]?.message ?? '').split('\n')[0].slice(0, 90),
  ];
});
if (weft.reason === undefined && verdict(weft) !== 'rejected') {
  console.log(`target weft rejects a crashed task <= ${LIMIT_MS} ms: ${verdict(weft)} NOT MET`);
} else {
  unitTarget('weft rejects a crashed task', weft.reason === undefined ? weft.ms : NaN, '<=', LIMIT_MS, 'ms');
}
if (weft.reason === undefined) {
  const ok = weft.runs.every((run) => run.next === 'ok');
  console.log(`target weft runs the next task after a crash: ${ok ? 'MET' : 'NOT MET'}`);
}
// Pools that lost a worker may keep handles open; the figures are printed.
process.exit();
