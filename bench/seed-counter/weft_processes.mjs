/**
 * The seed program with weft's processes scope: five child processes, one
 * processes-scope Value('i', 0), each doing 100,000 increments under the
 * Value's own lock — the same program as python_mp.py
 * (`with counter.get_lock(): counter.value += 1`). Prints the final value
 * (500000 when nothing was lost).
 */

import { getContext } from 'weft';

const PROCESSES = 5;
const INCREMENTS = 100_000;

function increment(counter, n) {
  for (let i = 0; i < n; i++) {
    const lock = counter.getLock();
    lock.acquireSync();
    counter.value += 1;
    lock.release();
  }
}

const processes = getContext('processes');
const counter = new processes.Value('i', 0);
const children = Array.from({ length: PROCESSES }, () => new processes.Process({ target: increment, args: [counter, INCREMENTS] }));
for (const child of children) child.start();
for (const child of children) await child.join();
console.log(counter.value);
