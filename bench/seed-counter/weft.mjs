/**
 * The seed program with weft: five threads, one shared Value('i', 0), each
 * doing 100,000 increments under the Value's own lock — the same program as
 * python_mp.py (`with counter.get_lock(): counter.value += 1`). Prints the
 * final value (500000 when nothing was lost).
 */

import { Thread, Value } from 'weft';

const THREADS = 5;
const INCREMENTS = 100_000;

function increment(counter, n) {
  for (let i = 0; i < n; i++) {
    const lock = counter.getLock();
    lock.acquireSync();
    counter.value += 1;
    lock.release();
  }
}

const counter = new Value('i', 0);
const threads = Array.from({ length: THREADS }, () => new Thread({ target: increment, args: [counter, INCREMENTS] }));
for (const thread of threads) thread.start();
for (const thread of threads) await thread.join();
console.log(counter.value);
