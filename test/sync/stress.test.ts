// Several workers hammer each primitive with random timeouts while the main
// thread joins in with random aborts. Invariants are checked by shared
// counters; a violation is counted, never just logged. Every run is bounded:
// each party does a fixed number of operations and every wait has a timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Thread } from '../../src/run/thread.js';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { Semaphore } from '../../src/sync/semaphore.js';
import { Condition } from '../../src/sync/condition.js';

const WORKERS = 3;
const ROUNDS = 3000;

// stats words: [0] inside now, [1] most inside at once, [2] acquisitions, [3] violations
function stats(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * 4));
}

async function runWorkers(target: (...args: any[]) => unknown, args: unknown[], main?: () => Promise<void>): Promise<void> {
  const threads = Array.from({ length: WORKERS }, () => new Thread({ target, args: args as never }));
  for (const thread of threads) thread.start();
  await main?.();
  for (const thread of threads) await thread.join();
  for (const thread of threads) assert.equal(thread.exception, undefined, String(thread.exception));
}

test('Lock and RLock: mutual exclusion under random timeouts and aborts', async () => {
  for (const make of [() => new Lock(), () => new RLock()]) {
    const lock = make();
    const s = stats();
    const enter = (s: Int32Array) => {
      const inside = Atomics.add(s, 0, 1) + 1;
      if (inside !== 1) Atomics.add(s, 3, 1);
      Atomics.add(s, 2, 1);
      Atomics.sub(s, 0, 1);
    };
    const target = (lock: Lock, s: Int32Array, rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const timeout = Math.random() < 0.5 ? undefined : Math.random() * 0.5;
        if (!lock.acquireSync(timeout === undefined ? undefined : { timeout })) continue;
        const inside = Atomics.add(s, 0, 1) + 1;
        if (inside !== 1) Atomics.add(s, 3, 1);
        Atomics.add(s, 2, 1);
        Atomics.sub(s, 0, 1);
        lock.release();
      }
    };
    await runWorkers(target, [lock, s, ROUNDS], async () => {
      for (let i = 0; i < 300; i++) {
        const controller = new AbortController();
        const pending = lock.acquire({ signal: controller.signal, timeout: 5 });
        if (Math.random() < 0.5) controller.abort();
        const got = await pending.catch(() => false);
        if (got) {
          enter(s);
          lock.release();
        }
      }
    });
    assert.equal(s[3], 0, 'two parties were inside at once');
    assert.ok(s[2]! > 0);
    assert.equal(lock.locked(), false);
  }
});

test('Semaphore(2): never more than two inside; every unit comes back', async () => {
  const sem = new Semaphore(2);
  const s = stats();
  const target = (sem: Semaphore, s: Int32Array, rounds: number) => {
    for (let i = 0; i < rounds; i++) {
      if (!sem.acquireSync({ timeout: Math.random() })) continue;
      const inside = Atomics.add(s, 0, 1) + 1;
      if (inside > 2) Atomics.add(s, 3, 1);
      for (let most = Atomics.load(s, 1); inside > most; most = Atomics.load(s, 1)) Atomics.compareExchange(s, 1, most, inside);
      Atomics.add(s, 2, 1);
      Atomics.sub(s, 0, 1);
      sem.release();
    }
  };
  await runWorkers(target, [sem, s, ROUNDS], async () => {
    for (let i = 0; i < 300; i++) {
      const controller = new AbortController();
      const pending = sem.acquire({ signal: controller.signal });
      if (Math.random() < 0.5) controller.abort();
      if (await pending.catch(() => false)) sem.release();
    }
  });
  assert.equal(s[3], 0, 'more than two were inside');
  assert.ok(s[1]! <= 2);
  assert.equal(sem.value, 2, 'units lost or created');
});

test('Condition: a bounded buffer moves every item exactly once', async () => {
  // words: [0] items in the buffer, [1] produced, [2] consumed, [3] sum of produced item numbers
  const cond = new Condition(new Lock());
  const words = new Int32Array(new SharedArrayBuffer(8 * 4));
  const ITEMS = 2000;
  const producer = (cond: Condition, w: Int32Array, items: number) => {
    for (let i = 1; i <= items; i++) {
      cond.acquireSync();
      while (w[0]! >= 4) cond.waitSync({ timeout: 50 });
      w[0]!++;
      w[1]!++;
      w[3] = (w[3]! + i) | 0;
      cond.notifyAll();
      cond.release();
    }
  };
  const consumer = (cond: Condition, w: Int32Array, total: number) => {
    for (;;) {
      cond.acquireSync();
      while (w[0] === 0 && w[2]! < total) cond.waitSync({ timeout: 50 });
      if (w[2]! >= total) {
        cond.release();
        return;
      }
      w[0]!--;
      w[2]!++;
      cond.notifyAll();
      cond.release();
    }
  };
  const producers = [0, 1].map(() => new Thread({ target: producer, args: [cond, words, ITEMS] }));
  const consumers = [0, 1].map(() => new Thread({ target: consumer, args: [cond, words, 2 * ITEMS] }));
  for (const thread of [...producers, ...consumers]) thread.start();
  for (const thread of [...producers, ...consumers]) await thread.join();
  for (const thread of [...producers, ...consumers]) assert.equal(thread.exception, undefined);
  assert.equal(words[1], 2 * ITEMS);
  assert.equal(words[2], 2 * ITEMS);
  assert.equal(words[0], 0);
});
