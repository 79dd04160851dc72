/**
 * queue-processes: small objects `{ i, s: 'x' }` from one process to
 * another, in items per second, through a processes-scope weft Queue (two
 * child processes, the queue in /dev/shm, futex wake-ups), through Node's
 * IPC channel (`process.send` from a forked child to its parent, with
 * `serialization: 'advanced'` and `'json'`), and — under python3 in the same
 * run — through CPython's multiprocessing.Queue (two processes,
 * bench/queue/transfer_mp.py). See bench/README.md.
 *
 * Only the transfer is timed, for every peer: the parties start, say they
 * are ready and wait for "go"; the clock runs from "go" to the consumer's
 * last item. The consumer sums `i` and the sum is checked.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processes } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';
import { python } from './queue/race.mjs';

const N = 1_000_000;
// Node IPC moves ~0.1-0.3 M items/s here: fewer items keep its rounds short
// (items/s is what is compared).
const IPC_N = 200_000;
const ROUNDS = 3;
const SUM = (n) => (n * (n - 1)) / 2;

const script = (file) => fileURLToPath(new URL(`./queue/${file}`, import.meta.url));
/** An absolute clock in milliseconds that every process on the host reads alike. */
const now = () => performance.timeOrigin + performance.now();

// --- weft: a processes-scope Queue between two child Processes ---------------

function weftProduce(queue, ready, go, n) {
  ready.waitSync();
  go.waitSync();
  for (let i = 0; i < n; i++) queue.putSync({ i, s: 'x' });
}

function weftConsume(queue, ready, go, n, out) {
  ready.waitSync();
  go.waitSync();
  let sum = 0;
  for (let k = 0; k < n; k++) sum += queue.getSync().i;
  out.set(0, performance.timeOrigin + performance.now());
  out.set(1, sum);
}

async function runWeft() {
  const queue = new processes.Queue();
  const ready = new processes.Barrier(3);
  const go = new processes.Event();
  const out = new processes.SharedArray('d', 2, { lock: false });
  const parties = [
    new processes.Process({ target: weftProduce, args: [queue, ready, go, N] }),
    new processes.Process({ target: weftConsume, args: [queue, ready, go, N, out] }),
  ];
  for (const party of parties) party.start();
  await ready.wait();
  const started = now();
  go.set();
  for (const party of parties) await party.join();
  const failed = parties.find((party) => party.exitCode !== 0);
  if (failed) throw new Error(`a weft party exited with ${failed.exitCode}`);
  return { items: N, seconds: (out.get(0) - started) / 1000, sum: out.get(1), expected: SUM(N) };
}

// --- Node IPC: a forked child process.send()s to its parent ------------------

function runIpc(serialization) {
  return () =>
    new Promise((resolve, reject) => {
      const child = fork(script('ipc_child.cjs'), [String(IPC_N)], { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let started = 0;
      let count = 0;
      let sum = 0;
      child.once('error', reject);
      child.on('message', (message) => {
        if (message === 'ready') {
          started = now();
          child.send('go');
          return;
        }
        sum += message.i;
        if (++count === IPC_N) {
          const seconds = (now() - started) / 1000;
          child.kill();
          resolve({ items: IPC_N, seconds, sum, expected: SUM(IPC_N) });
        }
      });
      child.once('exit', (code, signal) => {
        if (count < IPC_N) reject(new Error(`the IPC child exited with ${code ?? signal} after ${count} items`));
      });
    });
}

// --- CPython: multiprocessing.Queue between two Processes --------------------

async function runPython() {
  return { ...(await python(script('transfer_mp.py'), [N])), expected: SUM(N) };
}

// --- the run -----------------------------------------------------------------

heading(
  'queue-processes',
  `objects { i, s: 'x' } (CPython: dicts) from one process to another; items/s. weft and CPython: ${number(N)} items`,
  `between two child processes; Node IPC: ${number(IPC_N)} items from a forked child to its parent (the only pair it connects)`,
  `only the transfer is timed: from "go" (parties started and waiting) to the consumer's last item`,
  `${ROUNDS} rounds, peers back to back in each; items/s: median over rounds; weft vs peer: weft's median over the peer's`,
);

const peers = [
  { name: 'weft processes.Queue (putSync / getSync, 2 Processes)', run: runWeft },
  { name: "Node IPC process.send (serialization 'advanced')", run: runIpc('advanced') },
  { name: "Node IPC process.send (serialization 'json')", run: runIpc('json') },
  { name: 'CPython multiprocessing.Queue (2 Processes)', run: runPython },
];

let wrong = false;
for (const peer of peers) peer.runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason) continue;
    try {
      const run = await peer.run();
      if (run.sum !== run.expected) {
        wrong = true;
        peer.wrongSum = `${number(run.sum)} (expected ${number(run.expected)})`;
      }
      peer.runs.push(run.items / run.seconds);
    } catch (error) {
      peer.reason = `failed: ${error?.message ?? error}`;
    }
  }
}

for (const peer of peers) peer.rate = median(peer.runs);
const [weft, advanced, json, mp] = peers;
const versusWeft = (peer) => (peer.reason || weft.reason ? NaN : weft.rate / peer.rate);

table(
  ['peer', 'runs', 'items/s (median)', 'each run', 'ns/item', 'weft vs peer', 'sum of i'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, String(peer.runs.length), peer.reason, '', '', '', '']
      : [
          peer.name,
          String(peer.runs.length),
          number(peer.rate),
          peer.runs.map((rate) => number(rate)).join(' / '),
          number(1e9 / peer.rate, 0),
          peer === weft ? '' : ratio(versusWeft(peer)),
          peer.wrongSum ?? 'ok',
        ],
  ),
);
target('weft processes.Queue items/s vs CPython multiprocessing.Queue', versusWeft(mp), '>=', 10);
// The faster of Node's two serializations is the one to beat.
const ipc = advanced.reason || (!json.reason && json.rate > advanced.rate) ? json : advanced;
target(`weft processes.Queue items/s vs Node IPC (${ipc === json ? 'json' : 'advanced'}, the faster)`, versusWeft(ipc), '>=', 3);
for (const peer of peers) if (peer.wrongSum) console.log(`ERROR: ${peer.name}: the consumer's sum of i was ${peer.wrongSum}`);
if (wrong || weft.reason) process.exitCode = 1;
process.exit();
