/**
 * thread-startup: how long from asking for a thread to its first statement
 * running, and from its last statement to the parent seeing it gone, for a
 * weft Thread and for a bare worker_threads Worker. See bench/README.md.
 *
 * Both targets write the absolute time (`performance.timeOrigin +
 * performance.now()`, one clock across threads) into a shared Float64Array;
 * the parent compares it with its own stamps.
 */

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Thread, Value } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';

const STARTS = 30;
const WARMUP = 3;

const now = () => performance.timeOrigin + performance.now();

function stamp(out) {
  out[0] = performance.timeOrigin + performance.now();
}

function stampWithValue(out, value) {
  out[0] = performance.timeOrigin + performance.now();
}

const BARE_WORKER = `
const { workerData } = require('node:worker_threads');
workerData.out[0] = performance.timeOrigin + performance.now();
`;

/** One start of a weft Thread: [start → running ms, running → joined ms]. */
function weftOnce() {
  const out = new Float64Array(new SharedArrayBuffer(8));
  return timeThread(out, new Thread({ target: stamp, args: [out] }));
}

/** The same with a shareable among the arguments, which the worker must revive before the target runs. */
function weftValueOnce() {
  const out = new Float64Array(new SharedArrayBuffer(8));
  return timeThread(out, new Thread({ target: stampWithValue, args: [out, new Value('i', 0)] }));
}

async function timeThread(out, thread) {
  const started = now();
  thread.start();
  await thread.join();
  const joined = now();
  if (thread.exception !== undefined) throw thread.exception;
  return [out[0] - started, joined - out[0]];
}

/** One start of a bare Worker running an eval'd script. */
async function bareOnce() {
  const out = new Float64Array(new SharedArrayBuffer(8));
  const started = now();
  const worker = new Worker(BARE_WORKER, { eval: true, workerData: { out } });
  const [code] = await once(worker, 'exit');
  const exited = now();
  if (code !== 0) throw new Error(`bare worker exited with ${code}`);
  return [out[0] - started, exited - out[0]];
}

heading(
  'thread-startup',
  `${STARTS} sequential starts per peer after ${WARMUP} warm-up starts, peers alternating; medians`,
  'start → running: from just before thread.start() / new Worker() to the target\'s first statement',
  'running → joined: from that statement to await thread.join() resolving / the worker\'s exit event',
);

const peers = [
  { name: 'weft Thread (inline target)', once: weftOnce, samples: [] },
  { name: 'bare Worker (eval\'d script)', once: bareOnce, samples: [] },
  { name: 'info: weft Thread, a Value among its args', once: weftValueOnce, samples: [] },
];
for (let i = 0; i < WARMUP; i++) for (const peer of peers) await peer.once();
for (let i = 0; i < STARTS; i++) for (const peer of peers) peer.samples.push(await peer.once());

for (const peer of peers) {
  peer.running = median(peer.samples.map(([running]) => running));
  peer.joined = median(peer.samples.map(([, joined]) => joined));
  peer.total = median(peer.samples.map(([running, joined]) => running + joined));
}
const [weft, bare] = peers;
table(
  ['peer', 'start → running ms', 'vs bare', 'running → joined ms', 'vs bare', 'start → joined ms', 'vs bare'],
  peers.map((peer) => [
    peer.name,
    number(peer.running),
    ratio(peer.running / bare.running),
    number(peer.joined),
    ratio(peer.joined / bare.joined),
    number(peer.total),
    ratio(peer.total / bare.total),
  ]),
);
target('weft Thread start → running vs bare Worker', weft.running / bare.running, '<=', 1.2);
