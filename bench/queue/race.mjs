/**
 * The handshake every queue scenario uses, so that only the transfer is
 * timed: each party adds itself to `ctl[READY]` once it is set up and then
 * waits while `ctl[GO]` is 0; the main thread waits for all of them, takes
 * the absolute time and sets GO. Consumers stamp the absolute time of their
 * last item (`performance.timeOrigin + performance.now()`, one clock for every
 * thread of the process) into shared memory.
 *
 * Also: running a CPython peer script and reading the JSON line it prints.
 */

import { spawn } from 'node:child_process';

export const READY = 0;
export const GO = 1;

/** The absolute clock every thread of the process shares (milliseconds). */
export const now = () => performance.timeOrigin + performance.now();

export function sharedInt32(length) {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

export function sharedFloat64(length) {
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

/** Waits (without blocking the event loop) until `parties` have announced they are ready. */
export async function ready(ctl, parties) {
  for (let seen = Atomics.load(ctl, READY); seen < parties; seen = Atomics.load(ctl, READY)) {
    const parked = Atomics.waitAsync(ctl, READY, seen);
    if (parked.async) await parked.value;
  }
}

/** Releases every party waiting on GO; returns the absolute time just before. */
export function go(ctl) {
  const started = now();
  Atomics.store(ctl, GO, 1);
  Atomics.notify(ctl, GO);
  return started;
}

/** Resolves when a raw Worker exits; rejects on an error or a non-zero exit code. */
export function exited(worker, what) {
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}`))));
  });
}

/** Joins weft Threads; rejects with the first exception a target raised. */
export async function joined(threads) {
  await Promise.all(threads.map((thread) => thread.join()));
  const failed = threads.find((thread) => thread.exception !== undefined);
  if (failed) throw failed.exception;
}

export const PYTHON = process.env.PYTHON ?? 'python3';

/** Runs `python3 script ...args`; resolves the object of the JSON line it printed last. */
export function python(script, args) {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(PYTHON, [script, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${PYTHON} exited with ${code ?? signal}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      } catch {
        reject(new Error(`${PYTHON} printed no JSON result: ${stdout.trim().slice(0, 200)}`));
      }
    });
  });
}
