// ProcessPoolExecutor on its shared-memory transport: what only the rings
// have to get right — bodies and map chunks larger than a ring, a burst far beyond a
// window, a child killed with a window of tasks in its ring, taking back a
// task still in a child's window, processes-scope shareables in the ring,
// and a child blocked in its futex wait when its parent dies.
// (The cases both transports share: process-pool.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, WorkerDiedError } from '../../src/errors.js';
import { processesAvailability } from '../../src/memory/native.js';
import { isProcessAlive } from '../../src/memory/process-liveness.js';
import { Pool } from '../../src/pool/pool.js';
import { ProcessPoolExecutor } from '../../src/pool/process-pool.js';
import { processes } from '../../src/scope/processes.js';
import type { Event } from '../../src/sync/event.js';
import type { Lock } from '../../src/sync/lock.js';
import type { Value } from '../../src/shared/value.js';
import { entriesOf } from '../memory/processes-support.js';
import { rejection, within } from './support.js';

const skip = processesAvailability().available ? false : 'the processes scope is not available here';
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Keeps the pool's one child busy until `release` is set: the tasks submitted meanwhile wait in its window. */
function holdChild(pool: ProcessPoolExecutor): { started: Event; release: Event; hold: Promise<boolean> } {
  const started = new processes.Event();
  const release = new processes.Event();
  const hold = pool.submit((started: { set(): void }, release: { waitSync(o?: { timeout?: number }): boolean }) => {
    started.set();
    return release.waitSync({ timeout: 20_000 });
  }, started, release);
  return { started, release, hold: Promise.resolve(hold) };
}

test('transport - the default is shared memory where the addon loads; an unknown one is a RangeError naming it', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  assert.equal(pool.transport, 'shared-memory');
  assert.throws(() => new ProcessPoolExecutor({ transport: 'pipes' as never }), {
    name: 'RangeError',
    message: /transport must be 'shared-memory' or 'ipc', got pipes/,
  });
});

test('transport - without the addon the default is IPC; asking for shared memory says why it cannot be had', async () => {
  const script = `
    import { ProcessPoolExecutor } from './src/pool/process-pool.ts';
    const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    console.log(pool.transport, await pool.submit((x) => x * 2, 21));
    await pool.shutdown();
    try {
      new ProcessPoolExecutor({ transport: 'shared-memory' });
    } catch (error) {
      console.log(error.name, error.reason);
    }
  `;
  const run = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WEFT_NATIVE_ADDON: join(root, 'no-such-addon.node') },
  });
  let out = '';
  run.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await within(new Promise((resolve) => run.once('close', resolve)), 30_000, 'the script');
  assert.equal(code, 0);
  assert.deepEqual(out.trim().split('\n'), ['ipc 42', 'ProcessesScopeUnavailableError not-built']);
});

test('rings - arguments and results larger than a ring cross both ways, in order with the small ones around them', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const big = 'weft'.repeat(256 * 1024); // 1 MiB: four times a ring
  const floats = Float64Array.from({ length: 100_000 }, (_, i) => i / 3); // 800 KB
  const futures = [
    pool.submit((x: number) => x, 1),
    pool.submit((s: string) => s.length, big),
    pool.submit((x: number) => x, 2),
    pool.submit((n: number) => 'r'.repeat(n), 2 * 1024 * 1024),
    pool.submit((x: number) => x, 3),
    pool.submit((a: Float64Array) => a.map((v) => v * 3), floats),
    pool.submit((x: number) => x, 4),
  ];
  const [one, length, two, long, three, tripled, four] = await within(Promise.all(futures), 30_000, 'the big and small tasks');
  assert.deepEqual([one, two, three, four], [1, 2, 3, 4]);
  assert.equal(length, big.length);
  assert.equal(long, 'r'.repeat(2 * 1024 * 1024));
  assert.ok(tripled instanceof Float64Array);
  assert.deepEqual(tripled, floats.map((v) => v * 3));
});

