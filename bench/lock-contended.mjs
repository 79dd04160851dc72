/**
 * lock-contended: two worker threads each doing N locked increments of one
 * shared counter, for weft's Lock, a hand-written futex mutex and the
 * `multithreading` package's Mutex. See bench/README.md.
 *
 * Every peer runs the same handshake, so only the increments are timed:
 * each worker says it is ready, waits for "go", increments, says it is done.
 * The main thread stamps "go" and "both done" on its own clock.
 */

import { Worker } from 'node:worker_threads';
import { Lock, Thread } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';

const N = 1_000_000;
const WORKERS = 2;
const ROUNDS = 21;
// multithreading's Mutex is ~50x slower here (6 s a round), so it runs in the first rounds only.
const SLOW_ROUNDS = 3;
const FUTEX_SPINS = 100;

// ctl words: [0] workers ready, [1] go, [2] workers done.
const READY = 0;
const GO = 1;
const DONE = 2;

function sharedInt32(length) {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

/**
 * Runs one race. `launch(ctl, counter)` starts the workers and returns a
 * promise of their completion. Resolves the ops/s of the timed section.
 */
async function race(launch) {
  const ctl = sharedInt32(3);
  const counter = sharedInt32(1);
  const finished = launch(ctl, counter);
  for (let ready = Atomics.load(ctl, READY); ready < WORKERS; ready = Atomics.load(ctl, READY)) {
    const parked = Atomics.waitAsync(ctl, READY, ready);
    if (parked.async) await parked.value;
  }
  const start = performance.now();
  Atomics.store(ctl, GO, 1);
  Atomics.notify(ctl, GO);
  // The workers need nothing from this thread until they are done, so it may block.
  for (let done = Atomics.load(ctl, DONE); done < WORKERS; done = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, done);
  const seconds = (performance.now() - start) / 1000;
  await finished;
  return { opsPerSecond: (WORKERS * N) / seconds, final: counter[0] };
}

// --- weft: Lock passed to weft Threads -------------------------------------

function weftIncrements(lock, counter, ctl, n) {
  Atomics.add(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  Atomics.wait(ctl, 1, 0);
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    counter[0]++;
    lock.release();
  }
  Atomics.add(ctl, 2, 1);
  Atomics.notify(ctl, 2);
}

function launchWeft(ctl, counter) {
  const lock = new Lock();
  const threads = Array.from({ length: WORKERS }, () => new Thread({ target: weftIncrements, args: [lock, counter, ctl, N] }));
  for (const thread of threads) thread.start();
  return Promise.all(threads.map((thread) => thread.join())).then(() => {
    const failed = threads.find((thread) => thread.exception !== undefined);
    if (failed) throw failed.exception;
  });
}

// --- futex: Drepper's 3-state mutex ("Futexes Are Tricky", mutex 3) --------
// 0 unlocked, 1 locked, 2 locked with possible waiters. Spin a little on a
// held word before parking; release wakes only when someone may be parked.

const FUTEX_WORKER = `
const { workerData } = require('node:worker_threads');
const { word, counter, ctl, n, spins } = workerData;

function lock(w) {
  let c = Atomics.compareExchange(w, 0, 0, 1);
  if (c === 0) return;
  for (let i = 0; i < spins; i++) {
    c = Atomics.load(w, 0);
    if (c === 0) {
      c = Atomics.compareExchange(w, 0, 0, 1);
      if (c === 0) return;
    }
  }
  if (c !== 2) c = Atomics.exchange(w, 0, 2);
  while (c !== 0) {
    Atomics.wait(w, 0, 2);
    c = Atomics.exchange(w, 0, 2);
  }
}

function unlock(w) {
  if (Atomics.sub(w, 0, 1) !== 1) {
    Atomics.store(w, 0, 0);
    Atomics.notify(w, 0, 1);
  }
}

Atomics.add(ctl, 0, 1);
Atomics.notify(ctl, 0);
Atomics.wait(ctl, 1, 0);
for (let i = 0; i < n; i++) {
  lock(word);
  counter[0]++;
  unlock(word);
}
Atomics.add(ctl, 2, 1);
Atomics.notify(ctl, 2);
`;

function launchFutex(ctl, counter) {
  const word = sharedInt32(1);
  const exits = Array.from({ length: WORKERS }, () => {
    const worker = new Worker(FUTEX_WORKER, { eval: true, workerData: { word, counter, ctl, n: N, spins: FUTEX_SPINS } });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`futex worker exited with ${code}`))));
    });
  });
  return Promise.all(exits);
}

// --- multithreading (npm): its Mutex in its own worker pool ----------------

