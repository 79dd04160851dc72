/**
 * The hand-written pool the pool scenarios hold the libraries against: the
 * least a pool over `postMessage` can do. Two bare worker_threads Workers,
 * tasks dealt round-robin, one message per task each way, one promise per
 * task. Each worker answers its messages in the order it got them, so the
 * main side keeps one FIFO of pending promises per worker instead of ids.
 */

import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort } = require('node:worker_threads');
import(${JSON.stringify(new URL('./tasks.mjs', import.meta.url).href)}).then((tasks) => {
  parentPort.on('message', ({ task, arg }) => {
    let reply;
    try {
      reply = { value: tasks[task](arg) };
    } catch (error) {
      reply = { error };
    }
    parentPort.postMessage(reply);
  });
  parentPort.postMessage('ready');
});
`;

/** The pending promises of one worker, oldest first. */
class Fifo {
  #items = [];
  #head = 0;

  push(item) {
    this.#items.push(item);
  }

  shift() {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    return item;
  }
}

export class EchoPool {
  #workers;
  #pending;
  #next = 0;

  constructor(workers, pending) {
    this.#workers = workers;
    this.#pending = pending;
  }

  /** Starts `size` workers and resolves once each has loaded the tasks. */
  static async start(size) {
    const workers = [];
    const pending = [];
    const ready = [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER, { eval: true });
      const fifo = new Fifo();
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', resolve);
        }),
      );
      worker.on('message', (reply) => {
        if (reply === 'ready') return;
        const { resolve, reject } = fifo.shift();
        if ('error' in reply) reject(reply.error);
        else resolve(reply.value);
      });
      workers.push(worker);
      pending.push(fifo);
    }
    await Promise.all(ready);
    return new EchoPool(workers, pending);
  }

  /** Runs `tasks[task](arg)` on the next worker in turn; `transferList` as for `postMessage`. */
  run(task, arg, transferList) {
    const index = this.#next;
    this.#next = index + 1 === this.#workers.length ? 0 : index + 1;
    return new Promise((resolve, reject) => {
      this.#pending[index].push({ resolve, reject });
      this.#workers[index].postMessage({ task, arg }, transferList);
    });
  }

  async close() {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