test('rings - map chunks larger than a ring (numbers, and objects) come back whole and in order', { skip }, async () => {
  await using pool = new Pool({ processes: 2, transport: 'shared-memory' });
  const numbers = Array.from({ length: 100_000 }, (_, i) => i);
  assert.deepEqual(await within(pool.map((x: number) => x * 2, numbers), 30_000, 'the map of numbers'), numbers.map((x) => x * 2));
  const records = Array.from({ length: 20_000 }, (_, i) => ({ i, s: `item ${i}` }));
  const lengths = await within(pool.map((r: { i: number; s: string }) => ({ i: r.i, n: r.s.length }), records), 30_000, 'the map of objects');
  assert.deepEqual(lengths, records.map((r) => ({ i: r.i, n: r.s.length })));
});

test('lanes - a body larger than a ring goes in a lane (the pool makes both: one with the child, one on first use); a body larger than a lane goes on the channel', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const child = await within(pool.submit(() => process.pid), 20_000, 'the child');
  const mine = (): string[] => entriesOf(process.pid);
  /** Bytes of this process's segments actually in memory (the child's lane commits its pages as it writes them). */
  const committed = (): number => mine().reduce((total, name) => total + statSync(`/dev/shm/${name}`).blocks * 512, 0);
  const before = new Set(mine());
  const sum = (list: number[]): number => list.reduce((a, b) => a + b, 0);
  const list = Array.from({ length: 30_000 }, (_, i) => i * 1000); // ~120 KB: over a ring's quarter, under a lane's
  assert.equal(await within(pool.submit(sum, list), 20_000, 'a large argument'), sum(list));
  assert.ok(mine().some((name) => !before.has(name)), 'the pool made its lane for that argument');
  const pagesBefore = committed();
  const made = await within(pool.submit((n: number) => Array.from({ length: n }, (_, i) => `item ${i}`), 20_000), 20_000, 'a large result');
  assert.equal(made.length, 20_000);
  assert.equal(made[19_999], 'item 19999');
  assert.ok(committed() - pagesBefore >= 100_000, 'the result was written in the lane the pool made with the child');
  assert.deepEqual(entriesOf(child), [], 'the child made no segment of its own');
  // Over a lane's quarter (256 KiB): the channel, both ways, in order with the lane's bodies around it.
  const huge = 'x'.repeat(600_000);
  const futures = [
    pool.submit((s: string) => s.length, huge),
    pool.submit(sum, list),
    pool.submit((n: number) => 'y'.repeat(n), 600_000),
    pool.submit((n: number) => Array.from({ length: n }, (_, i) => i * 2), 40_000),
  ];
  const [length, total, long, doubled] = await within(Promise.all(futures), 30_000, 'the mixed sizes');
  assert.equal(length, huge.length);
  assert.equal(total, sum(list));
  assert.equal(long, 'y'.repeat(600_000));
  assert.deepEqual(doubled, Array.from({ length: 40_000 }, (_, i) => i * 2));
});

test('lanes - a large result sent just before the child exits arrives whole', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const large = pool.submit((n: number) => Array.from({ length: n }, (_, i) => i * 3), 30_000);
  const exiting = pool.submit(() => process.exit(0));
  const error = await rejection(exiting, 20_000, 'the exiting task');
  assert.ok(error instanceof WorkerDiedError, String(error));
  const values = await within(large, 20_000, 'the large result');
  assert.equal(values.length, 30_000);
  assert.equal(values[29_999], 89_997);
  assert.equal(await within(pool.submit((x: number) => x + 1, 1), 20_000, 'a task on the new child'), 2);
});

