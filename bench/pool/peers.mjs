/**
 * The peers of the pool scenarios — piscina, workerpool, tinypool, poolifier
 * and the hand-written `postMessage` pool — behind one small interface, each
 * set up the way its documentation recommends for a fixed pool of
 * {@link WORKERS} threads:
 *
 *   const pool = await peer.start();
 *   await pool.run('inc', 41);                       // a task of tasks.mjs by export name
 *   await pool.run('first', array, [array.buffer]);  // with a transfer list
 *   await pool.close();
 *
 * Every library runs the same functions, from `tasks.mjs`.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Piscina from 'piscina';
import { FixedThreadPool } from 'poolifier';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { EchoPool } from './echo-pool.mjs';

export const WORKERS = 2;

const TASKS = new URL('./tasks.mjs', import.meta.url);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function version(name) {
  return JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
}

/**
 * piscina and tinypool (a piscina fork) share one API: fixed at two threads
 * that never idle out (their default `idleTimeout` stops idle threads at
 * once, which piscina's README warns costs throughput), Atomics-based
 * wake-ups (their default), the task's export chosen with `name`.
 */
function piscinaLike(Pool, name) {
  return {
    name: `${name} ${version(name)}`,
    async start(options = {}) {
      const pool = new Pool({ filename: TASKS.href, minThreads: WORKERS, maxThreads: WORKERS, idleTimeout: Infinity, ...options });
      return {
        run: (task, arg, transferList) => pool.run(arg, { name: task, transferList }),
        close: () => pool.destroy(),
      };
    },
  };
}

const piscina = piscinaLike(Piscina, 'piscina');
const tinypool = piscinaLike(Tinypool, 'tinypool');

/** workerpool: a dedicated worker script (`workerpool.worker({...})`), worker_threads, both workers started up front. */
const workerpoolPeer = {
  name: `workerpool ${version('workerpool')}`,
  async start() {
    const pool = workerpool.pool(here('./workerpool-worker.mjs'), { minWorkers: WORKERS, maxWorkers: WORKERS, workerType: 'thread' });
    return {
      run: (task, arg, transfer) => pool.exec(task, [arg], transfer ? { transfer } : undefined),
      close: () => pool.terminate(true),
    };
  },
};

/**
 * poolifier: a `FixedThreadPool` of a `ThreadWorker` holding the tasks by
 * name; its defaults (least-used worker choice, tasks sent to the workers at
 * once rather than held in its own per-worker queues).
 */
const poolifier = {
  name: `poolifier ${version('poolifier')}`,
  async start() {
    const pool = new FixedThreadPool(WORKERS, here('./poolifier-worker.mjs'), { errorHandler: () => {} });
    return {
      run: (task, arg, transferList) => pool.execute(arg, task, undefined, transferList),
      close: () => pool.destroy(),
    };
  },
};

/** The four libraries the targets compare weft with. */
export const LIBRARIES = [piscina, workerpoolPeer, tinypool, poolifier];

/**
 * piscina with `concurrentTasksPerWorker: 4`: each worker is handed up to
 * four tasks before it answers, so it never waits for the next message.
 * Documented for tasks with asynchronous parts, but it also pipelines
 * trivial synchronous ones: ~52–55 k tasks/s here against ~31 k with the
 * default of 1 (4, 8, 16 and 64 measured alike; the same option did not
 * lift tinypool at 200,000 tasks). The throughput and memory scenarios
 * count it among the libraries, as piscina at its best.
 */
export const PISCINA_PIPELINED = {
  name: `${piscina.name} (concurrentTasksPerWorker: 4)`,
  start: () => piscina.start({ concurrentTasksPerWorker: 4 }),
};

/** The hand-written pool (see echo-pool.mjs): two bare Workers, round-robin, a message and a promise per task. */
export const ECHO = {
  name: 'hand-written postMessage pool (2 Workers, round-robin)',
  async start() {
    const pool = await EchoPool.start(WORKERS);
    return { run: (task, arg, transferList) => pool.run(task, arg, transferList), close: () => pool.close() };
  },
};
