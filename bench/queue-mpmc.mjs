/**
 * queue-mpmc: 4 producer threads and 4 consumer threads sharing one weft
 * Queue (maxsize 1024): total items per second, and the latency of one hop
 * from put to get. CPython's multiprocessing.Queue runs the same scenario
 * with 4 + 4 processes in the same run, for comparison. See bench/README.md.
 *
 * Each producer stamps the absolute time into its item just before the put;
 * the consumer subtracts it from its own absolute clock just after the get
 * and writes the difference into its own shared Float64Array; the main
 * thread computes the percentiles. Every item is accounted for: per-item
 * "seen" flags (any item missing or seen twice is an error), counts and a
 * checksum.
 */

import { fileURLToPath } from 'node:url';
import { Queue, Thread } from 'weft';
import { heading, median, number, ratio, table } from './lib/report.mjs';
import { go, joined, python, ready, sharedFloat64, sharedInt32 } from './queue/race.mjs';

const PRODUCERS = 4;
const CONSUMERS = 4;
const MAXSIZE = 1024;
const PER_PRODUCER = 100_000;
const TOTAL = PRODUCERS * PER_PRODUCER;
const ROUNDS = 5;
// A CPython run takes a few seconds (~0.1-0.2 M items/s): it runs in the first rounds only.
const PY_ROUNDS = 3;
const CHECKSUM = (total) => (total * (total - 1)) / 2;

const script = (file) => fileURLToPath(new URL(`./queue/${file}`, import.meta.url));

// ctl words: [0] ready, [1] go, [2] producers finished.
// Item `{ id, t }`: id = producer * perProducer + i, unique over the run; t = absolute ms at the put.

function produce(queue, ctl, producer, perProducer, producers, consumers) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  const base = producer * perProducer;
  for (let i = 0; i < perProducer; i++) queue.putSync({ id: base + i, t: performance.timeOrigin + performance.now() });
  // The last producer to finish puts one null per consumer, after every item (FIFO): each consumer stops at its first.
  // Not shutdown(): at 97b2e3f a getSync() parked on the empty queue can miss shutdown()'s wake-up (bench/README.md).
  if (Atomics.add(ctl, 2, 1) === producers - 1) for (let c = 0; c < consumers; c++) queue.putSync(null);
}

// out: [0] absolute time of this consumer's last item, [1] items taken, [2] sum of their ids.
function consume(queue, ctl, latencies, seen, out) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  let count = 0;
  let sum = 0;
  let last = 0;
  for (let item = queue.getSync(); item !== null; item = queue.getSync()) {
    last = performance.timeOrigin + performance.now();
    latencies[count++] = last - item.t;
    sum += item.id;
    Atomics.add(seen, item.id, 1);
  }
  out[0] = last;
  out[1] = count;
  out[2] = sum;
}

async function runWeft() {
  const queue = new Queue({ maxsize: MAXSIZE });
  const ctl = sharedInt32(3);
  const seen = new Uint8Array(new SharedArrayBuffer(TOTAL));
  // Any one consumer may take every item.
  const latencies = Array.from({ length: CONSUMERS }, () => sharedFloat64(TOTAL));
  const outs = Array.from({ length: CONSUMERS }, () => sharedFloat64(3));
  const threads = [
    ...Array.from({ length: PRODUCERS }, (_, p) => new Thread({ target: produce, args: [queue, ctl, p, PER_PRODUCER, PRODUCERS, CONSUMERS] })),
    ...Array.from({ length: CONSUMERS }, (_, c) => new Thread({ target: consume, args: [queue, ctl, latencies[c], seen, outs[c]] })),
  ];
  for (const thread of threads) thread.start();
  const done = joined(threads);
  await ready(ctl, PRODUCERS + CONSUMERS);
  const started = go(ctl);
  await done;

  const counts = outs.map((out) => out[1]);
  const taken = counts.reduce((a, b) => a + b, 0);
  const sum = outs.reduce((a, out) => a + out[2], 0);
  const ended = Math.max(...outs.filter((out) => out[1] > 0).map((out) => out[0]));
  let missing = 0;
  let duplicated = 0;
  for (let id = 0; id < TOTAL; id++) {
    if (seen[id] === 0) missing++;
    else if (seen[id] > 1) duplicated++;
  }
  const all = new Float64Array(taken);
  let at = 0;
  for (let c = 0; c < CONSUMERS; c++) {
    all.set(latencies[c].subarray(0, counts[c]), at);
    at += counts[c];
  }
  return {
    rate: TOTAL / ((ended - started) / 1000),
    latency: percentiles(all),
    counts,
    problems: [
      taken !== TOTAL && `${number(taken)} items taken, ${number(TOTAL)} put`,
      missing > 0 && `${number(missing)} items never taken`,
      duplicated > 0 && `${number(duplicated)} items taken more than once`,
      sum !== CHECKSUM(TOTAL) && `checksum ${number(sum)}, expected ${number(CHECKSUM(TOTAL))}`,
    ].filter(Boolean),
  };
}

