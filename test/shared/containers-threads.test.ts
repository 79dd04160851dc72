// SharedDict and SharedList used by several threads at once: every update
// counted, invariants kept, shareables stored in them live everywhere, and
// the containers themselves arriving live through every way of crossing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedDict } from '../../src/shared/dict.js';
import { SharedList } from '../../src/shared/list.js';
import { Thread } from '../../src/run/thread.js';
import { Lock } from '../../src/sync/lock.js';
import { Condition } from '../../src/sync/condition.js';
import { Value } from '../../src/shared/value.js';
import { Queue } from '../../src/queue/queue.js';
import { ThreadPoolExecutor } from '../../src/pool/thread-pool.js';
import { inThread } from '../support/threads.js';

const ints = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

async function runAll(threads: Thread[]): Promise<void> {
  for (const thread of threads) thread.start();
  for (const thread of threads) await thread.join();
  for (const thread of threads) if (thread.exception !== undefined) throw thread.exception;
}

test('four threads and the main thread updating one SharedDict lose no update', async () => {
  const PER = 4000;
  const KEYS = 10;
  const counts = new SharedDict<string, number>();
  const workers = Array.from({ length: 4 }, (_, id) => new Thread({
    target: (d: SharedDict<string, number>, id: number, per: number, keys: number) => {
      for (let i = 0; i < per; i++) {
        const key = `k${i % keys}`;
        // Half the threads use compute(), half a read-modify-write inside withLockSync().
        if (id % 2 === 0) d.compute(key, (n = 0) => n + 1);
        else d.withLockSync((locked) => locked.set(key, (locked.get(key) ?? 0) + 1));
      }
    },
    args: [counts, id, PER, KEYS],
  }));
  const running = runAll(workers);
  // Meanwhile the main thread, without blocking its event loop.
  for (let i = 0; i < 200; i++) {
    await counts.withLock(async (d) => {
      const n = d.get('main', 0);
      await new Promise((resolve) => setImmediate(resolve));
      d.set('main', n + 1);
    });
  }
  await running;
  for (let k = 0; k < KEYS; k++) assert.equal(counts.get(`k${k}`), (4 * PER) / KEYS, `k${k}`);
  assert.equal(counts.get('main'), 200);
  assert.equal(counts.size, KEYS + 1);
});

test('a compound update under withLockSync keeps an invariant every other thread checks', async () => {
  const accounts = new SharedDict<string, number>({ a: 1000, b: 1000, c: 1000 });
  const violations = ints(2);
  const movers = Array.from({ length: 2 }, (_, seed) => new Thread({
    target: (d: SharedDict<string, number>, seed: number) => {
      let x = seed + 1;
      const names = ['a', 'b', 'c'];
      for (let i = 0; i < 3000; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        const from = names[x % 3]!;
        const to = names[(x >> 3) % 3]!;
        d.withLockSync((locked) => {
          locked.set(from, locked.get(from)! - 7);
          locked.set(to, locked.get(to)! + 7);
        });
      }
    },
    args: [accounts, seed],
  }));
  const checker = new Thread({
    target: (d: SharedDict<string, number>, out: Int32Array) => {
      for (let i = 0; i < 3000; i++) {
        const total = d.withLockSync((locked) => locked.get('a')! + locked.get('b')! + locked.get('c')!);
        if (total !== 3000) Atomics.add(out, 0, 1);
        Atomics.add(out, 1, 1);
      }
    },
    args: [accounts, violations],
  });
  await runAll([...movers, checker]);
  assert.equal(violations[1], 3000, 'the checker ran');
  assert.equal(violations[0], 0, 'no thread ever saw half a transfer');
  assert.equal([...accounts.values()].reduce((sum, n) => sum + n, 0), 3000);
});

test('readers in other threads see every item while a writer grows, shrinks and compacts the arena', async () => {
  const dict = new SharedDict<number, string>();
  // [0] reads of an item, [1] wrong values, [2] the writer is running, [3] it is done.
  const stats = ints(4);
  const writer = new Thread({
    target: (d: SharedDict<number, string>, out: Int32Array) => {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 6000; i++) {
          d.set(i, `v${i}:`.padEnd(10 + (i % 90), '.'));
          if (i === 100 && round === 0) {
            Atomics.store(out, 2, 1);
            Atomics.notify(out, 2);
          }
        }
        for (let i = 0; i < 6000; i += 2) d.delete(i);
      }
      Atomics.store(out, 3, 1);
    },
    args: [dict, stats],
  });
  const readers = Array.from({ length: 2 }, () => new Thread({
    target: (d: SharedDict<number, string>, out: Int32Array) => {
      Atomics.wait(out, 2, 0, 10_000); // until the writer has begun
      // Read for as long as the writer writes, and a little after.
      for (let n = 0; Atomics.load(out, 3) === 0 || n < 1000; n++) {
        const i = (n * 7919) % 6000;
        const value = d.get(i);
        if (value === undefined) continue;
        Atomics.add(out, 0, 1);
        if (value !== `v${i}:`.padEnd(10 + (i % 90), '.')) Atomics.add(out, 1, 1);
      }
    },
    args: [dict, stats],
  }));
  await runAll([writer, ...readers]);
  assert.ok(stats[0]! > 0, 'the readers found items');
  assert.equal(stats[1], 0, 'no reader saw a wrong value');
  assert.equal(dict.size, 3000);
  for (let i = 1; i < 6000; i += 2) assert.equal(dict.get(i), `v${i}:`.padEnd(10 + (i % 90), '.'));
});