test('lanes - a result read from the lane owns its memory: later results reusing the lane do not change it', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  // Long lists whose first item is a number and that hold a typed array: V8 serializes them, into the lane.
  // The string before the array shifts it through every alignment (V8 reads an aligned one as a view).
  const make = (pad: number, fill: number) => [0, 'x'.repeat(pad), new Float64Array(2_000).fill(fill), ...Array.from({ length: 5_000 }, (_, i) => i)];
  const firsts = [];
  for (let pad = 0; pad < 8; pad++) firsts.push(await within(pool.submit(make, pad, 7), 20_000, 'a first result'));
  const arrays = firsts.map((result) => result[2] as Float64Array);
  for (const array of arrays) assert.ok(!(array.buffer instanceof SharedArrayBuffer), 'a copy, not a view into the lane');
  // Twenty more ~60 KB results go round the 1 MiB lane.
  for (let k = 0; k < 20; k++) await within(pool.submit(make, k % 8, k), 20_000, 'a later result');
  for (const array of arrays) assert.ok(array.every((v) => v === 7), 'the first results are unchanged');
});

test('lanes - more large bodies than a lane holds at once: the overflow takes the channel, every one arrives once, in order', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const { release, hold } = holdChild(pool);
  // 30 arguments of ~100 KB each, sent while the child is busy: three times a lane's 1 MiB.
  const lists = Array.from({ length: 30 }, (_, k) => Array.from({ length: 20_000 }, (_, i) => k * 100_000 + i));
  const futures = lists.map((list, k) => pool.submit((list: number[], k: number) => [k, list.length, list[0], list[list.length - 1]], list, k));
  release.set();
  assert.equal(await within(hold, 20_000, 'the holding task'), true);
  const results = await within(Promise.all(futures), 30_000, 'the large tasks');
  assert.deepEqual(results, lists.map((list, k) => [k, 20_000, list[0], list[19_999]]));
});

test('lanes - a task taken back while its arguments wait in the lane is skipped there; the next ones read their own', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const { started, release, hold } = holdChild(pool);
  const first = (list: number[]): number => list[0]!;
  const queued = Array.from({ length: 6 }, (_, k) => pool.submit(first, Array.from({ length: 20_000 }, (_, i) => k * 1_000_000 + i)));
  const kept = pool.submit(first, Array.from({ length: 20_000 }, (_, i) => 42_000_000 + i));
  assert.equal(await within(started.wait(), 20_000, 'the holding task starting'), true);
  assert.deepEqual(queued.map((future) => future.cancel()), queued.map(() => true), 'every waiting task was taken back');
  release.set();
  assert.equal(await within(hold, 20_000, 'the holding task'), true);
  assert.equal(await within(kept, 20_000, 'the task after the cancelled ones'), 42_000_000, 'it read its own arguments, not a cancelled one\'s');
  assert.equal(await within(pool.submit(first, Array.from({ length: 20_000 }, (_, i) => 7 + i)), 20_000, 'a later task'), 7);
  assert.equal(pool.stats().cancelled, 6);
});

test('rings - a burst of 10,000 tasks: every result is its own, none lost, none twice', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2, transport: 'shared-memory' });
  const futures = Array.from({ length: 10_000 }, (_, i) => pool.submit((x: number) => [x, x * x], i));
  const results = await within(Promise.all(futures), 60_000, 'the burst');
  let sum = 0;
  for (let i = 0; i < results.length; i++) {
    assert.deepEqual(results[i], [i, i * i]);
    sum += results[i]![0]!;
  }
  assert.equal(sum, (10_000 * 9_999) / 2);
  const stats = pool.stats();
  assert.equal(stats.completed, 10_000);
  assert.equal(stats.workers.reduce((total, worker) => total + worker.tasks, 0), 10_000);
});

