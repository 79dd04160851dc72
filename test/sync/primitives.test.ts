// Behaviour the conformance suites (test/conformance/) do not cover: the
// JavaScript shape — AbortSignal, disposable holds, argument validation — and
// the fast-path promises (no notify when nobody waits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { Condition } from '../../src/sync/condition.js';
import { Semaphore } from '../../src/sync/semaphore.js';
import { BoundedSemaphore } from '../../src/sync/bounded-semaphore.js';
import { Event } from '../../src/sync/event.js';
import { Barrier } from '../../src/sync/barrier.js';
import { MEMORY, threadsMemory, type Memory } from '../../src/memory/memory.js';
import { BrokenBarrierError, InvalidStateError, TimeoutError } from '../../src/errors.js';

/** A threads-scope memory whose waiter counts notify calls. */
function countingMemory(): Memory & { notifies: number } {
  const memory = {
    ...threadsMemory,
    notifies: 0,
    waiter: {
      ...threadsMemory.waiter,
      notify(words: Int32Array, index: number, count: number) {
        memory.notifies++;
        return threadsMemory.waiter.notify(words, index, count);
      },
    },
  };
  return memory;
}

test('uncontended Lock, RLock, Semaphore and Event never call notify', async () => {
  const memory = countingMemory();
  class CLock extends Lock { static [MEMORY] = memory; }
  class CRLock extends RLock { static [MEMORY] = memory; }
  class CSemaphore extends Semaphore { static [MEMORY] = memory; }
  class CEvent extends Event { static [MEMORY] = memory; }
  const lock = new CLock();
  const rlock = new CRLock();
  const sem = new CSemaphore(1);
  const event = new CEvent();
  for (let i = 0; i < 100; i++) {
    lock.acquireSync();
    lock.release();
    await lock.acquire();
    lock.release();
    rlock.acquireSync();
    rlock.acquireSync();
    rlock.release();
    rlock.release();
    await sem.acquire();
    sem.release();
    event.set();
    event.clear();
  }
  assert.equal(memory.notifies, 0);
});

test('the async fast path resolves with a shared, already-settled promise', () => {
  const lock = new Lock();
  const first = lock.acquire();
  lock.release();
  const second = lock.acquire();
  lock.release();
  assert.equal(first, second);
});

test('Lock.acquire() rejects with the signal reason on abort and leaves the lock consistent', async () => {
  const lock = new Lock();
  await lock.acquire();
  const controller = new AbortController();
  const pending = lock.acquire({ signal: controller.signal });
  controller.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
  lock.release();
  assert.equal(lock.locked(), false);
  assert.equal(await lock.acquire({ timeout: 100 }), true);
});

test('an already-aborted signal rejects without acquiring', async () => {
  const lock = new Lock();
  await assert.rejects(lock.acquire({ signal: AbortSignal.abort(new Error('early')) }), /early/);
  assert.equal(lock.locked(), false);
});

test('an abort does not swallow the wake-up meant for another waiter', async () => {
  const lock = new Lock();
  await lock.acquire();
  const controller = new AbortController();
  const aborted = lock.acquire({ signal: controller.signal });
  const patient = lock.acquire({ timeout: 2000 });
  controller.abort();
  await assert.rejects(aborted);
  lock.release();
  assert.equal(await patient, true);
});

test('Semaphore and Event waits reject on abort', async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const acquiring = sem.acquire({ signal: controller.signal });
  const event = new Event();
  const waiting = event.wait({ signal: controller.signal });
  controller.abort(new Error('aborted'));
  await assert.rejects(acquiring, /aborted/);
  await assert.rejects(waiting, /aborted/);
  sem.release();
  assert.equal(sem.value, 1, 'the aborted acquire took nothing');
});

test('Condition.wait() rejects on abort with the lock re-acquired', async () => {
  const cond = new Condition(new Lock());
  await cond.acquire();
  const controller = new AbortController();
  const waiting = cond.wait({ signal: controller.signal });
  controller.abort(new Error('no more'));
  await assert.rejects(waiting, /no more/);
  assert.equal(cond.acquireSync({ blocking: false }), false, 'the lock is held again after the rejection');
  cond.release();
});

