/**
 * queue-transfer: 1,000,000 small objects `{ i, s: 'x' }` from one worker
 * thread to another, in items per second, through a weft Queue, through a
 * MessagePort between two bare worker_threads, and — under python3 in the
 * same run — through CPython's multiprocessing.Queue (two processes) and
 * queue.Queue (two threads). See bench/README.md.
 *
 * Only the transfer is timed, for every peer: the parties start, say they
 * are ready and wait for "go"; the clock runs from "go" to the consumer's
 * last item. The consumer sums `i` and the sum is checked.
 */

import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Queue, Thread } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';
import { exited, go, joined, python, ready, sharedFloat64, sharedInt32 } from './queue/race.mjs';

const N = 1_000_000;
const ROUNDS = 7;
// CPython moves ~0.2 M items/s here, so a round of its two peers takes ~9 s:
// they run in the first rounds only. They move the full 1,000,000 items:
// with 250,000, multiprocessing.Queue measured up to ~25% fewer items/s
// (its feeder thread and pipe take a while to reach their pace).
const PY_ROUNDS = 3;
const SUM = (n) => (n * (n - 1)) / 2;

const script = (file) => fileURLToPath(new URL(`./queue/${file}`, import.meta.url));

// --- weft: one Queue, a producer Thread and a consumer Thread ---------------

function weftProduce(queue, ctl, n) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  for (let i = 0; i < n; i++) queue.putSync({ i, s: 'x' });
}

function weftConsume(queue, ctl, n, out) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += queue.getSync().i;
  out[0] = performance.timeOrigin + performance.now();
  out[1] = sum;
}

async function runWeft() {
  const queue = new Queue();
  const ctl = sharedInt32(2);
  const out = sharedFloat64(2);
  const threads = [
    new Thread({ target: weftProduce, args: [queue, ctl, N] }),
    new Thread({ target: weftConsume, args: [queue, ctl, N, out] }),
  ];
  for (const thread of threads) thread.start();
  const done = joined(threads);
  await ready(ctl, 2);
  const started = go(ctl);
  await done;
  return { items: N, seconds: (out[0] - started) / 1000, sum: out[1], expected: SUM(N) };
}

// --- MessagePort between two bare worker_threads ----------------------------

const PORT_PRODUCER = `
const { workerData } = require('node:worker_threads');
const { port, ctl, n } = workerData;
Atomics.add(ctl, 0, 1);
Atomics.notify(ctl, 0);
Atomics.wait(ctl, 1, 0);
for (let i = 0; i < n; i++) port.postMessage({ i, s: 'x' });
`;

// The consumer is event-driven: it listens before it says it is ready, and
// nothing arrives before "go". Closing its port when done closes the
// producer's too, so both workers exit.
const PORT_CONSUMER = `
const { workerData } = require('node:worker_threads');
const { port, ctl, n, out } = workerData;
let count = 0;
let sum = 0;
port.on('message', (item) => {
  sum += item.i;
  if (++count === n) {
    out[0] = performance.timeOrigin + performance.now();
    out[1] = sum;
    port.close();
  }
});
Atomics.add(ctl, 0, 1);
Atomics.notify(ctl, 0);
`;

async function runPort() {
  const { port1, port2 } = new MessageChannel();
  const ctl = sharedInt32(2);
  const out = sharedFloat64(2);
  const producer = new Worker(PORT_PRODUCER, { eval: true, workerData: { port: port1, ctl, n: N }, transferList: [port1] });
  const consumer = new Worker(PORT_CONSUMER, { eval: true, workerData: { port: port2, ctl, n: N, out }, transferList: [port2] });
  const done = Promise.all([exited(producer, 'MessagePort producer'), exited(consumer, 'MessagePort consumer')]);
  await ready(ctl, 2);
  const started = go(ctl);
  await done;
  return { items: N, seconds: (out[0] - started) / 1000, sum: out[1], expected: SUM(N) };
}

// --- CPython: the same transfer in bench/queue/transfer_*.py -----------------

function runPython(file) {
  return async () => ({ ...(await python(script(file), [N])), expected: SUM(N) });
}

// --- the run ----------------------------------------------------------------

heading(
  'queue-transfer',
  `${number(N)} objects { i, s: 'x' } (CPython: dicts { 'i': i, 's': 'x' }) from one producer to one consumer; items/s`,
  `only the transfer is timed, for every peer: from "go" (parties started and waiting) to the consumer's last item`,
  `${ROUNDS} rounds (CPython peers: the first ${PY_ROUNDS}), peers back to back in each; items/s: median over rounds;`,
  `weft vs peer: weft's median items/s over the peer's`,
);

const peers = [
  { name: 'weft Queue (putSync / getSync, 2 Threads)', run: runWeft, rounds: ROUNDS },
  { name: 'MessagePort (postMessage, 2 bare Workers)', run: runPort, rounds: ROUNDS },
  { name: 'CPython multiprocessing.Queue (2 Processes)', run: runPython('transfer_mp.py'), rounds: PY_ROUNDS },
  { name: 'CPython queue.Queue (2 threads)', run: runPython('transfer_threading.py'), rounds: PY_ROUNDS },
];

let wrong = false;
for (const peer of peers) peer.runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason || round >= peer.rounds) continue;
    try {
      const run = await peer.run();
      if (run.sum !== run.expected) {
        wrong = true;
        peer.wrongSum = `${number(run.sum)} (expected ${number(run.expected)})`;
      }
      peer.runs.push({ round, rate: run.items / run.seconds });
    } catch (error) {
      peer.reason = `failed: ${error?.message ?? error}`;
    }
  }
}

for (const peer of peers) peer.rate = median(peer.runs.map((run) => run.rate));
const [weft, port, mp, threading] = peers;

/**
 * weft's median items/s over the peer's. Not paired round by round (as in
 * lock-contended): weft's own spread between rounds is wider than the
 * machine's drift, and the CPython peers run in only the first rounds.
 */
function versusWeft(peer) {
  return peer.reason || weft.reason ? NaN : weft.rate / peer.rate;
}

table(
  ['peer', 'runs', 'items/s (median)', 'min', 'max', 'ns/item', 'weft vs peer', 'sum of i'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, String(peer.runs.length), peer.reason, '', '', '', '', '']
      : [
          peer.name,
          String(peer.runs.length),
          number(peer.rate),
          number(Math.min(...peer.runs.map((run) => run.rate))),
          number(Math.max(...peer.runs.map((run) => run.rate))),
          number(1e9 / peer.rate, 0),
          peer === weft ? '' : ratio(versusWeft(peer)),
          peer.wrongSum ?? 'ok',
        ],
  ),
);
target('weft Queue items/s vs MessagePort', versusWeft(port), '>=', 2);
target('weft Queue items/s vs CPython multiprocessing.Queue', versusWeft(mp), '>=', 10);
console.log(`info: weft Queue items/s vs CPython queue.Queue: ${threading.reason ?? ratio(versusWeft(threading))}`);
for (const peer of peers) if (peer.wrongSum) console.log(`ERROR: ${peer.name}: the consumer's sum of i was ${peer.wrongSum}`);
if (wrong || weft.reason) process.exitCode = 1;
