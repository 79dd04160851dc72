// ThreadPoolExecutor.submit(): results, errors, and what crosses to a worker
// and back — plain data by the rings, large and shared data by the port,
// shareables live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureError, DataCloneError } from '../../src/errors.js';
import { moduleTask } from '../../src/run/task.js';
import { Lock } from '../../src/sync/lock.js';
import { Value } from '../../src/shared/value.js';
import { SharedArray } from '../../src/shared/array.js';
import { reached, rejection, signal, TestPool, within } from './support.js';

const tasks = new URL('./fixtures/tasks.ts', import.meta.url);

test('.submit() - the future resolves to the task\'s result', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const future = pool.submit(() => 6 * 7);
  assert.equal(await within(future, 5000, 'the task'), 42);
  assert.equal(future.done(), true);
});

test('.submit() - several arguments reach the task in order', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const future = pool.submit((a: number, b: string, c: { n: number[] }) => `${a}-${b}-${c.n.join('+')}`, 1, 'two', { n: [3, 4] });
  assert.equal(await within(future, 5000, 'the task'), '1-two-3+4');
});

test('.submit() - an async task is awaited in the worker', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const future = pool.submit(async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'slept';
  }, 20);
  assert.equal(await within(future, 5000, 'the async task'), 'slept');
});

test('.submit() - a module task runs its export, sync or async', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const multiply = moduleTask<(a: number, b: number) => number>(tasks, 'multiply');
  const later = moduleTask<(value: string, ms: number) => Promise<string>>(tasks, 'later');
  assert.equal(await within(pool.submit(multiply, 6, 7), 5000, 'multiply'), 42);
  assert.equal(await within(pool.submit(later, 'done', 5), 5000, 'later'), 'done after 5 ms');
});

test('.submit() - 200 concurrent submits each get their own result', async () => {
  await using pool = new TestPool({ maxWorkers: 4 });
  const futures = Array.from({ length: 200 }, (_, i) => pool.submit((n: number) => n * n + 1, i));
  const results = await within(Promise.all(futures), 20_000, '200 tasks');
  assert.deepEqual(results, Array.from({ length: 200 }, (_, i) => i * i + 1));
});

test('.submit() - a TypeError thrown by the task comes back as a TypeError with the worker\'s stack and error as cause', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(() => {
    throw new TypeError('not a widget');
  }), 5000, 'the throwing task');
  assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
  assert.equal(error.message, 'not a widget');
  // The task's frame is eval'd source; the frame that called it is the worker's loop (its entry, once bundled).
  assert.match(error.stack!, /pool-entry|ring-worker/);
  const cause = error.cause as Error;
  assert.ok(cause instanceof Error, 'cause is the worker-side error');
  assert.equal(cause.name, 'TypeError');
  assert.equal(cause.message, 'not a widget');
  assert.match(cause.stack!, /pool-entry|ring-worker/);
});

test('.submit() - a thrown string comes back as that string', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(() => {
    throw 'plain words';
  }), 5000, 'the throwing task');
  assert.equal(error, 'plain words');
});

test('.submit() - a function argument fails only that future, with a DataCloneError naming args[0]', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const before = pool.submit((n: number) => n + 1, 1);
  const bad = pool.submit((f: unknown) => typeof f, () => 'no');
  const after = pool.submit((n: number) => n + 1, 2);
  const error = await rejection(bad, 5000, 'the task with a function argument');
  assert.ok(error instanceof DataCloneError, `expected a DataCloneError, got ${String(error)}`);
  assert.equal(error.path, 'args[0]');
  assert.match(error.message, /args\[0\]/);
  assert.deepEqual(await within(Promise.all([before, after]), 5000, 'the other tasks'), [2, 3]);
});

test('.submit() - a task returning a function fails with a DataCloneError naming result', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(() => () => 1), 5000, 'the task returning a function');
  assert.match(String((error as Error).message), /result/);
  assert.equal((error as Error).name, 'DataCloneError');
  assert.ok(error instanceof DataCloneError, `expected an instance of DataCloneError, got ${Object.prototype.toString.call(error)} ${String(error)}`);
  assert.equal(error.path, 'result');
  assert.equal(await within(pool.submit(() => 'still serving'), 5000, 'the next task'), 'still serving');
});

test('.submit() - a 1 MiB Float64Array argument and result cross exactly', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const input = new Float64Array((1 << 20) / 8);
  for (let i = 0; i < input.length; i++) input[i] = Math.sin(i) * 1e6 + i / 7;
  input[0] = -0;
  input[1] = NaN;
  input[2] = Infinity;
  input[3] = Number.MIN_VALUE;
  const future = pool.submit((a: Float64Array) => {
    if (!(a instanceof Float64Array)) throw new TypeError(`got ${Object.prototype.toString.call(a)}`);
    const out = new Float64Array(a.length);
    out.set(a);
    return { length: a.length, out };
  }, input);
  const { length, out } = await within(future, 10_000, 'the 1 MiB task');
  assert.equal(length, input.length);
  assert.ok(out instanceof Float64Array);
  assert.equal(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.byteLength), Buffer.from(input.buffer)), 0, 'the bytes differ');
});

test('.submit() - a Value and a Lock shared by 100 tasks: 100 locked increments make 100', async () => {
  await using pool = new TestPool({ maxWorkers: 4 });
  const counter = new Value('i', 0);
  const lock = new Lock();
  const futures = Array.from({ length: 100 }, () => pool.submit((v: Value<'i'>, l: Lock) => {
    l.acquireSync();
    try {
      const seen = v.value;
      // Widen the window a lost update would need.
      for (let i = 0; i < 1000; i++) Math.sqrt(i);
      v.value = seen + 1;
    } finally {
      l.release();
    }
  }, counter, lock));
  await within(Promise.all(futures), 20_000, '100 increments');
  assert.equal(counter.value, 100);
  assert.equal(lock.locked(), false);
});