test('Barrier.wait() aborted breaks the barrier for the others', async () => {
  const barrier = new Barrier(3);
  const controller = new AbortController();
  const other = barrier.wait();
  const aborted = barrier.wait({ signal: controller.signal });
  controller.abort(new Error('leaving'));
  await assert.rejects(aborted, /leaving/);
  await assert.rejects(other, BrokenBarrierError);
  assert.equal(barrier.broken, true);
});

test('holds release on dispose, once', async () => {
  const lock = new Lock();
  {
    using held = lock.holdSync();
    assert.equal(lock.locked(), true);
    held.release();
    assert.equal(lock.locked(), false);
  } // disposing after an explicit release does not release again
  assert.equal(lock.locked(), false);
  {
    await using held = await lock.hold();
    assert.equal(held.held, true);
  }
  assert.equal(lock.locked(), false);
  const sem = new Semaphore(1);
  {
    using _slot = sem.holdSync();
    assert.equal(sem.value, 0);
  }
  assert.equal(sem.value, 1);
});

test('hold() that cannot acquire throws TimeoutError', async () => {
  const lock = new Lock();
  lock.acquireSync();
  await assert.rejects(lock.hold({ timeout: 5 }), TimeoutError);
  assert.throws(() => lock.holdSync({ blocking: false }), TimeoutError);
  lock.release();
});

test('timeouts are validated like Python\'s', async () => {
  const lock = new Lock();
  assert.throws(() => lock.acquireSync({ timeout: -1 }), RangeError);
  assert.throws(() => lock.acquireSync({ blocking: false, timeout: 1 }), TypeError);
  await assert.rejects(lock.acquire({ timeout: Number.NaN }), TypeError);
  assert.equal(lock.locked(), false, 'a rejected call acquires nothing');
});

test('misuse throws InvalidStateError or RangeError with a sentence naming the thing', () => {
  assert.throws(() => new Lock().release(), { name: 'InvalidStateError', message: /Lock\.release\(\): the lock is not locked/ });
  assert.throws(() => new RLock().release(), InvalidStateError);
  assert.throws(() => new Condition().notify(), InvalidStateError);
  assert.throws(() => new Semaphore(-1), { name: 'RangeError', message: /must be >= 0, got -1/ });
  assert.throws(() => new Semaphore(1.5), TypeError);
  assert.throws(() => new Semaphore().release(0), RangeError);
  const bounded = new BoundedSemaphore(2);
  assert.throws(() => bounded.release(), /released too many times/);
  assert.throws(() => new Barrier(0), RangeError);
  assert.throws(() => new Condition({} as never), TypeError);
});

test('Semaphore.release(n) wakes n waiters', async () => {
  const sem = new Semaphore(0);
  const waiters = [sem.acquire(), sem.acquire(), sem.acquire()];
  sem.release(2);
  const settled = await Promise.race([
    Promise.all(waiters.slice(0, 2)),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), 2000)),
  ]);
  assert.deepEqual(settled, [true, true]);
  assert.equal(await sem.acquire({ timeout: 10 }), false);
  sem.release();
  assert.equal(await waiters[2], true);
});

test('Event.wait() returns true for a set followed at once by a clear', async () => {
  const event = new Event();
  const waiting = event.wait({ timeout: 2000 });
  event.set();
  event.clear();
  assert.equal(await waiting, true);
});

test('Condition.notify(n) wakes exactly n of the waiters', async () => {
  const cond = new Condition(new Lock());
  let woken = 0;
  const waiters = Array.from({ length: 4 }, async () => {
    await cond.acquire();
    try {
      if (await cond.wait({ timeout: 300 })) woken++;
    } finally {
      cond.release();
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  await cond.acquire();
  cond.notify(2);
  cond.release();
  await Promise.all(waiters);
  assert.equal(woken, 2);
});

test('every primitive prints a readable state', async () => {
  const { inspect } = await import('node:util');
  const event = new Event();
  event.set();
  assert.match(Object.prototype.toString.call(event), /Event set/);
  assert.match(Object.prototype.toString.call(new BoundedSemaphore(2)), /BoundedSemaphore value=2\/2/);
  assert.match(Object.prototype.toString.call(new Barrier(3)), /Barrier filling, waiters=0\/3/);
  assert.match(Object.prototype.toString.call(new Condition()), /Condition waiters=0/);
  assert.match(inspect(new Lock()), /Lock unlocked/);
});
