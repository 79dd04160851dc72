/**
 * dict-ops: set and get operations per second on a shared dict, from a
 * thread (weft) or a process (CPython) other than the one that made it:
 * weft's SharedDict, read and written in place in shared memory, against
 * CPython's multiprocessing.Manager().dict(), whose every operation is a
 * round trip to the manager's server process. See bench/README.md.
 *
 * Each party sets N items (keys `key0`..`key999` in turn, values 0..N-1),
 * then gets them back and sums the values; it times each phase itself, so
 * thread, process and manager start-up are not in the figures. The sum is
 * checked.
 */

import { fileURLToPath } from 'node:url';
import { SharedDict, Thread } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';
import { python, sharedFloat64 } from './queue/race.mjs';

const N = 1_000_000;
const KEYS = 1000;
const ROUNDS = 7;
// The manager dict does ~50,000 ops/s here: a round of N would take 40 s.
const PY_N = 20_000;
const PY_ROUNDS = 3;

/** The sum of every value read back: each key holds the last value set under it, read N / KEYS times. */
function expectedSum(n, keys) {
  let last = 0;
  for (let j = 0; j < keys; j++) last += n - keys + j;
  return (n / keys) * last;
}

// --- weft: a SharedDict made here, used from one Thread ----------------------

function weftOps(dict, n, keys, out) {
  const names = Array.from({ length: keys }, (_, i) => `key${i}`);
  const started = performance.now();
  for (let i = 0; i < n; i++) dict.set(names[i % keys], i);
  const setDone = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += dict.get(names[i % keys]);
  const getDone = performance.now();
  out[0] = (setDone - started) / 1000;
  out[1] = (getDone - setDone) / 1000;
  out[2] = sum;
  out[3] = dict.size;
}

async function runWeft() {
  const dict = new SharedDict();
  const out = sharedFloat64(4);
  const thread = new Thread({ target: weftOps, args: [dict, N, KEYS, out] });
  thread.start();
  await thread.join();
  if (thread.exception !== undefined) throw thread.exception;
  return { ops: N, setSeconds: out[0], getSeconds: out[1], sum: out[2], size: out[3] };
}

// --- CPython: a Manager().dict() used from a child Process -------------------

async function runPython() {
  return python(fileURLToPath(new URL('./dict/manager_dict.py', import.meta.url)), [PY_N, KEYS]);
}

// --- the run ----------------------------------------------------------------

heading(
  'dict-ops',
  `set, then get, of ${number(N)} items (CPython: ${number(PY_N)}) over ${number(KEYS)} string keys, from another thread / process; ops/s`,
  'each phase timed by the party doing it: start-up of threads, processes and the manager is not timed',
  `${ROUNDS} rounds (CPython: the first ${PY_ROUNDS}); ops/s: median over rounds; weft vs peer: weft's median over the peer's`,
);

const peers = [
  { name: 'weft SharedDict (1 Thread)', run: runWeft, rounds: ROUNDS, n: N, runs: [] },
  { name: 'CPython Manager().dict() (1 child Process)', run: runPython, rounds: PY_ROUNDS, n: PY_N, runs: [] },
];

let wrong = false;
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason || round >= peer.rounds) continue;
    try {
      const run = await peer.run();
      const expected = expectedSum(peer.n, KEYS);
      if (run.sum !== expected || run.size !== KEYS) {
        wrong = true;
        peer.wrong = `sum ${number(run.sum)} (expected ${number(expected)}), size ${run.size}`;
      }
      peer.runs.push({ set: run.ops / run.setSeconds, get: run.ops / run.getSeconds });
    } catch (error) {
      peer.reason = `failed: ${error?.message ?? error}`;
    }
  }
}

for (const peer of peers) {
  peer.set = median(peer.runs.map((run) => run.set));
  peer.get = median(peer.runs.map((run) => run.get));
}
const [weft, cpython] = peers;
const versus = (op) => (weft.reason || cpython.reason ? NaN : weft[op] / cpython[op]);

table(
  ['peer', 'runs', 'set ops/s (median)', 'get ops/s (median)', 'ns/set', 'ns/get', 'check'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, String(peer.runs.length), peer.reason, '', '', '', '']
      : [peer.name, String(peer.runs.length), number(peer.set), number(peer.get), number(1e9 / peer.set, 0), number(1e9 / peer.get, 0), peer.wrong ?? 'ok'],
  ),
);
target('weft SharedDict set ops/s vs CPython Manager().dict()', versus('set'), '>=', 50);
target('weft SharedDict get ops/s vs CPython Manager().dict()', versus('get'), '>=', 50);
for (const peer of peers) if (peer.wrong) console.log(`ERROR: ${peer.name}: ${peer.wrong}`);
if (wrong || weft.reason) process.exitCode = 1;
