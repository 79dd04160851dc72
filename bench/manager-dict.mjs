/**
 * manager-dict: set and get operations per second on a manager's dict from
 * other processes: weft's Manager (a server process; clients on its host
 * call over shared-memory rings, or with `sharedMemory: false` over its Unix
 * socket) against CPython's multiprocessing.Manager().dict(), with 1 and 2
 * client processes at once. See bench/README.md.
 *
 * Each client waits at a barrier, sets N items (keys `c<client>key0` …
 * `key999` in turn, values 0..N-1), waits again, gets them back and sums
 * them; each phase is timed by the client, and a run's ops/s is all
 * clients' operations over the slowest client's time. Start-up is not
 * timed, nor a warm-up of 10,000 sets and gets each client makes first (for
 * V8's compiler, which needs more than 2,000 round trips to settle the hot
 * paths of client and server; CPython's clients make the same warm-up). The
 * sum and the final size are checked.
 *
 * weft runs three ways: awaiting every call before the next (one round trip
 * per operation, as CPython's proxies make), with synchronous calls
 * (`setSync` / `getSync`: the client's thread blocks for each reply, as
 * CPython's does), and with WINDOW calls in flight per client (proxy
 * methods return Promises, so a client can overlap round trips; CPython's
 * proxies cannot).
 */

import { fileURLToPath } from 'node:url';
import { Manager, Process } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';
import { python } from './queue/race.mjs';

const N = 20_000;
const PIPELINED_N = 100_000;
const WINDOW = 64;
const KEYS = 1000;
const ROUNDS = 5;

/** The sum of every value read back by one client (each key holds the last value set under it, read N / KEYS times). */
function expectedSum(n, keys) {
  let last = 0;
  for (let j = 0; j < keys; j++) last += n - keys + j;
  return (n / keys) * last;
}

// --- weft: a Manager dict used from child Processes --------------------------

// The child's code: an inline target (no captures; everything comes as arguments).
async function client(dict, barrier, results, who, n, keys, window) {
  const names = Array.from({ length: keys }, (_, i) => `c${who}key${i}`);
  const phase = async (op) => {
    if (window === 0) {
      // Synchronous calls: the thread blocks for each reply, as CPython's proxies do.
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (op === 'set') dict.setSync(names[i % keys], i);
        else sum += dict.getSync(names[i % keys]);
      }
      return sum;
    }
    if (window <= 1) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (op === 'set') await dict.set(names[i % keys], i);
        else sum += await dict.get(names[i % keys]);
      }
      return sum;
    }
    let sum = 0;
    for (let from = 0; from < n; from += window) {
      const calls = [];
      for (let i = from; i < Math.min(n, from + window); i++) {
        calls.push(op === 'set' ? dict.set(names[i % keys], i) : dict.get(names[i % keys]));
      }
      if (op === 'get') for (const value of await Promise.all(calls)) sum += value;
      else await Promise.all(calls);
    }
    return sum;
  };
  // Warm-up, untimed: V8 compiles the hot paths of this client and of the server.
  // (The keys set here are set again in the timed phase: the checks do not change.)
  for (let i = 0; i < 10_000; i++) {
    if (window === 0) {
      dict.setSync(names[i % keys], i);
      dict.getSync(names[i % keys]);
    } else {
      await dict.set(names[i % keys], i);
      await dict.get(names[i % keys]);
    }
  }
  await barrier.wait();
  let started = performance.now();
  await phase('set');
  const setSeconds = (performance.now() - started) / 1000;
  await barrier.wait();
  started = performance.now();
  const sum = await phase('get');
  const getSeconds = (performance.now() - started) / 1000;
  await results.put({ setSeconds, getSeconds, sum });
}

