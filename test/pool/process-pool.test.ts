// ProcessPoolExecutor, Pool and ThreadPool: what differs from the thread
// pool (child processes, signals) and multiprocessing.Pool's API. The process
// pools' cases run on both transports: shared-memory rings and IPC.
// (Ring-specific cases: process-pool-rings.test.ts.)
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokenProcessPoolError, DataCloneError, InvalidStateError, TimeoutError, WorkerDiedError } from '../../src/errors.js';
import { Lock } from '../../src/sync/lock.js';
import { Pool, ThreadPool } from '../../src/pool/pool.js';
import { ProcessPoolExecutor, type ProcessPoolTransport } from '../../src/pool/process-pool.js';
import { rejection, within } from './support.js';

const transports: readonly ProcessPoolTransport[] = ['shared-memory', 'ipc'];

for (const transport of transports) {
describe(`transport: ${transport}`, () => {
  test('the pool uses the transport asked for', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport });
    assert.equal(pool.transport, transport);
    assert.equal(await within(pool.submit((x: number) => x + 1, 1), 10_000, 'a task'), 2);
  });

  test('ProcessPoolExecutor - tasks run in child processes, results in order, errors keep their class', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 2, transport });
    const pids = await within(Promise.all(Array.from({ length: 8 }, () => pool.submit(() => process.pid))), 20_000, 'the pid tasks');
    assert.ok(pids.every((pid) => pid !== process.pid), 'a task ran in this process');
    const squares: number[] = [];
    for await (const square of pool.map((x: number) => x * x, [1, 2, 3, 4, 5], { chunksize: 2 })) squares.push(square);
    assert.deepEqual(squares, [1, 4, 9, 16, 25]);
    const error = await rejection(pool.submit(() => {
      throw new RangeError('out of range');
    }), 10_000, 'the throwing task');
    assert.ok(error instanceof RangeError);
    assert.equal((error as Error).message, 'out of range');
    assert.ok((error as Error).cause instanceof Error, 'the worker-side error is the cause');
  });

  test('ProcessPoolExecutor - 2,000 tasks at once all come back, each once', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 2, transport });
    const results = await within(Promise.all(Array.from({ length: 2000 }, (_, i) => pool.submit((x: number) => x * 2, i))), 30_000, 'the tasks');
    assert.deepEqual(results, Array.from({ length: 2000 }, (_, i) => i * 2));
    const stats = pool.stats();
    assert.equal(stats.completed, 2000);
    assert.equal(stats.workers.reduce((sum, worker) => sum + worker.tasks, 0), 2000);
  });

  test('ProcessPoolExecutor - a threads-scope Lock argument fails only its task, naming args[0]', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport });
    const error = await rejection(pool.submit((lock: unknown) => lock, new Lock()), 10_000, 'the task given a Lock');
    assert.ok(error instanceof DataCloneError);
    assert.equal(error.path, 'args[0]');
    assert.match(error.message, /threads-scope/);
    assert.equal(await within(pool.submit(() => 'still serving'), 10_000, 'the next task'), 'still serving');
  });

  test('ProcessPoolExecutor - a result that cannot cross fails its task with DataCloneError naming result', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport });
    const error = await rejection(pool.submit(() => () => 1), 10_000, 'the task returning a function');
    assert.ok(error instanceof DataCloneError);
    assert.equal(error.path, 'result');
  });

  test('ProcessPoolExecutor - a child killed with SIGKILL fails only its task; the pool replaces it', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport });
    const before = pool.submit((x: number) => x, 1);
    const dying = pool.submit(() => process.kill(process.pid, 'SIGKILL'));
    const after = pool.submit((x: number) => x, 3);
    const error = await rejection(dying, 10_000, 'the killed task');
    assert.ok(error instanceof WorkerDiedError, String(error));
    assert.deepEqual(error.death, { kind: 'signal', signal: 'SIGKILL' });
    assert.deepEqual(await within(Promise.all([before, after]), 10_000, 'the tasks around it'), [1, 3]);
  });

  test('ProcessPoolExecutor - process.exit in a task: WorkerDiedError with the exit code; onWorkerDeath break breaks the pool', async () => {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1, onWorkerDeath: 'break', transport });
    const error = await rejection(pool.submit(() => process.exit(7)), 10_000, 'the exiting task');
    assert.ok(error instanceof BrokenProcessPoolError, String(error));
    assert.ok(error.cause instanceof WorkerDiedError);
    assert.deepEqual(error.cause.death, { kind: 'exit', exitCode: 7 });
    assert.throws(() => pool.submit(() => 1), BrokenProcessPoolError);
  });

  test('ProcessPoolExecutor - per-task timeout stops the child; initializer runs in each child', async () => {
    await using pool = new ProcessPoolExecutor({
      maxWorkers: 1,
      transport,
      initializer: (value: string) => {
        (globalThis as { greeting?: string }).greeting = value;
      },
      initargs: ['hello'],
    });
    const error = await rejection(pool.submit({ timeout: 200 }, () => {
      for (;;);
    }), 10_000, 'the endless task');
    assert.ok(error instanceof TimeoutError, String(error));
    assert.equal(await within(pool.submit(() => (globalThis as { greeting?: string }).greeting), 10_000, 'the next task'), 'hello');
  });

  test('Pool - map resolves to an array with the default chunksize; starmap, apply, async forms and callbacks', async () => {
    await using pool = new Pool({ processes: 2, transport });
    assert.deepEqual(await within(pool.map((x: number) => x * x, Array.from({ length: 10 }, (_, i) => i)), 20_000, 'map'), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    assert.deepEqual(await pool.map((x: number) => x, []), []);
    assert.deepEqual(await pool.starmap((a: number, b: number) => a ** b, [[2, 3], [3, 2]]), [8, 9]);
    assert.equal(await pool.apply((a: number, b: number) => a - b, [5, 3]), 2);
    const seen: unknown[] = [];
    const result = pool.mapAsync((x: number) => x + 1, [1, 2, 3], { callback: (value) => seen.push(value) });
    assert.deepEqual(await result.get({ timeout: 10_000 }), [2, 3, 4]);
    assert.equal(result.ready(), true);
    assert.equal(result.successful(), true);
    assert.deepEqual([...seen], [[2, 3, 4]]);
    const failing = pool.applyAsync(() => {
      throw new Error('nope');
    }, [], { errorCallback: (error) => void seen.push((error as Error).message) });
    await failing.wait({ timeout: 10_000 });
    assert.equal(failing.successful(), false);
    assert.deepEqual(seen, [[2, 3, 4], 'nope']);
    await assert.rejects(failing.get(), /nope/);
  });

  test('Pool - map hands each item over whole (an array item is one argument), in chunks of any size; a failing item rejects the map', async () => {
    await using pool = new Pool({ processes: 2, transport });
    const pairs = Array.from({ length: 50 }, (_, i): [number, number] => [i, i * 10]);
    const sum = (pair: number[]) => pair[0]! + pair[1]!;
    const expected = pairs.map(sum);
    assert.deepEqual(await within(pool.map(sum, pairs), 20_000, 'map'), expected);
    assert.deepEqual(await pool.map(sum, pairs, 7), expected);
    assert.deepEqual(await pool.starmap((a: number, b: number) => a - b, pairs, 3), pairs.map(([a, b]) => a - b));
    // Values the queue codec leaves to structured clone still arrive intact, as arguments and as results.
    const dates = [new Date(0), new Date(86_400_000)];
    assert.deepEqual(await pool.map((d: Date) => new Map([[d.getTime(), d]]), dates, 1), dates.map((d) => new Map([[d.getTime(), d]])));
    await assert.rejects(pool.map((x: number) => {
      if (x === 33) throw new RangeError(`no ${x}`);
      return x;
    }, Array.from({ length: 100 }, (_, i) => i)), { name: 'RangeError', message: 'no 33' });
    await assert.rejects(pool.starmap((x: number) => x, [[1], 2 as unknown as [number]]), { name: 'TypeError', message: /item 1 is not an array/ });
  });

  test('Pool - AsyncResult.get times out; successful() before ready throws; join before close throws; close then join', async () => {
    const pool = new Pool({ processes: 1, transport });
    const slow = pool.applyAsync(async () => new Promise((resolve) => setTimeout(() => resolve('late'), 500)));
    await assert.rejects(slow.get({ timeout: 20 }), TimeoutError);
    assert.throws(() => slow.successful(), InvalidStateError);
    await assert.rejects(pool.join(), InvalidStateError);
    pool.close();
    assert.throws(() => pool.applyAsync(() => 1), InvalidStateError);
    assert.equal(await slow.get(), 'late');
    await within(pool.join(), 10_000, 'join after close');
  });

  test('Pool - terminate fails what has not finished and ends the workers', async () => {
    const pool = new Pool({ processes: 1, transport });
    const endless = pool.applyAsync(() => new Promise(() => setInterval(() => {}, 1000)));
    // Running or still queued, terminate() fails it either way.
    pool.terminate();
    await assert.rejects(endless.get({ timeout: 10_000 }));
    await within(pool.join(), 10_000, 'join after terminate');
  });
});
}

test('ThreadPool - imap in order, imapUnordered yields every result, starmap checks its items', async () => {
  await using pool = new ThreadPool({ processes: 2 });
  const ordered: number[] = [];
  for await (const n of pool.imap((s: string) => s.length, ['a', 'bb', 'ccc', 'dddd'], 2)) ordered.push(n);
  assert.deepEqual(ordered, [1, 2, 3, 4]);
  const unordered: number[] = [];
  for await (const n of pool.imapUnordered((x: number) => x * 10, [1, 2, 3, 4, 5], 2)) unordered.push(n);
  assert.deepEqual(unordered.sort((a, b) => a - b), [10, 20, 30, 40, 50]);
  await assert.rejects(pool.starmap((a: number) => a, [1 as never]), /item 0 is not an array/);
  await assert.rejects(pool.map((x: number) => {
    if (x === 2) throw new TypeError('two');
    return x;
  }, [1, 2, 3]), TypeError);
});
