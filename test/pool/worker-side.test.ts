// runChunk: how a worker runs one map chunk — synchronously while the calls
// return plain values, awaiting each result in order from the first
// thenable on, and every input with its own outcome when some calls throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartialChunk, runChunk } from '../../src/pool/worker-side.js';

test('runChunk - plain results come back at once, in order, as a dense array', () => {
  const results = runChunk((x: number) => x * 2, [1, 2, 3, 4], true);
  assert.ok(Array.isArray(results), 'no promise when no call returned one');
  assert.deepEqual(results, [2, 4, 6, 8]);
  assert.equal(Object.keys(results).length, 4);
});

test('runChunk - without items, each element is an argument list', () => {
  assert.deepEqual(runChunk((a: number, b: number) => a - b, [[5, 1], [9, 4]], false), [4, 5]);
});

test('runChunk - from the first call that returns a thenable, each result is awaited in turn, in order', async () => {
  const order: string[] = [];
  const fn = (x: number): number | Promise<number> => {
    order.push(`call ${x}`);
    if (x < 2) return x * 10;
    return new Promise((resolve) => setTimeout(() => {
      order.push(`settle ${x}`);
      resolve(x * 10);
    }, 5 - x));
  };
  const outcome = runChunk(fn, [0, 1, 2, 3, 4], true);
  assert.ok(outcome instanceof Promise);
  assert.deepEqual(order, ['call 0', 'call 1', 'call 2'], 'the call after a pending one waits for it, as with chunksize 1 in order');
  assert.deepEqual(await outcome, [0, 10, 20, 30, 40]);
  assert.deepEqual(order, ['call 0', 'call 1', 'call 2', 'settle 2', 'call 3', 'settle 3', 'call 4', 'settle 4']);
});

test('runChunk - calls that throw, at once or by rejecting, give a PartialChunk with every other result kept', async () => {
  const fn = (x: number): number | Promise<number> => {
    if (x === 1) throw new RangeError('one');
    if (x === 3) return Promise.reject(new TypeError('three'));
    if (x === 4) return Promise.resolve(40);
    return x * 10;
  };
  const sync = runChunk(fn, [0, 1, 2], true);
  assert.ok(sync instanceof PartialChunk);
  assert.deepEqual(sync.values, [0, undefined, 20]);
  assert.deepEqual(sync.failures.map(([index, error]) => [index, (error as Error).message]), [[1, 'one']]);
  const later = await runChunk(fn, [0, 1, 2, 3, 4, 5], true);
  assert.ok(later instanceof PartialChunk);
  assert.deepEqual(later.values, [0, undefined, 20, undefined, 40, 50]);
  assert.deepEqual(later.failures.map(([index, error]) => [index, (error as Error).name]), [[1, 'RangeError'], [3, 'TypeError']]);
});

test('runChunk - a call that throws after a thenable is met is caught too', async () => {
  const fn = (x: number): unknown => {
    if (x === 0) return Promise.resolve('first');
    throw new Error(`bad ${x}`);
  };
  const outcome = await runChunk(fn, [0, 1, 2], true);
  assert.ok(outcome instanceof PartialChunk);
  assert.deepEqual(outcome.values, ['first', undefined, undefined]);
  assert.deepEqual(outcome.failures.map(([index]) => index), [1, 2]);
});

test('runChunk - an empty chunk gives an empty array', () => {
  assert.deepEqual(runChunk(() => 1, [], true), []);
});
