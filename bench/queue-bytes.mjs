/**
 * queue-bytes: 500 items of 1 MiB (`Float64Array`s of 131,072 doubles) from
 * one worker thread to another, in MB/s, through a weft Queue, through
 * `postMessage` with structured clone (a copy) and through `postMessage`
 * with the buffer in the transfer list (a move). See bench/README.md.
 *
 * Every producer runs the same code per item — a fresh array, its index
 * written into the first, middle and last element — and only the way it is
 * sent differs. Only the transfer is timed: from "go" to the consumer's last
 * item. The consumer checks every item's length, order and stamps.
 */

import { MessageChannel, Worker } from 'node:worker_threads';
import { Queue, Thread } from 'weft';
import { heading, median, number, ratio, table } from './lib/report.mjs';
import { exited, go, joined, ready, sharedFloat64, sharedInt32 } from './queue/race.mjs';

const ITEMS = 500;
const LENGTH = 131_072; // doubles: 1 MiB
const BYTES = LENGTH * 8;
const ROUNDS = 9;

// out: [0] absolute time of the last item, [1] items that passed the checks.

// --- weft: one Queue, a producer Thread and a consumer Thread ---------------

function weftProduce(queue, ctl, items, length) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  for (let k = 0; k < items; k++) {
    const array = new Float64Array(length);
    array[0] = k;
    array[length >> 1] = k;
    array[length - 1] = k;
    queue.putSync(array);
  }
}

function weftConsume(queue, ctl, items, length, out) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  let good = 0;
  for (let k = 0; k < items; k++) {
    const array = queue.getSync();
    if (array instanceof Float64Array && array.length === length && array[0] === k && array[length >> 1] === k && array[length - 1] === k) good++;
  }
  out[0] = performance.timeOrigin + performance.now();
  out[1] = good;
}

async function runWeft() {
  const queue = new Queue();
  const ctl = sharedInt32(2);
  const out = sharedFloat64(2);
  const threads = [
    new Thread({ target: weftProduce, args: [queue, ctl, ITEMS, LENGTH] }),
    new Thread({ target: weftConsume, args: [queue, ctl, ITEMS, LENGTH, out] }),
  ];
  for (const thread of threads) thread.start();
  const done = joined(threads);
  await ready(ctl, 2);
  const started = go(ctl);
  await done;
  return { seconds: (out[0] - started) / 1000, good: out[1] };
}

// --- postMessage between two bare worker_threads -----------------------------

const PORT_PRODUCER = `
const { workerData } = require('node:worker_threads');
const { port, ctl, items, length, transfer } = workerData;
Atomics.add(ctl, 0, 1);
Atomics.notify(ctl, 0);
Atomics.wait(ctl, 1, 0);
for (let k = 0; k < items; k++) {
  const array = new Float64Array(length);
  array[0] = k;
  array[length >> 1] = k;
  array[length - 1] = k;
  if (transfer) port.postMessage(array, [array.buffer]);
  else port.postMessage(array);
}
`;

const PORT_CONSUMER = `
const { workerData } = require('node:worker_threads');
const { port, ctl, items, length, out } = workerData;
let k = 0;
let good = 0;
port.on('message', (array) => {
  if (array instanceof Float64Array && array.length === length && array[0] === k && array[length >> 1] === k && array[length - 1] === k) good++;
  if (++k === items) {
    out[0] = performance.timeOrigin + performance.now();
    out[1] = good;
    port.close();
  }
});
Atomics.add(ctl, 0, 1);
Atomics.notify(ctl, 0);
`;

function runPort(transfer) {
  return async () => {
    const { port1, port2 } = new MessageChannel();
    const ctl = sharedInt32(2);
    const out = sharedFloat64(2);
    const shape = { ctl, items: ITEMS, length: LENGTH };
    const producer = new Worker(PORT_PRODUCER, { eval: true, workerData: { ...shape, port: port1, transfer }, transferList: [port1] });
    const consumer = new Worker(PORT_CONSUMER, { eval: true, workerData: { ...shape, port: port2, out }, transferList: [port2] });
    const done = Promise.all([exited(producer, 'postMessage producer'), exited(consumer, 'postMessage consumer')]);
    await ready(ctl, 2);
    const started = go(ctl);
    await done;
    return { seconds: (out[0] - started) / 1000, good: out[1] };
  };
}

// --- the run ----------------------------------------------------------------

heading(
  'queue-bytes',
  `${ITEMS} items of 1 MiB (Float64Array(${number(LENGTH)})) from one producer to one consumer; MB/s (1 MB = 10^6 bytes)`,
  `only the transfer is timed: from "go" (parties started and waiting) to the consumer's last item`,
  `${ROUNDS} rounds, peers back to back in each; MB/s: median over rounds; weft vs peer: median of the per-round ratios`,
);

const peers = [
  { name: 'weft Queue (putSync / getSync, 2 Threads)', run: runWeft },
  { name: 'postMessage, structured clone (copy)', run: runPort(false) },
  { name: 'postMessage, buffer in the transfer list (move)', run: runPort(true) },
];

for (const peer of peers) peer.runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason) continue;
    try {
      const run = await peer.run();
      if (run.good !== ITEMS) peer.wrong = `${run.good} of ${ITEMS} items arrived intact and in order`;
      peer.runs.push({ round, rate: (ITEMS * BYTES) / 1e6 / run.seconds });
    } catch (error) {
      peer.reason = `failed: ${error?.message ?? error}`;
    }
  }
}

for (const peer of peers) peer.rate = median(peer.runs.map((run) => run.rate));
const [weft, clone, move] = peers;

/** weft's MB/s over the peer's, round by round, then the median. */
function pairedRatio(peer) {
  if (peer.reason || weft.reason) return NaN;
  const ratios = peer.runs.flatMap((run) => {
    const mine = weft.runs.find((candidate) => candidate.round === run.round);
    return mine ? [mine.rate / run.rate] : [];
  });
  return median(ratios);
}

table(
  ['peer', 'runs', 'MB/s (median)', 'min', 'max', 'µs/item', 'weft vs peer', 'items checked'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, String(peer.runs.length), peer.reason, '', '', '', '', '']
      : [
          peer.name,
          String(peer.runs.length),
          number(peer.rate, 0),
          number(Math.min(...peer.runs.map((run) => run.rate)), 0),
          number(Math.max(...peer.runs.map((run) => run.rate)), 0),
          number(BYTES / peer.rate, 1),
          peer === weft ? '' : ratio(pairedRatio(peer)),
          peer.wrong ?? 'ok',
        ],
  ),
);
console.log(`info: weft Queue MB/s vs postMessage (clone): ${clone.reason ?? ratio(pairedRatio(clone))}`);
console.log(`info: weft Queue MB/s vs postMessage (transfer): ${move.reason ?? ratio(pairedRatio(move))}`);
for (const peer of peers) if (peer.wrong) console.log(`ERROR: ${peer.name}: ${peer.wrong}`);
if (peers.some((peer) => peer.wrong) || weft.reason) process.exitCode = 1;
