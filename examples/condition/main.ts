// A producer and a consumer thread share a bounded buffer guarded by a Condition: every item arrives once, in order.
import assert from 'node:assert/strict';
import { Condition, SharedArray, Thread } from 'weft';

const CAPACITY = 4;
const ITEMS = 1000;
// [0] count in buffer, [1] head, [2] tail, [3 .. 3+CAPACITY) slots, then [7] received sum, [8] order errors
const buffer = new SharedArray('i', 3 + CAPACITY + 2);
const cond = new Condition();

function produce(cond: Condition, buf: SharedArray<'i'>, capacity: number, items: number): void {
  for (let item = 1; item <= items; item++) {
    using _held = cond.holdSync();
    cond.waitForSync(() => buf[0]! < capacity);
    buf[3 + buf[2]!] = item;
    buf[2] = (buf[2]! + 1) % capacity;
    buf[0] = buf[0]! + 1;
    cond.notify();
  }
}

function consume(cond: Condition, buf: SharedArray<'i'>, capacity: number, items: number): void {
  let expected = 1;
  for (let n = 0; n < items; n++) {
    using _held = cond.holdSync();
    cond.waitForSync(() => buf[0]! > 0);
    const item = buf[3 + buf[1]!]!;
    buf[1] = (buf[1]! + 1) % capacity;
    buf[0] = buf[0]! - 1;
    if (item !== expected++) buf[3 + capacity + 1] = buf[3 + capacity + 1]! + 1;
    buf[3 + capacity] = buf[3 + capacity]! + item;
    cond.notify();
  }
}

const producer = new Thread({ target: produce, args: [cond, buffer, CAPACITY, ITEMS] });
const consumer = new Thread({ target: consume, args: [cond, buffer, CAPACITY, ITEMS] });
producer.start();
consumer.start();
await Promise.all([producer.join(), consumer.join()]);

const sum = buffer[3 + CAPACITY]!;
console.log(`consumer received ${ITEMS} items through a ${CAPACITY}-slot buffer; sum ${sum} (expected ${(ITEMS * (ITEMS + 1)) / 2}), out of order: ${buffer[3 + CAPACITY + 1]}`);
assert.equal(sum, (ITEMS * (ITEMS + 1)) / 2);
assert.equal(buffer[3 + CAPACITY + 1], 0);