/** p50, p99, p99.9 and max of a list of milliseconds. */
function percentiles(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1] };
}

async function runPython() {
  const result = await python(script('mpmc_mp.py'), [PRODUCERS, CONSUMERS, MAXSIZE, PER_PRODUCER]);
  return {
    rate: TOTAL / result.seconds,
    latency: { p50: result.p50, p99: result.p99, p999: result.p999, max: result.max },
    counts: result.counts,
    problems: [
      result.taken !== TOTAL && `${number(result.taken)} items taken, ${number(TOTAL)} put`,
      result.missing > 0 && `${number(result.missing)} items never taken`,
      result.duplicated > 0 && `${number(result.duplicated)} items taken more than once`,
      result.sum !== CHECKSUM(TOTAL) && `checksum ${number(result.sum)}, expected ${number(CHECKSUM(TOTAL))}`,
    ].filter(Boolean),
  };
}

// --- the run ----------------------------------------------------------------

heading(
  'queue-mpmc',
  `${PRODUCERS} producers x ${CONSUMERS} consumers through one queue (maxsize ${MAXSIZE}); ${number(TOTAL)} items { id, t }, then one null per consumer`,
  `only the transfer is timed: from "go" (all parties started and waiting) to the last item taken by any consumer`,
  `latency of one hop: producer's absolute clock just before put -> consumer's just after get`,
  `${ROUNDS} rounds (CPython ${PY_ROUNDS}), peers back to back in each; every figure: median over rounds`,
);

const peers = [
  { name: `weft Queue, ${PRODUCERS}+${CONSUMERS} Threads`, run: runWeft, rounds: ROUNDS },
  { name: `CPython multiprocessing.Queue, ${PRODUCERS}+${CONSUMERS} Processes`, run: runPython, rounds: PY_ROUNDS },
];

for (const peer of peers) peer.runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason || round >= peer.rounds) continue;
    try {
      const run = await peer.run();
      if (run.problems.length > 0) peer.problems = [...new Set([...(peer.problems ?? []), ...run.problems])];
      peer.runs.push(run);
    } catch (error) {
      peer.reason = `failed: ${error?.message ?? error}`;
    }
  }
}

const med = (peer, pick) => median(peer.runs.map(pick));
for (const peer of peers) {
  peer.rate = med(peer, (run) => run.rate);
  peer.p50 = med(peer, (run) => run.latency.p50);
  peer.p99 = med(peer, (run) => run.latency.p99);
}
const [weft, mp] = peers;

table(
  ['peer', 'runs', 'items/s (median)', 'min', 'max', 'vs weft', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'items per consumer (last run)', 'check'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, String(peer.runs.length), peer.reason, '', '', '', '', '', '', '', '', '']
      : [
          peer.name,
          String(peer.runs.length),
          number(peer.rate),
          number(Math.min(...peer.runs.map((run) => run.rate))),
          number(Math.max(...peer.runs.map((run) => run.rate))),
          ratio(peer.rate / weft.rate),
          number(peer.p50 * 1000, 1),
          number(peer.p99 * 1000, 1),
          number(med(peer, (run) => run.latency.p999) * 1000, 1),
          number(med(peer, (run) => run.latency.max) * 1000, 1),
          peer.runs.at(-1).counts.map((count) => number(count)).join(' / '),
          peer.problems ? 'WRONG' : 'ok',
        ],
  ),
);
console.log(`info: weft Queue items/s vs CPython multiprocessing.Queue: ${mp.reason ?? ratio(weft.rate / mp.rate)}`);
for (const peer of peers) for (const problem of peer.problems ?? []) console.log(`ERROR: ${peer.name}: ${problem}`);
if (peers.some((peer) => peer.problems) || weft.reason) process.exitCode = 1;