test('a Lock, a Value, a Queue and a SharedList stored in a SharedDict are the same objects in every thread', async () => {
  const lock = new Lock();
  const hits = new Value('i', 0);
  const queue = new Queue<string>();
  const d = new SharedDict<string, unknown>({ lock, hits, queue, list: new SharedList<number>([1]) });
  await inThread((shared: SharedDict<string, any>) => {
    shared.get('lock').acquireSync();
    shared.get('hits').value += 41;
    shared.get('queue').putSync('from the worker');
    shared.get('list').append(2);
    const LockClass = shared.get('lock').constructor; // a new lock made in the worker (the class cannot be captured)
    shared.set('from worker', new LockClass());
  }, [d]);
  assert.equal(lock.locked(), true, 'the worker acquired this very lock');
  lock.release();
  assert.equal(hits.value, 41);
  assert.equal(await queue.get({ timeout: 5000 }), 'from the worker');
  assert.deepEqual((d.get('list') as SharedList<number>).toArray(), [1, 2]);
  const theirs = d.get('from worker') as Lock;
  await inThread((shared: SharedDict<string, any>) => {
    if (!shared.get('from worker').acquireSync({ blocking: false })) throw new Error('the lock was taken');
  }, [d]);
  assert.equal(theirs.locked(), true);
});

test('a Lock stored after a worker started reaches it live, and one the worker stores reaches this thread', async () => {
  const d = new SharedDict<string, Lock>();
  const control = ints(2);
  const worker = new Thread({
    target: (shared: SharedDict<string, Lock>, control: Int32Array) => {
      Atomics.wait(control, 0, 0, 10_000); // until the lock is stored
      const lock = shared.get('stored later')!;
      lock.acquireSync();
      shared.set('from the worker', new (lock.constructor as new () => Lock)());
      Atomics.store(control, 1, 1);
      Atomics.notify(control, 1);
    },
    args: [d, control],
  });
  worker.start();
  const lock = new Lock();
  d.set('stored later', lock);
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
  while (Atomics.load(control, 1) === 0) await Atomics.waitAsync(control, 1, 0).value;
  await worker.join();
  assert.equal(worker.exception, undefined);
  assert.equal(lock.locked(), true, 'the worker holds this very lock');
  const theirs = d.get('from the worker')!;
  assert.equal(theirs.acquireSync({ blocking: false }), true, 'a new lock, made in the worker, reached here');
  assert.equal(d.get('from the worker')!.locked(), true, 'and every read of it is the same lock');
});

test('a SharedDict arrives live through a Queue, inside a SharedList, and as a pool task\'s argument', async () => {
  const d = new SharedDict<string, string>();
  const queue = new Queue<SharedDict<string, string>>();
  await queue.put(d);
  await inThread((q: Queue<SharedDict<string, string>>) => {
    q.getSync().set('via', 'queue');
  }, [queue]);
  const list = new SharedList([d]);
  await inThread((l: SharedList<SharedDict<string, string>>) => {
    l.get(0).set('inside', 'list');
  }, [list]);
  const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  try {
    await pool.submit((shared: SharedDict<string, string>) => {
      shared.set('pool', 'task');
      return shared.size;
    }, d);
  } finally {
    await pool.shutdown();
  }
  assert.deepEqual(d.toMap(), new Map([['via', 'queue'], ['inside', 'list'], ['pool', 'task']]));
});

test('a Condition on getLock(): a worker waits until another thread stores a key', async () => {
  const d = new SharedDict<string, number>();
  const ready = new Condition(d.getLock());
  const out = ints(2);
  const waiter = new Thread({
    target: (shared: SharedDict<string, number>, cond: Condition, out: Int32Array) => {
      cond.acquireSync();
      Atomics.store(out, 1, 1); // waiting
      Atomics.notify(out, 1);
      while (!shared.has('answer')) cond.waitSync();
      out[0] = shared.get('answer')!;
      cond.release();
    },
    args: [d, ready, out],
  });
  waiter.start();
  while (Atomics.load(out, 1) === 0) await Atomics.waitAsync(out, 1, 0).value;
  await ready.acquire();
  d.set('answer', 42); // inside the condition's lock, which is the dict's own
  ready.notifyAll();
  ready.release();
  await waiter.join();
  assert.equal(waiter.exception, undefined);
  assert.equal(out[0], 42);
});

test('threads appending to one SharedList: every item once, each thread\'s in its order', async () => {
  const list = new SharedList<[number, number]>();
  await runAll(Array.from({ length: 4 }, (_, id) => new Thread({
    target: (l: SharedList<[number, number]>, id: number) => {
      for (let i = 0; i < 1500; i++) l.append([id, i]);
    },
    args: [list, id],
  })));
  const items = list.toArray();
  assert.equal(items.length, 6000);
  for (let id = 0; id < 4; id++) {
    assert.deepEqual(items.filter(([t]) => t === id).map(([, i]) => i), Array.from({ length: 1500 }, (_, i) => i));
  }
});

test('the main thread\'s withLock waits without blocking its event loop while a worker holds the lock', async () => {
  const d = new SharedDict<string, number>({ n: 0 });
  const control = ints(2);
  const holder = new Thread({
    target: (shared: SharedDict<string, number>, control: Int32Array) => {
      shared.withLockSync(() => {
        Atomics.store(control, 0, 1); // holding
        Atomics.notify(control, 0);
        Atomics.wait(control, 1, 0, 10_000); // until released
        shared.set('n', 1);
      });
    },
    args: [d, control],
  });
  holder.start();
  while (Atomics.load(control, 0) === 0) await Atomics.waitAsync(control, 0, 0).value;
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const waiting = d.withLock((shared) => shared.get('n'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(ticks >= 5, `the event loop kept running while the lock was held (${ticks} ticks)`);
  Atomics.store(control, 1, 1);
  Atomics.notify(control, 1);
  assert.equal(await waiting, 1, 'the body ran after the worker let go, and saw its write');
  clearInterval(timer);
  await holder.join();
});
