import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedArray } from '../../src/shared/array.js';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { Thread } from '../../src/run/thread.js';
import { decodeAsync, encode } from '../../src/share/marshal.js';
import { inThread } from '../support/threads.js';

test('a length gives that many zeros', () => {
  assert.deepEqual(new SharedArray('i', 3).toArray(), [0, 0, 0]);
  assert.deepEqual(new SharedArray('Q', 2).toArray(), [0n, 0n]);
  assert.deepEqual(new SharedArray('bool', 2).toArray(), [false, false]);
  assert.equal(new SharedArray('d', 0).length, 0);
});

test('an iterable gives the initial elements: arrays, typed arrays and generators', () => {
  assert.deepEqual(new SharedArray('h', [1, -2, 3]).toArray(), [1, -2, 3]);
  assert.deepEqual(new SharedArray('f', new Float32Array([0.5, 1.5])).toArray(), [0.5, 1.5]);
  function* squares() { for (let i = 0; i < 4; i++) yield i * i; }
  assert.deepEqual(new SharedArray('I', squares()).toArray(), [0, 1, 4, 9]);
  assert.deepEqual(new SharedArray('q', [1, 2n]).toArray(), [1n, 2n]);
});

test('a negative, non-integer or non-number length is refused', () => {
  assert.throws(() => new SharedArray('i', -1), { name: 'RangeError', message: "SharedArray('i'): length must be a non-negative integer, got -1" });
  assert.throws(() => new SharedArray('i', 1.5), RangeError);
  assert.throws(() => new SharedArray('i', NaN), RangeError);
  assert.throws(() => new SharedArray('i', Infinity), RangeError);
  assert.throws(() => new SharedArray('i', '3' as unknown as number), { name: 'TypeError', message: /expected a length or an iterable of initial values, got string "3"/ });
  assert.throws(() => new SharedArray('i', null as unknown as number), TypeError);
  assert.throws(() => new SharedArray('i', 3n as unknown as number), TypeError);
});

test('each initial element is checked, and the message names its position', () => {
  assert.throws(() => new SharedArray('B', [1, 2, 300]), { name: 'RangeError', message: "SharedArray('B')[2]: 300 does not fit in uint8 (0..255)" });
  assert.throws(() => new SharedArray('i', [1, 'x' as unknown as number]), { name: 'TypeError', message: "SharedArray('i')[1]: expected a number, got string \"x\"" });
  assert.throws(() => new SharedArray('b', [0.5]), RangeError);
});

test('arr[i] reads and writes elements, checking the value', () => {
  const arr = new SharedArray('i', [1, 2, 3]);
  arr[1] = 20;
  assert.equal(arr[1], 20);
  assert.equal(arr.get(1), 20);
  arr.set(2, -7);
  assert.equal(arr[2], -7);
  assert.throws(() => { arr[0] = 2 ** 31; }, { name: 'RangeError', message: "SharedArray('i')[0]: 2147483648 does not fit in int32 (-2147483648..2147483647)" });
  assert.throws(() => { arr[0] = 'x' as unknown as number; }, TypeError);
  assert.throws(() => { arr[0] = 0.5; }, RangeError);
  assert.deepEqual(arr.toArray(), [1, 20, -7]);
});

test('an index out of range is a RangeError naming the index and the length', () => {
  const arr = new SharedArray('d', 3);
  assert.throws(() => arr[3], { name: 'RangeError', message: "SharedArray('d'): index 3 is out of range for length 3" });
  assert.throws(() => { arr[3] = 1; }, { name: 'RangeError', message: "SharedArray('d'): index 3 is out of range for length 3" });
  assert.throws(() => arr[-1], { name: 'RangeError', message: "SharedArray('d'): index -1 is out of range for length 3" });
  assert.throws(() => arr[1.5], { name: 'RangeError', message: "SharedArray('d'): index 1.5 is not an integer" });
  assert.throws(() => arr.get(10), RangeError);
  assert.throws(() => arr.set(-1, 0), RangeError);
  assert.throws(() => arr.get('0' as unknown as number), { name: 'TypeError', message: /index must be a number/ });
});

test('non-index keys reach the real methods and properties', () => {
  const arr = new SharedArray('i', [4, 5, 6]);
  assert.ok(arr instanceof SharedArray);
  assert.equal(arr.length, 3);
  assert.equal(arr.typecode, 'i');
  assert.equal(arr.get, arr.get, 'methods keep their identity');
  const { get } = arr;
  assert.equal(get(2), 6, 'a detached method still works');
  assert.equal((arr as unknown as Record<string, unknown>).nothing, undefined);
  assert.throws(() => { (arr as { length: number }).length = 5; }, TypeError);
  assert.equal(arr.length, 3);
});

test('in, Object.keys, spreading and JSON see exactly the elements', () => {
  const arr = new SharedArray('B', [7, 8, 9]);
  assert.equal(0 in arr, true);
  assert.equal(2 in arr, true);
  assert.equal(3 in arr, false);
  assert.equal(-1 in arr, false);
  assert.equal('get' in arr, true);
  assert.equal('length' in arr, true);
  assert.deepEqual(Object.keys(arr), ['0', '1', '2']);
  assert.deepEqual({ ...arr }, { 0: 7, 1: 8, 2: 9 });
  assert.deepEqual([...arr], [7, 8, 9]);
  assert.deepEqual(Array.from(arr), [7, 8, 9]);
  assert.equal(JSON.stringify(arr), '[7,8,9]');
});

