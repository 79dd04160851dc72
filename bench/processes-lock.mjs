/**
 * processes-lock: the processes scope's lock and wake-ups against the
 * threads scope's, on the same work — two parties that are child processes
 * (`processes.Process`, state in /dev/shm, futex wake-ups) or worker
 * threads (`Thread`, state in a SharedArrayBuffer, Atomics wake-ups):
 *
 * - contended counter: each party does N `lock.acquireSync(); counter += 1;
 *   lock.release()` on one shared counter;
 * - ping-pong: M round trips between the two parties over two semaphores
 *   (one releases `ping` and acquires `pong`, the other the reverse), so
 *   every step is a sleep and a wake-up in the other party.
 *
 * Only the work is timed: the parties start, count themselves ready and
 * spin on a "go" word the main thread sets; the last one done sets an
 * Event the main thread awaits. See bench/README.md.
 */

import { processes, threads } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';

const N = 1_000_000;
const PING_PONGS = 20_000;
const PARTIES = 2;
const ROUNDS = 7;

// ctl words: [0] parties ready, [1] go, [2] parties done.
const READY = 0;
const GO = 1;

function counterParty(lock, counter, n, control, done) {
  const ctl = control.view;
  const count = counter.view;
  Atomics.add(ctl, 0, 1);
  while (Atomics.load(ctl, 1) === 0);
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    count[0]++;
    lock.release();
  }
  if (Atomics.add(ctl, 2, 1) === 1) done.set();
}

function pingParty(first, ping, pong, n, control, done) {
  const ctl = control.view;
  Atomics.add(ctl, 0, 1);
  while (Atomics.load(ctl, 1) === 0);
  for (let i = 0; i < n; i++) {
    if (first) {
      ping.release();
      pong.acquireSync();
    } else {
      ping.acquireSync();
      pong.release();
    }
  }
  if (Atomics.add(ctl, 2, 1) === 1) done.set();
}

/** Starts the parties of one race in `scope`, lets them go, and resolves the seconds the work took. */
async function race(scope, target, argsOf) {
  const control = new scope.SharedArray('i', 3, { lock: false });
  const ctl = control.view;
  const done = new scope.Event();
  const Party = scope === processes ? processes.Process : threads.Thread;
  const parties = Array.from({ length: PARTIES }, (_, i) => new Party({ target, args: [...argsOf(i), control, done] }));
  for (const party of parties) party.start();
  while (Atomics.load(ctl, READY) < PARTIES) await new Promise((resolve) => setTimeout(resolve, 1));
  const started = performance.now();
  Atomics.store(ctl, GO, 1);
  await done.wait();
  const seconds = (performance.now() - started) / 1000;
  for (const party of parties) await party.join();
  const failed = parties.find((party) => party.exitCode !== undefined && party.exitCode !== null && party.exitCode !== 0);
  if (failed) throw new Error(`a party exited with ${failed.exitCode}`);
  return seconds;
}

async function contended(scope) {
  const lock = new scope.Lock();
  const counter = new scope.SharedArray('i', 1, { lock: false });
  const seconds = await race(scope, counterParty, () => [lock, counter, N]);
  return { rate: (PARTIES * N) / seconds, right: counter.view[0] === PARTIES * N, value: counter.view[0] };
}

async function pingPong(scope) {
  const ping = new scope.Semaphore(0);
  const pong = new scope.Semaphore(0);
  const seconds = await race(scope, pingParty, (i) => [i === 0, ping, pong, PING_PONGS]);
  return { micros: (seconds * 1e6) / PING_PONGS, right: true };
}

heading(
  'processes-lock',
  `${PARTIES} parties — child processes (processes scope) or worker threads (threads scope); start-up not timed`,
  `contended: ${number(N, 0)} locked increments each of one shared counter; ping-pong: ${number(PING_PONGS, 0)} round trips over two semaphores`,
  `${ROUNDS} rounds, scopes back to back in each; medians over rounds; processes vs threads: the median of the per-round ratios`,
);

const rows = { contended: { threads: [], processes: [] }, pingPong: { threads: [], processes: [] } };
let wrong = false;
for (let round = 0; round < ROUNDS; round++) {
  for (const scope of [threads, processes]) {
    const name = scope === threads ? 'threads' : 'processes';
    const c = await contended(scope);
    if (!c.right) {
      wrong = true;
      console.log(`ERROR: ${name} counter ended at ${c.value}, not ${PARTIES * N}`);
    }
    rows.contended[name].push(c.rate);
    rows.pingPong[name].push((await pingPong(scope)).micros);
  }
}

const paired = (kind, better) => median(rows[kind].threads.map((t, i) => (better === 'higher' ? t / rows[kind].processes[i] : rows[kind].processes[i] / t)));
const contendedRatio = paired('contended', 'higher'); // how many times slower the processes scope is
const pingRatio = paired('pingPong', 'lower');
table(['measure', 'threads scope', 'processes scope', 'processes cost vs threads'], [
  ['contended counter, ops/s', number(median(rows.contended.threads), 0), number(median(rows.contended.processes), 0), ratio(contendedRatio)],
  ['ping-pong round trip, µs', number(median(rows.pingPong.threads)), number(median(rows.pingPong.processes)), ratio(pingRatio)],
]);
target('processes-scope contended counter time vs threads scope', contendedRatio, '<=', 1.5);
target('processes-scope ping-pong round trip vs threads scope', pingRatio, '<=', 1.5);
if (wrong) process.exitCode = 1;
process.exit();
