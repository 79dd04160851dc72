// Five threads share a Semaphore(3): a shared counter shows never more than three are inside at once.
import assert from 'node:assert/strict';
import { Semaphore, SharedArray, Thread } from 'weft';

const slots = new Semaphore(3);
// [0] inside now, [1] most inside at once, [2] total entries
const stats = new SharedArray('i', 3, { lock: false });

function work(slots: Semaphore, stats: SharedArray<'i'>, rounds: number): void {
  const words = stats.view as Int32Array;
  for (let i = 0; i < rounds; i++) {
    using _slot = slots.holdSync();
    const inside = Atomics.add(words, 0, 1) + 1;
    for (let most = Atomics.load(words, 1); inside > most; most = Atomics.load(words, 1)) {
      Atomics.compareExchange(words, 1, most, inside);
    }
    Atomics.add(words, 2, 1);
    for (let spin = 0; spin < 2000; spin++); // hold the slot a moment
    Atomics.sub(words, 0, 1);
  }
}

const threads = Array.from({ length: 5 }, () => new Thread({ target: work, args: [slots, stats, 2000] }));
for (const thread of threads) thread.start();
for (const thread of threads) await thread.join();

console.log(`${stats[2]} entries by 5 threads; most inside at once: ${stats[1]} (limit 3)`);
assert.equal(stats[2], 5 * 2000);
assert.ok(stats[1]! <= 3);
assert.equal(slots.value, 3);