test('rings - a child killed mid-window fails only its task; the tasks behind it run once on a new child', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const runs = new processes.Value('i', 0, { lock: false });
  const bump = (counter: Value<'i'>, i: number): number => {
    if (i === 10) process.kill(process.pid, 'SIGKILL');
    counter.value += 1;
    return i;
  };
  // Tiny tasks first, so the engine sends them in windows of many.
  await within(Promise.all(Array.from({ length: 300 }, () => pool.submit(bump, runs, -1))), 20_000, 'the warm-up');
  const futures = Array.from({ length: 100 }, (_, i) => pool.submit(bump, runs, i));
  await Promise.resolve();
  assert.ok(pool.stats().running > 12, `the killing task and the ones after it are in one window (${pool.stats().running} sent)`);
  const error = await rejection(futures[10]!, 20_000, 'the killed task');
  assert.ok(error instanceof WorkerDiedError, String(error));
  assert.deepEqual(error.death, { kind: 'signal', signal: 'SIGKILL' });
  const others = await within(Promise.all(futures.filter((_, i) => i !== 10)), 20_000, 'the tasks around it');
  assert.deepEqual(others, Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 10));
  assert.equal(runs.value, 300 + 99, 'each task ran exactly once');
});

test('rings - cancel() takes back tasks waiting in a child\'s window; they never run', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
  const runs = new processes.Value('i', 0, { lock: false });
  const { started, release, hold } = holdChild(pool);
  // Windowed behind the running task (sent to the same child, not started).
  const queued = Array.from({ length: 20 }, () => pool.submit((counter: Value<'i'>) => {
    counter.value += 1;
  }, runs));
  assert.equal(await within(started.wait(), 20_000, 'the holding task starting'), true);
  assert.ok(pool.stats().running > 1, 'the tasks behind were sent to the child');
  const taken = queued.map((future) => future.cancel());
  assert.deepEqual(taken, queued.map(() => true), 'every waiting task was taken back');
  release.set();
  assert.equal(await within(hold, 20_000, 'the holding task'), true);
  for (const future of queued) {
    assert.equal(future.cancelled(), true);
    assert.ok((await rejection(future, 1000, 'a cancelled task')) instanceof CancelledError);
  }
  assert.equal(await within(pool.submit((counter: Value<'i'>) => counter.value, runs), 20_000, 'a later task'), 0, 'no cancelled task ran');
  assert.equal(pool.stats().cancelled, 20);
});

test('rings - processes-scope shareables in arguments and results arrive live', { skip }, async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2, transport: 'shared-memory' });
  const lock = new processes.Lock();
  const total = new processes.Value('i', 0, { lock: false });
  const add = (lock: Lock, total: Value<'i'>, times: number): number => {
    for (let i = 0; i < times; i++) {
      lock.acquireSync();
      total.value += 1;
      lock.release();
    }
    return process.pid;
  };
  const pids = await within(Promise.all(Array.from({ length: 8 }, () => pool.submit(add, lock, total, 1000))), 30_000, 'the adding tasks');
  assert.equal(total.value, 8000);
  assert.ok(pids.every((pid) => pid !== process.pid));
  const made = await within(pool.submit(async (url: string) => {
    const { processes: scope } = (await import(url)) as typeof import('../../src/scope/processes.js');
    return new scope.Value('d', 2.5);
  }, new URL('../../src/scope/processes.ts', import.meta.url).href), 20_000, 'the task making a Value');
  assert.equal(made.value, 2.5);
  await within(pool.submit((value: Value<'d'>) => {
    value.value = 7.25;
  }, made), 20_000, 'the task writing to it');
  assert.equal(made.value, 7.25, 'the Value a child made is the same memory here');
});

test('rings - a child blocked in its futex wait exits when its parent is killed', { skip }, async () => {
  const script = `
    import { ProcessPoolExecutor } from './src/pool/process-pool.ts';
    const pool = new ProcessPoolExecutor({ maxWorkers: 1, transport: 'shared-memory' });
    console.log(await pool.submit(() => process.pid));
    process.kill(process.pid, 'SIGKILL');
  `;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await within(new Promise((resolve) => parent.once('close', resolve)), 30_000, 'the parent');
  const child = Number(out.trim());
  assert.ok(Number.isInteger(child) && child > 0, `the child's pid, got ${JSON.stringify(out)}`);
  const deadline = performance.now() + 10_000;
  while (isProcessAlive(child) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(isProcessAlive(child), false, 'the orphaned child still runs');
});
