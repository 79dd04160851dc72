// A producer thread feeds a Queue({ maxsize: 5 }) and a consumer thread drains it until a sentinel: every item once, in order.
import assert from 'node:assert/strict';
import { Queue, SharedArray, Thread } from 'weft';

const SENTINEL = null;
const queue = new Queue<{ id: number; text: string } | null>({ maxsize: 5 });
// [0] items received, [1] sum of ids, [2] most items seen in the queue at once
const stats = new SharedArray('i', 3);

function produce(queue: Queue<{ id: number; text: string } | null>, count: number, sentinel: null): void {
  for (let id = 1; id <= count; id++) queue.putSync({ id, text: `item ${id}` }); // waits while 5 are queued
  queue.putSync(sentinel);
}

function consume(queue: Queue<{ id: number; text: string } | null>, stats: SharedArray<'i'>): void {
  let expected = 1;
  for (;;) {
    stats[2] = Math.max(stats[2]!, queue.qsize());
    const item = queue.getSync();
    if (item === null) return;
    if (item.id !== expected++) throw new Error(`out of order: ${item.id}`);
    stats[0] = stats[0]! + 1;
    stats[1] = stats[1]! + item.id;
  }
}

const producer = new Thread({ target: produce, args: [queue, 1000, SENTINEL] });
const consumer = new Thread({ target: consume, args: [queue, stats] });
producer.start();
consumer.start();
await Promise.all([producer.join(), consumer.join()]);
assert.equal(consumer.exception, undefined);

console.log(`received ${stats[0]} items in order, id sum ${stats[1]} (expected ${(1000 * 1001) / 2}); the queue never held more than ${stats[2]} (maxsize 5)`);
assert.equal(stats[0], 1000);
assert.equal(stats[1], (1000 * 1001) / 2);
assert.ok(stats[2]! <= 5);
