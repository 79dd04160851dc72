/**
 * lock-uncontended: the cost of an acquire/release pair nobody competes for,
 * against the two atomic instructions a lock cannot do without (a CAS to take
 * the word, a store to free it). See bench/README.md.
 */

import { Lock } from 'weft';
import { heading, median, number, ratio, table, target } from './lib/report.mjs';

const OPS = 1_000_000;
const WARMUP_BATCHES = 5;
const BATCHES = 15;

const word = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
const RESOLVED = Promise.resolve(true);

// One function per variant, each calling exactly one thing, so every loop
// stays monomorphic and is optimised on its own.

function rawPair(n) {
  for (let i = 0; i < n; i++) {
    Atomics.compareExchange(word, 0, 0, 1);
    Atomics.store(word, 0, 0);
  }
}

function weftSync(n) {
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    lock.release();
  }
}

async function rawPairAwait(n) {
  for (let i = 0; i < n; i++) {
    await RESOLVED;
    Atomics.compareExchange(word, 0, 0, 1);
    Atomics.store(word, 0, 0);
  }
}

async function weftAsync(n) {
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
}

const variants = [
  { name: 'raw CAS + store', loop: rawPair },
  { name: 'raw await + CAS + store', loop: rawPairAwait },
  { name: 'weft acquireSync() + release()', loop: weftSync },
  { name: 'weft await acquire() + release()', loop: weftAsync },
];

/** Nanoseconds per op of one batch. */
async function batch(loop) {
  const start = performance.now();
  await loop(OPS);
  return ((performance.now() - start) * 1e6) / OPS;
}

heading(
  'lock-uncontended',
  `one thread; ${number(OPS)} acquire/release pairs per batch; ${WARMUP_BATCHES} warm-up batches, then the median of ${BATCHES} timed batches (variants interleaved)`,
);

for (let i = 0; i < WARMUP_BATCHES; i++) for (const variant of variants) await batch(variant.loop);
const samples = variants.map(() => []);
for (let i = 0; i < BATCHES; i++) {
  for (const [v, variant] of variants.entries()) samples[v].push(await batch(variant.loop));
}
if (lock.locked() || word[0] !== 0) throw new Error('lock-uncontended: a loop left its lock held');

const [raw, rawAwait, sync, async] = samples.map(median);
table(
  ['variant', 'ns/op (median)', 'min', 'max', 'vs raw', 'vs raw+await'],
  variants.map((variant, v) => {
    const ns = median(samples[v]);
    return [variant.name, number(ns), number(Math.min(...samples[v])), number(Math.max(...samples[v])), ratio(ns / raw), ratio(ns / rawAwait)];
  }),
);
target('weft acquireSync()+release() vs raw CAS+store', sync / raw, '<=', 1.3);
target('weft await acquire()+release() vs raw await+CAS+store', async / rawAwait, '<=', 4);