async function runWeft(clients, n, window, sharedMemory = true) {
  const manager = new Manager({ sharedMemory });
  await manager.start();
  try {
    const dict = await manager.dict();
    const barrier = await manager.Barrier(clients);
    const results = await manager.Queue();
    const children = Array.from({ length: clients }, (_, who) =>
      new Process({ target: client, args: [dict, barrier, results, who, n, KEYS, window] }));
    for (const child of children) child.start();
    const figures = [];
    for (let i = 0; i < clients; i++) figures.push(await results.get({ timeout: 120_000 }));
    for (const child of children) await child.join();
    if (children.some((child) => child.exitCode !== 0)) throw new Error(`a client exited with ${children.map((c) => c.exitCode)}`);
    return {
      ops: n * clients,
      setSeconds: Math.max(...figures.map((f) => f.setSeconds)),
      getSeconds: Math.max(...figures.map((f) => f.getSeconds)),
      sum: figures.reduce((total, f) => total + f.sum, 0),
      size: await dict.len(),
    };
  } finally {
    await manager.shutdown();
  }
}

// --- CPython: a Manager().dict() used from child Processes -------------------

function runPython(clients) {
  return python(fileURLToPath(new URL('./manager/manager_dict.py', import.meta.url)), [N, KEYS, clients]);
}

// --- the run ----------------------------------------------------------------

heading(
  'manager-dict',
  `set, then get, of ${number(N)} items per client (weft with ${WINDOW} in flight: ${number(PIPELINED_N)}) over ${number(KEYS)} string keys per client, from 1 and 2 client processes; ops/s`,
  'each phase timed by the clients after a barrier; ops/s = all clients\' operations over the slowest client\'s time; start-up not timed',
  `${ROUNDS} rounds; ops/s: median over rounds; ratios: weft's median over CPython's with the same number of clients`,
);

const peers = [];
for (const clients of [1, 2]) {
  peers.push(
    { name: `weft Manager dict, awaited calls (${clients} client${clients > 1 ? 's' : ''})`, clients, n: N, run: () => runWeft(clients, N, 1), kind: 'weft', runs: [] },
    { name: `weft Manager dict, sync calls (${clients} client${clients > 1 ? 's' : ''})`, clients, n: N, run: () => runWeft(clients, N, 0), kind: 'sync', runs: [] },
    { name: `weft Manager dict, awaited calls, socket only (${clients} client${clients > 1 ? 's' : ''})`, clients, n: N, run: () => runWeft(clients, N, 1, false), kind: 'socket', runs: [] },
    { name: `weft Manager dict, ${WINDOW} in flight (${clients} client${clients > 1 ? 's' : ''})`, clients, n: PIPELINED_N, run: () => runWeft(clients, PIPELINED_N, WINDOW), kind: 'pipelined', runs: [] },
    { name: `CPython Manager().dict() (${clients} client${clients > 1 ? 's' : ''})`, clients, n: N, run: () => runPython(clients), kind: 'cpython', runs: [] },
  );
}

let wrong = false;
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason) continue;
    try {
      const run = await peer.run();
      const expected = expectedSum(peer.n, KEYS) * peer.clients;
      if (run.sum !== expected || run.size !== KEYS * peer.clients) {
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
const find = (kind, clients) => peers.find((peer) => peer.kind === kind && peer.clients === clients);
const versus = (peer, op) => {
  const cpython = find('cpython', peer.clients);
  return peer.reason || cpython.reason ? NaN : peer[op] / cpython[op];
};

table(
  ['peer', 'runs', 'set ops/s (median)', 'get ops/s (median)', 'set vs CPython', 'get vs CPython', 'check'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, String(peer.runs.length), peer.reason, '', '', '', '']
      : [peer.name, String(peer.runs.length), number(peer.set), number(peer.get),
        peer.kind === 'cpython' ? '1.00x' : ratio(versus(peer, 'set')), peer.kind === 'cpython' ? '1.00x' : ratio(versus(peer, 'get')), peer.wrong ?? 'ok'],
  ),
);
for (const clients of [1, 2]) {
  const awaited = find('weft', clients);
  const plural = clients > 1 ? 's' : '';
  target(`weft Manager dict set ops/s vs CPython Manager().dict(), awaited calls, ${clients} client${plural}`, versus(awaited, 'set'), '>=', 3);
  target(`weft Manager dict get ops/s vs CPython Manager().dict(), awaited calls, ${clients} client${plural}`, versus(awaited, 'get'), '>=', 3);
}
for (const peer of peers) if (peer.wrong) console.log(`ERROR: ${peer.name}: ${peer.wrong}`);
if (wrong || peers.some((peer) => peer.kind !== 'cpython' && peer.reason)) process.exitCode = 1;