/** Loads `multithreading`, or resolves the reason it cannot run here. */
async function loadMultithreading() {
  // It reads navigator.hardwareConcurrency and calls Promise.withResolvers,
  // neither of which Node 20 has; both must exist before it is imported.
  globalThis.navigator ??= { hardwareConcurrency: WORKERS };
  if (typeof Promise.withResolvers !== 'function') {
    Promise.withResolvers = function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
  try {
    const library = await import('multithreading');
    library.initRuntime({ maxWorkers: WORKERS });
    return { library };
  } catch (error) {
    return { reason: `cannot load: ${error.message}` };
  }
}

function launchMultithreading(library) {
  return (ctl, counter) => {
    const { spawn, move, Mutex } = library;
    const mutex = new Mutex(counter);
    // Its pool places two concurrent tasks on two workers. `ctl` goes inside
    // a plain object: a bare shared array makes spawn() warn about unlocked data.
    const handles = Array.from({ length: WORKERS }, () =>
      spawn(move(mutex, { ctl }, N), (mutex, { ctl }, n) => {
        Atomics.add(ctl, 0, 1);
        Atomics.notify(ctl, 0);
        Atomics.wait(ctl, 1, 0);
        for (let i = 0; i < n; i++) {
          const guard = mutex.blockingLock();
          guard.value[0]++;
          guard.dispose();
        }
        Atomics.add(ctl, 2, 1);
        Atomics.notify(ctl, 2);
      }),
    );
    return Promise.all(handles.map((handle) => handle.join())).then((results) => {
      const failed = results.find((result) => !result.ok);
      if (failed) throw failed.error;
    });
  };
}

// --- the run ----------------------------------------------------------------

heading(
  'lock-contended',
  `${WORKERS} worker threads x ${number(N)} locked increments of one shared counter; worker start-up not timed`,
  `${ROUNDS} rounds (${SLOW_ROUNDS} for multithreading), peers run back to back in each round; ops/s: median over rounds;`,
  `weft vs peer: median of the per-round ratios (contended throughput on a shared 2-core VM drifts between rounds)`,
);

const multithreading = await loadMultithreading();
const peers = [
  { name: 'weft Lock (acquireSync/release)', launch: launchWeft },
  { name: `futex mutex, Drepper 3-state, ${FUTEX_SPINS} spins`, launch: launchFutex },
  multithreading.library
    ? { name: 'multithreading Mutex (blockingLock)', launch: launchMultithreading(multithreading.library), rounds: SLOW_ROUNDS }
    : { name: 'multithreading Mutex', reason: multithreading.reason },
];

let wrong = false;
for (const peer of peers) peer.runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const peer of peers) {
    if (peer.reason || round >= (peer.rounds ?? ROUNDS)) continue;
    try {
      const run = await race(peer.launch);
      run.round = round;
      if (run.final !== WORKERS * N) wrong = true;
      peer.runs.push(run);
    } catch (error) {
      peer.reason = `failed: ${error?.message ?? error}`;
    }
  }
}
multithreading.library?.shutdown();

for (const peer of peers) peer.ops = median(peer.runs.map((run) => run.opsPerSecond));
const [weft, futex, mt] = peers;

/** weft's ops/s over the peer's, round by round, then the median. */
function pairedRatio(peer) {
  if (peer.reason || weft.reason) return NaN;
  const ratios = peer.runs.flatMap((run) => {
    const mine = weft.runs.find((candidate) => candidate.round === run.round);
    return mine ? [mine.opsPerSecond / run.opsPerSecond] : [];
  });
  return median(ratios);
}

table(
  ['peer', 'runs', 'ops/s (median)', 'min', 'max', 'ns/op', 'weft vs peer', 'final counter(s)'],
  peers.map((peer) =>
    peer.reason
      ? [peer.name, '0', peer.reason, '', '', '', '', '']
      : [
          peer.name,
          String(peer.runs.length),
          number(peer.ops),
          number(Math.min(...peer.runs.map((run) => run.opsPerSecond))),
          number(Math.max(...peer.runs.map((run) => run.opsPerSecond))),
          number(1e9 / peer.ops),
          ratio(pairedRatio(peer)),
          [...new Set(peer.runs.map((run) => number(run.final)))].join(' / '),
        ],
  ),
);
target('weft Lock throughput vs futex mutex', pairedRatio(futex), '>=', 0.9);
console.log(`info: weft Lock throughput vs multithreading Mutex: ${mt.reason ?? ratio(pairedRatio(mt))}`);
if (wrong) {
  console.log(`ERROR: a final counter differs from ${number(WORKERS * N)}`);
  process.exitCode = 1;
}
