// A ThreadPoolExecutor hashes strings: submit() gives futures, map() gives results in input order, asCompleted() as they finish.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ThreadPoolExecutor, asCompleted } from 'weft';

// Sent to the workers as source: no captured variables, so node:crypto is imported inside.
async function sha256(text: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
const expected = words.map((word) => createHash('sha256').update(word).digest('hex').slice(0, 16));

await using pool = new ThreadPoolExecutor({ maxWorkers: 3 });

// submit: one future per call.
const future = pool.submit(sha256, 'alpha');
console.log(`submit(sha256, 'alpha') -> ${await future}`);
assert.equal(await future, expected[0]);

// map: the results come back in the order of the inputs, whichever worker finishes first.
const hashes: string[] = [];
for await (const hash of pool.map(sha256, words)) hashes.push(hash);
for (const [i, word] of words.entries()) console.log(`map: ${word.padEnd(8)} ${hashes[i]}`);
assert.deepEqual(hashes, expected);

// asCompleted: futures as they finish; a longer sleep finishes later.
function sleepThenEcho(ms: number, text: string): string {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // a blocking sleep: fine in a worker
  return text;
}
const futures = [300, 100, 200].map((ms) => pool.submit(sleepThenEcho, ms, `slept ${ms} ms`));
const order: number[] = [];
for await (const { future, index } of asCompleted(futures)) {
  console.log(`asCompleted: future ${index} done: ${await future}`);
  order.push(index);
}
assert.deepEqual(order, [1, 2, 0]);

const stats = pool.stats();
console.log(`stats: ${stats.completed} completed, ${stats.failed} failed, ${stats.workers.length} workers`);
assert.equal(stats.completed, 1 + words.length + futures.length);
