// The frame ring's procedures driven step by step, to pin down interleavings
// a stress test only hits by luck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameRing } from '../../src/queue/ring.js';
import { CAPACITY, GET_LOCK, HEADER_WORDS, itemCount, MAX_CAPACITY, PUT_LOCK } from '../../src/queue/layout.js';
import { atomicsWaiter } from '../../src/memory/waiter.js';
import { runSync } from '../../src/memory/steps.js';
import { ownerName, threadOwner } from '../../src/queue/side-lock.js';

/** Thread ids no real thread of this test gets, for the parties the main thread plays. */
const OTHER_THREAD = 1 << 22;

function ring(capacity: number, maxCapacity: number): { words: Int32Array; ring: FrameRing; as: (thread: number) => FrameRing } {
  const words = new Int32Array(new SharedArrayBuffer(HEADER_WORDS * 4));
  words[CAPACITY] = capacity;
  words[MAX_CAPACITY] = maxCapacity;
  const buffer = new SharedArrayBuffer(capacity, { maxByteLength: maxCapacity });
  return { words, ring: new FrameRing(words, buffer, atomicsWaiter), as: (thread) => new FrameRing(words, buffer, atomicsWaiter, threadOwner(ownerName(thread))) };
}

const bytes = (n: number) => new Uint8Array(n).fill(7);
const scratch = () => new Uint8Array(0);
const length = (raw: { length: number }) => raw.length;

test('a put already past its shutdown check still delivers to a get after shutdown()', () => {
  const { words, ring: r } = ring(256, 4096);
  words[GET_LOCK] = ownerName(OTHER_THREAD); // a consumer is reading: the put's growth must wait for getLock
  const put = r.put(bytes(1000), 1000, 0, 0, true, Infinity);
  assert.equal(put.next().done, false, 'the put parks waiting to grow the ring');
  assert.equal(words[PUT_LOCK] !== 0, true, 'holding putLock');

  runSync(r.shutdown(false), atomicsWaiter);
  const get = r.get(true, Infinity, scratch, length);
  // Shut down and empty — but a put is in flight: the get must wait for it, not report 'shutdown'.
  assert.equal(get.next().done, false, 'the get waits for the put in flight');

  words[GET_LOCK] = 0; // the consumer finished reading
  let step = put.next('ok');
  while (!step.done) step = put.next('ok');
  assert.equal(step.value, undefined, 'the put delivered');
  assert.equal(itemCount(words), 1);

  let got = get.next('ok');
  while (!got.done) got = get.next('ok');
  assert.equal(got.value, 1000, 'the get took the item instead of reporting shut down');
});

test('an immediate shutdown waits for a put in flight and drops its item too', () => {
  const { words, ring: r, as } = ring(256, 4096);
  words[GET_LOCK] = ownerName(OTHER_THREAD);
  const put = as(OTHER_THREAD + 1).put(bytes(1000), 1000, 0, 0, true, Infinity);
  put.next();
  const shutdown = r.shutdown(true);
  assert.equal(shutdown.next().done, false, 'shutdown waits for putLock');
  words[GET_LOCK] = 0;
  let step = put.next('ok');
  while (!step.done) step = put.next('ok');
  let rest = shutdown.next('ok');
  while (!rest.done) rest = shutdown.next('ok');
  assert.equal(itemCount(words), 0, 'nothing left stranded');
  assert.equal(runSync(r.events.join(performance.now() + 100), atomicsWaiter), true, 'join does not wait for a dropped item');
});

test('shutdown() changes the word every parked party sleeps on: no wake-up is lost between check and sleep', () => {
  // A getter on an empty queue, about to sleep.
  const empty = ring(256, 256);
  const get = empty.ring.get(true, Infinity, scratch, length);
  const getterPark = get.next().value as { words: Int32Array; index: number; expected: number };
  // A putter short of ring space, about to sleep.
  const full = ring(256, 256);
  const filler = full.ring.put(bytes(200), 200, 0, 0, true, Infinity);
  while (!filler.next('ok').done);
  const put = full.ring.put(bytes(200), 200, 0, 0, true, Infinity);
  const putterPark = put.next().value as { words: Int32Array; index: number; expected: number };
  // Nothing changes while they are parked...
  assert.equal(Atomics.load(getterPark.words, getterPark.index), getterPark.expected);
  assert.equal(Atomics.load(putterPark.words, putterPark.index), putterPark.expected);
  // ...until shutdown lands, after both checked "open" and before they sleep.
  runSync(empty.ring.shutdown(false), atomicsWaiter);
  runSync(full.ring.shutdown(false), atomicsWaiter);
  for (const park of [getterPark, putterPark]) {
    assert.notEqual(Atomics.load(park.words, park.index), park.expected, 'a sleep started now returns at once');
  }
  let step = put.next('not-equal');
  while (!step.done) step = put.next('not-equal');
  assert.equal(step.value, 'shutdown');
  let got = get.next('not-equal');
  while (!got.done) got = get.next('not-equal');
  assert.equal(got.value, 'shutdown');
});
