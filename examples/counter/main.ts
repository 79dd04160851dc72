// Five threads each do 100,000 locked read-modify-write increments of one shared Value: exactly 500,000.
import assert from 'node:assert/strict';
import { Thread, Value } from 'weft';

const counter = new Value('i', 0);

function increment(counter: Value<'i'>, times: number): void {
  for (let i = 0; i < times; i++) {
    const lock = counter.getLock();
    lock.acquireSync();
    counter.value += 1; // a read and a write: only atomic under the lock
    lock.release();
  }
}

const started = performance.now();
const threads = Array.from({ length: 5 }, () => new Thread({ target: increment, args: [counter, 100_000] }));
for (const thread of threads) thread.start();
for (const thread of threads) await thread.join();

console.log(`counter.value = ${counter.value} (expected 500000) in ${Math.round(performance.now() - started)} ms`);
assert.equal(counter.value, 500_000);
