// Five processes each do 100,000 locked read-modify-write increments of one processes-scope Value: exactly 500,000 (Python's multiprocessing.Value + Lock program).
import assert from 'node:assert/strict';
import { getContext, type Value } from 'weft';

const processes = getContext('processes'); // the same classes, in memory every process on the host can map
const counter = new processes.Value('i', 0); // with its own lock, itself processes-scope

function increment(counter: Value<'i'>, times: number): void {
  // `counter` arrived as a live handle on the parent's shared memory, not a copy.
  const lock = counter.getLock();
  for (let i = 0; i < times; i++) {
    lock.acquireSync();
    counter.value += 1; // a read and a write: only atomic under the lock
    lock.release();
  }
}

const started = performance.now();
const children = Array.from({ length: 5 }, () => new processes.Process({ target: increment, args: [counter, 100_000] }));
for (const child of children) child.start();
for (const child of children) await child.join();

console.log(`counter.value = ${counter.value} (expected 500000) from ${children.length} processes in ${Math.round(performance.now() - started)} ms`);
assert.deepEqual(children.map((child) => child.exitCode), [0, 0, 0, 0, 0]);
assert.equal(counter.value, 500_000);