test('.submit() - a SharedArray is live both ways while the task runs', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const arr = new SharedArray('i', 4);
  arr[0] = 21;
  const future = pool.submit((a: SharedArray<'i'>) => {
    a[1] = a[0]! * 2;
    Atomics.notify(a.view as Int32Array, 1);
    // Wait for the test to write after the task was sent.
    if (Atomics.wait(a.view as Int32Array, 2, 0, 5000) === 'timed-out') return 'never saw the write';
    return `saw ${a[2]}`;
  }, arr);
  await reached(arr.view as Int32Array, 1, 42, 5000, 'the task writing arr[1]');
  assert.equal(arr[1], 42);
  signal(arr.view as Int32Array, 2, 5);
  assert.equal(await within(future, 5000, 'the task'), 'saw 5');
});

test('.submit() - a task that captures a variable throws CaptureError at once, naming it', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const factor = 3;
  assert.throws(() => pool.submit((x: number) => x * factor, 2), (error: unknown) => error instanceof CaptureError && error.identifiers.includes('factor'));
  assert.equal(pool.stats().workers.length, 0, 'a worker started for a refused task');
});

test('.submit() - an error keeps its name, code and own fields across', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(() => {
    class ConfigError extends Error {
      override name = 'ConfigError';
    }
    throw Object.assign(new ConfigError('missing key'), { code: 'E_CONFIG', key: 'port' });
  }), 5000, 'the throwing task');
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'ConfigError');
  assert.equal(error.message, 'missing key');
  assert.equal((error as Error & { code?: unknown }).code, 'E_CONFIG');
  assert.equal((error as Error & { key?: unknown }).key, 'port');
  assert.match(String(error.stack), /missing key/);
});

test('.submit() - a shareable made in a worker comes back live', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const made = await within(pool.submit(async () => {
    const { SharedArray } = await import('../../src/shared/array.js');
    const arr = new SharedArray('i', [1, 2, 3]);
    return arr;
  }), 5000, 'the task making a SharedArray');
  assert.deepEqual(made.toArray(), [1, 2, 3]);
  await within(pool.submit((arr: SharedArray<'i'>) => {
    arr[0] = 100;
  }, made), 5000, 'the task writing to it');
  assert.equal(made[0], 100);
});

test('.submit() - structured data crosses both ways intact', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const value = {
    missing: undefined, none: null, zero: -0, nan: NaN, inf: -Infinity, big: 2n ** 70n, date: new Date(5),
    map: new Map<unknown, unknown>([[1, 'x'], ['k', { y: [1] }]]), set: new Set([1, 'two']), bytes: new Uint8Array([1, 2]),
    nested: [[1], [2, [3]]], text: 'ü🎉\u0000', pattern: /a+/gi, sparse: [1, , 3], long: 'x'.repeat(70_000),
  };
  assert.deepStrictEqual(await within(pool.submit((x: unknown) => x, value), 5000, 'the echo'), value);
  assert.deepStrictEqual(await within(pool.submit((x: unknown) => [x, x], value), 5000, 'the double echo'), [value, value]);
});

test('.submit() - a module task naming a missing export fails that task; the pool goes on', async () => {
  await using pool = new TestPool({ maxWorkers: 1 });
  const error = await rejection(pool.submit(moduleTask(tasks, 'nope')), 5000, 'the missing export');
  assert.match(String((error as Error).message), /nope/);
  assert.equal(await within(pool.submit(() => 'next'), 5000, 'the next task'), 'next');
});

test('.submit() - 5,000 tasks with 600-byte arguments and 2 KB results: each result is its own, none lost', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  const n = 5000;
  // Windows of small tasks fill the 256 KiB rings both ways, so senders wait for room.
  const futures = Array.from({ length: n }, (_, i) => pool.submit((i: number, pad: string) => `${i}:${pad.length}:${'r'.repeat(2000)}`, i, 'p'.repeat(600 + (i % 50))));
  const results = await within(Promise.all(futures), 60_000, `${n} tasks`);
  for (let i = 0; i < n; i++) assert.equal(results[i], `${i}:${600 + (i % 50)}:${'r'.repeat(2000)}`);
  assert.equal(pool.stats().completed, n);
});

test('.submit() - bodies on the port and on the ring keep their order', async () => {
  await using pool = new TestPool({ maxWorkers: 2 });
  // Every third result is 160 KB, too large for the ring.
  const results = await within(Promise.all(Array.from({ length: 200 }, (_, i) => pool.submit((i: number) => (i % 3 === 0 ? { i, big: new Float64Array(20_000).fill(i) } : { i }), i))), 30_000, 'the results');
  for (const [i, result] of results.entries()) {
    assert.equal(result.i, i);
    if (i % 3 === 0) assert.ok(result.big!.every((x) => x === i), `result ${i}`);
  }
  // And every third argument.
  const sums = await within(Promise.all(Array.from({ length: 200 }, (_, i) => pool.submit(
    (x: { i: number; big?: Float64Array }) => x.i + (x.big === undefined ? 0 : x.big[5]!),
    i % 3 === 0 ? { i, big: new Float64Array(20_000).fill(i) } : { i },
  ))), 30_000, 'the arguments');
  assert.deepEqual(sums, Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 2 * i : i)));
});
