import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '../../src/shared/value.js';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { Thread } from '../../src/run/thread.js';
import { decodeAsync, encode } from '../../src/share/marshal.js';
import { inThread } from '../support/threads.js';

/** What another thread would receive: encoded, structured-cloned, decoded. */
async function sent<T>(value: T): Promise<T> {
  return (await decodeAsync(structuredClone(encode(value, { root: 'args' })))) as T;
}

test('a new Value holds zero of its type unless given a value', () => {
  assert.equal(new Value('i').value, 0);
  assert.equal(new Value('d').value, 0);
  assert.equal(new Value('q').value, 0n);
  assert.equal(new Value('bool').value, false);
  assert.equal(new Value('H', 7).value, 7);
});

test('.get() and .set() are .value read and written', () => {
  const value = new Value('h', -3);
  assert.equal(value.get(), -3);
  value.set(12);
  assert.equal(value.value, 12);
  assert.throws(() => value.set(40000), { name: 'RangeError', message: "Value('h'): 40000 does not fit in int16 (-32768..32767)" });
});

test('an initial value that does not fit is refused before anything is created', () => {
  assert.throws(() => new Value('B', 300), { name: 'RangeError', message: "Value('B'): 300 does not fit in uint8 (0..255)" });
  assert.throws(() => new Value('i', '3' as unknown as number), TypeError);
});

test('.typecode, String() and toStringTag read like Python\'s repr', () => {
  const value = new Value('i', 5);
  assert.equal(value.typecode, 'i');
  assert.equal(String(value), '<Value i 5>');
  assert.equal(Object.prototype.toString.call(new Value('bool', true)), '[object Value bool true]');
});

test('.getLock() - by default a new RLock per value', () => {
  const a = new Value('i');
  const b = new Value('i');
  assert.ok(a.getLock() instanceof RLock);
  assert.equal(a.getLock(), a.getLock());
  assert.notEqual(a.getLock(), b.getLock());
  a.getLock().acquireSync();
  assert.ok(a.getLock().acquireSync({ blocking: false }), 'reentrant');
  a.getLock().release();
  a.getLock().release();
  assert.equal(new Value('i', 0, { lock: true }).getLock() instanceof RLock, true);
});

test('.getLock() - returns the Lock or RLock it was given', () => {
  const lock = new Lock();
  const one = new Value('i', 0, { lock });
  const two = new Value('d', 0, { lock });
  assert.equal(one.getLock(), lock);
  assert.equal(two.getLock(), lock);
  const rlock = new RLock();
  assert.equal(new Value('i', 0, { lock: rlock }).getLock(), rlock);
});

test('.getLock() - throws TypeError for a value created with { lock: false }', () => {
  const raw = new Value('i', 1, { lock: false });
  assert.throws(() => raw.getLock(), { name: 'TypeError', message: "Value('i') was created with { lock: false } and has no lock" });
  raw.value += 1;
  assert.equal(raw.value, 2);
});

test('a lock option that is not a boolean, Lock or RLock is a TypeError', () => {
  assert.throws(() => new Value('i', 0, { lock: {} as Lock }), { name: 'TypeError', message: "Value('i'): lock must be true, false, a Lock or an RLock, got an instance of Object" });
  assert.throws(() => new Value('i', 0, { lock: 1 as unknown as boolean }), TypeError);
});

test('a sent Value is a live handle on the same memory and lock, never re-initialised', async () => {
  const value = new Value('i', 5);
  const copy = await sent(value);
  assert.ok(copy instanceof Value);
  assert.notEqual(copy, value);
  assert.equal(copy.value, 5, 'reviving does not reset the value');
  copy.value = 9;
  assert.equal(value.value, 9);
  value.getLock().acquireSync();
  assert.equal(copy.getLock().locked(), true);
  value.getLock().release();
  const raw = await sent(new Value('q', 3n, { lock: false }));
  assert.equal(raw.value, 3n);
  assert.throws(() => raw.getLock(), TypeError);
});

test('a Value passed to a thread is shared: writes go both ways', async () => {
  const counter = new Value('i', 10);
  const big = new Value('Q', 2n ** 63n);
  const real = new Value('d', 0.25);
  await inThread((c: Value<'i'>, b: Value<'Q'>, r: Value<'d'>, n: number) => {
    if (c.value !== 10 || r.value !== 0.25) throw new Error(`the worker saw ${c.value} and ${r.value}`);
    c.value += n;
    b.value += 1n;
    r.value *= 4;
  }, [counter, big, real, 32]);
  assert.equal(counter.value, 42);
  assert.equal(big.value, 2n ** 63n + 1n);
  assert.equal(real.value, 1);
});

test('a value that does not fit fails in the worker too', async () => {
  await assert.rejects(
    inThread((v: Value<'b'>) => { v.value = 200; }, [new Value('b')]),
    { name: 'RangeError', message: "Value('b'): 200 does not fit in int8 (-128..127)" },
  );
});

test('locked increments from four threads add up exactly', async () => {
  const counter = new Value('i', 0);
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const threads = Array.from({ length: 4 }, () => new Thread({
    target: (c: Value<'i'>, times: number, gate: Int32Array, parties: number) => {
      // Start together, so the increments really overlap.
      Atomics.add(gate, 0, 1);
      Atomics.notify(gate, 0);
      for (let seen = Atomics.load(gate, 0); seen < parties; seen = Atomics.load(gate, 0)) Atomics.wait(gate, 0, seen);
      const lock = c.getLock();
      for (let i = 0; i < times; i++) {
        lock.acquireSync();
        c.value += 1;
        lock.release();
      }
    },
    args: [counter, 50_000, gate, 4],
  }));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual(threads.map((thread) => thread.exception), [undefined, undefined, undefined, undefined]);
  assert.equal(counter.value, 200_000);
});

test('two values sharing one Lock are updated together across threads', async () => {
  const lock = new Lock();
  const debit = new Value('q', 1000n, { lock });
  const credit = new Value('q', 0n, { lock });
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const threads = Array.from({ length: 3 }, () => new Thread({
    target: (from: Value<'q'>, to: Value<'q'>, times: number, gate: Int32Array, parties: number) => {
      Atomics.add(gate, 0, 1);
      Atomics.notify(gate, 0);
      for (let seen = Atomics.load(gate, 0); seen < parties; seen = Atomics.load(gate, 0)) Atomics.wait(gate, 0, seen);
      for (let i = 0; i < times; i++) {
        const held = from.getLock().holdSync();
        from.value -= 1n;
        to.value += 1n;
        held.release();
      }
    },
    args: [debit, credit, 300, gate, 3],
  }));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.equal(debit.value, 100n);
  assert.equal(credit.value, 900n);
  assert.equal(lock.locked(), false);
});
