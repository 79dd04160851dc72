// Three threads append to "one list" under a lock: a plain array is copied into each thread, a SharedArray is shared.
import assert from 'node:assert/strict';
import { Lock, SharedArray, Thread } from 'weft';

// A plain array crosses by structured clone: each thread appends to its own copy.
const plain: number[] = [];
const copiers = [1, 2, 3].map(
  (id) => new Thread({ target: (list: number[], id: number) => { list.push(id); }, args: [plain, id] }),
);
for (const thread of copiers) thread.start();
for (const thread of copiers) await thread.join();
console.log(`plain array after three threads appended: [${plain.join(', ')}] (each thread changed its own copy)`);
assert.deepEqual(plain, []);

// A SharedArray lives in shared memory: every thread sees the same slots.
// Slot 0 is the list's length; the lock makes "read length, write, bump" one step.
const shared = new SharedArray('i', 4);
const lock = new Lock();
function append(list: SharedArray<'i'>, lock: Lock, id: number): void {
  using _held = lock.holdSync();
  const length = list[0]!;
  list[1 + length] = id;
  list[0] = length + 1;
}
const appenders = [1, 2, 3].map((id) => new Thread({ target: append, args: [shared, lock, id] }));
for (const thread of appenders) thread.start();
for (const thread of appenders) await thread.join();
const items = shared.slice(1, 1 + shared[0]!).sort();
console.log(`shared array after three threads appended: [${items.join(', ')}] (one list, seen by all)`);
assert.deepEqual(items, [1, 2, 3]);