test('elements cannot be deleted; defining one sets its value', () => {
  const arr = new SharedArray('i', [1, 2]);
  assert.throws(() => { delete (arr as unknown as Record<number, number>)[0]; }, { name: 'TypeError', message: /cannot delete item 0; the length is fixed/ });
  Object.defineProperty(arr, 1, { value: 5 });
  assert.equal(arr[1], 5);
  assert.throws(() => Object.defineProperty(arr, 0, { get: () => 1 }), TypeError);
});

test('.slice() follows Array.prototype.slice and returns a plain array', () => {
  const arr = new SharedArray('i', [0, 1, 2, 3, 4]);
  assert.deepEqual(arr.slice(), [0, 1, 2, 3, 4]);
  assert.deepEqual(arr.slice(2), [2, 3, 4]);
  assert.deepEqual(arr.slice(-2), [3, 4]);
  assert.deepEqual(arr.slice(1, -1), [1, 2, 3]);
  assert.deepEqual(arr.slice(4, 2), []);
  assert.deepEqual(arr.slice(10), []);
  assert.ok(Array.isArray(arr.slice()));
});

test('.view is the raw typed array over the same elements', () => {
  const arr = new SharedArray('H', 4);
  assert.ok(arr.view instanceof Uint16Array);
  assert.ok(arr.view.buffer instanceof SharedArrayBuffer);
  arr.view[2] = 70000; // unchecked: wraps like any Uint16Array
  assert.equal(arr[2], 70000 - 65536);
  arr[3] = 9;
  assert.equal(arr.view[3], 9);
  assert.ok(new SharedArray('bool', 1).view instanceof Uint8Array);
  assert.ok(new SharedArray('q', 1).view instanceof BigInt64Array);
});

test('.getLock() - a new RLock by default, the given lock, or TypeError with { lock: false }', () => {
  assert.ok(new SharedArray('i', 1).getLock() instanceof RLock);
  const lock = new Lock();
  assert.equal(new SharedArray('i', 1, { lock }).getLock(), lock);
  assert.throws(() => new SharedArray('i', 1, { lock: false }).getLock(), {
    name: 'TypeError',
    message: "SharedArray('i') was created with { lock: false } and has no lock",
  });
  assert.throws(() => new SharedArray('i', 1, { lock: 'yes' as unknown as boolean }), TypeError);
});

test('String() lists the elements', () => {
  assert.equal(String(new SharedArray('i', [1, 2, 3])), '<SharedArray i [1, 2, 3]>');
  assert.equal(Object.prototype.toString.call(new SharedArray('d', 1)), '[object SharedArray d]');
});

test('a sent SharedArray is a live handle on the same elements and lock', async () => {
  const arr = new SharedArray('i', [1, 2, 3]);
  const copy = (await decodeAsync(structuredClone(encode([arr], { root: 'args' }))) as SharedArray<'i'>[])[0]!;
  assert.ok(copy instanceof SharedArray);
  assert.deepEqual(copy.toArray(), [1, 2, 3], 'reviving does not reset the elements');
  copy[0] = 100;
  assert.equal(arr[0], 100);
  arr.getLock().acquireSync();
  assert.equal(copy.getLock().locked(), true);
  arr.getLock().release();
});

test('a SharedArray passed to a thread is shared both ways', async () => {
  const arr = new SharedArray('d', [1, 2, 3, 4]);
  const flags = new SharedArray('bool', 4, { lock: false });
  await inThread((a: SharedArray<'d'>, f: SharedArray<'bool'>) => {
    for (let i = 0; i < a.length; i++) {
      a[i] = a[i]! * 10;
      f[i] = a[i]! > 15;
    }
  }, [arr, flags]);
  assert.deepEqual(arr.toArray(), [10, 20, 30, 40]);
  assert.deepEqual(flags.toArray(), [false, true, true, true]);
});

test('out-of-range writes fail in the worker too', async () => {
  await assert.rejects(
    inThread((a: SharedArray<'i'>) => { a[2] = 1; }, [new SharedArray('i', 2)]),
    { name: 'RangeError', message: "SharedArray('i'): index 2 is out of range for length 2" },
  );
});

test('locked read-modify-writes of every element from three threads add up exactly', async () => {
  const arr = new SharedArray('I', 8);
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const threads = Array.from({ length: 3 }, () => new Thread({
    target: (a: SharedArray<'I'>, rounds: number, gate: Int32Array, parties: number) => {
      Atomics.add(gate, 0, 1);
      Atomics.notify(gate, 0);
      for (let seen = Atomics.load(gate, 0); seen < parties; seen = Atomics.load(gate, 0)) Atomics.wait(gate, 0, seen);
      const lock = a.getLock();
      for (let r = 0; r < rounds; r++) {
        lock.acquireSync();
        for (let i = 0; i < a.length; i++) a.view[i]! += i + 1;
        lock.release();
      }
    },
    args: [arr, 10_000, gate, 3],
  }));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual(threads.map((thread) => thread.exception), [undefined, undefined, undefined]);
  assert.deepEqual(arr.toArray(), Array.from({ length: 8 }, (_, i) => 30_000 * (i + 1)));
});
