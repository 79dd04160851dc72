// futexWaiter honours the Waiter contract (the one atomicsWaiter keeps) within
// one process; cross-process.test.ts checks it between processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { child, fixture, src, until } from './processes-support.js';
import { futexWaiter } from '../../src/memory/futex-waiter.js';
import { native } from '../../src/memory/native.js';
import { processesMemory } from '../../src/memory/processes-memory.js';
import { FOREVER } from '../../src/memory/deadline.js';
import { workerScript } from '../../src/run/bootstrap.js';

const words = (n = 1) => new Int32Array(processesMemory.allocate(n * 4));
const soon = (ms: number) => performance.now() + ms;

test('wait() - not-equal at once, timed-out after the deadline', () => {
  const w = words();
  assert.equal(futexWaiter.wait(w, 0, 1, FOREVER), 'not-equal');
  const started = performance.now();
  assert.equal(futexWaiter.wait(w, 0, 0, soon(30)), 'timed-out');
  assert.ok(performance.now() - started >= 29);
  assert.equal(futexWaiter.wait(w, 0, 0, performance.now()), 'timed-out');
});

test('waitAsync() - not-equal and timed-out, with and without parking', async () => {
  const w = words();
  assert.equal(await futexWaiter.waitAsync(w, 0, 7, FOREVER), 'not-equal');
  assert.equal(await futexWaiter.waitAsync(w, 0, 0, performance.now()), 'timed-out');
  const started = performance.now();
  assert.equal(await futexWaiter.waitAsync(w, 0, 0, soon(40)), 'timed-out');
  assert.ok(performance.now() - started >= 39);
});

test('waitAsync() - negative expected values compare as 32-bit words', async () => {
  // A value the kernel compared wrongly would come back not-equal at once.
  const w = words();
  w[0] = -5;
  assert.equal(await futexWaiter.waitAsync(w, 0, -5, soon(50)), 'timed-out');
  assert.equal(futexWaiter.wait(w, 0, -5, soon(20)), 'timed-out');
});

test('notify() wakes a parked async wait and counts it', async () => {
  const w = words();
  const parked = futexWaiter.waitAsync(w, 0, 0, soon(5000));
  let woken = 0;
  // The parking thread enters the kernel shortly after the call returns.
  while (woken === 0) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    woken = futexWaiter.notify(w, 0, 1);
  }
  assert.equal(woken, 1);
  assert.equal(await parked, 'ok');
});

test('a wake-up right after waitAsync() returns is never lost, parked yet or not', async () => {
  // The parking thread may not be in the kernel yet: the kernel's value
  // check then reports not-equal instead of the wake-up; never a timeout.
  const w = words();
  for (let i = 0; i < 200; i++) {
    const parked = futexWaiter.waitAsync(w, 0, i, soon(5000));
    Atomics.store(w, 0, i + 1);
    futexWaiter.notify(w, 0, 1);
    assert.match(await parked, /^(ok|not-equal)$/);
  }
});

test('an aborted async wait settles aborted at once', async () => {
  const w = words();
  const controller = new AbortController();
  const parked = futexWaiter.waitAsync(w, 0, 0, FOREVER, controller.signal);
  controller.abort();
  assert.equal(await parked, 'aborted');
  assert.equal(await futexWaiter.waitAsync(w, 0, 0, FOREVER, controller.signal), 'aborted');
  assert.equal(native().pendingWaits(), 0);
});

test('an aborted async wait passes on a wake-up it consumed', async () => {
  const w = words();
  const controller = new AbortController();
  const abandoned = futexWaiter.waitAsync(w, 0, 0, FOREVER, controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 20)); // parked in the kernel
  // The wake-up reaches the parking thread; block this thread so the abort
  // comes after the thread took it and before its outcome is delivered.
  assert.equal(futexWaiter.notify(w, 0, 1), 1);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
  controller.abort();
  assert.equal(await abandoned, 'aborted');
  // The wake-up went on to the word's next waiter: a thread parked meanwhile.
  const next = futexWaiter.waitAsync(w, 0, 0, soon(2000));
  await new Promise((resolve) => setTimeout(resolve, 20));
  futexWaiter.notify(w, 0, 1);
  assert.equal(await next, 'ok');
});

test('abandoned and live waits on one word: a wake-up reaches the live one', async () => {
  const w = words();
  const controller = new AbortController();
  const abandoned = futexWaiter.waitAsync(w, 0, 0, FOREVER, controller.signal);
  controller.abort();
  assert.equal(await abandoned, 'aborted');
  const live = futexWaiter.waitAsync(w, 0, 0, soon(2000));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(futexWaiter.notify(w, 0, 1), 1);
  assert.equal(await live, 'ok');
});

test('more waits than one futex_waitv call holds: every one is woken', async () => {
  const count = 300;
  const w = words(count);
  const parked = Array.from({ length: count }, (_, i) => futexWaiter.waitAsync(w, i, 0, soon(10_000)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (let i = 0; i < count; i++) {
    Atomics.store(w, i, 1);
    futexWaiter.notify(w, i, 1);
  }
  const outcomes = await Promise.all(parked);
  assert.equal(outcomes.filter((o) => o === 'ok' || o === 'not-equal').length, count);
  assert.equal(native().pendingWaits(), 0);
});

test('parked async waits leave libuv’s thread pool free (fs work is not starved)', async () => {
  const w = words(8);
  const parked = Array.from({ length: 8 }, (_, i) => futexWaiter.waitAsync(w, i, 0, FOREVER, AbortSignal.timeout(5000)));
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, () => readFile(new URL(import.meta.url))));
  const took = performance.now() - started;
  assert.ok(took < 500, `8 reads took ${took.toFixed(0)} ms with 8 parked waits`);
  for (let i = 0; i < 8; i++) {
    Atomics.store(w, i, 1);
    futexWaiter.notify(w, i, 1);
  }
  for (const outcome of await Promise.all(parked)) assert.notEqual(outcome, 'aborted');
});

test('a parked async wait keeps the process alive until it settles; a settled one does not', async () => {
  // The only other thing pending is an unref'd timer: without the parked
  // wait holding the loop, the child would exit with nothing printed.
  const run = child(`
    import { futexWaiter } from ${src('memory/futex-waiter.ts')};
    import { processesMemory } from ${src('memory/processes-memory.ts')};
    const w = new Int32Array(processesMemory.allocate(4));
    setTimeout(() => { Atomics.store(w, 0, 1); futexWaiter.notify(w, 0, 1); }, 150).unref();
    console.log(await futexWaiter.waitAsync(w, 0, 0, Infinity));
    console.log(await futexWaiter.waitAsync(w, 0, 1, performance.now() + 20));
  `);
  assert.equal(await run.line(), 'ok');
  assert.equal(await run.line(), 'timed-out');
  const exit = await run.exited;
  assert.equal(exit.code, 0, exit.stderr);
});

test('waits in a worker thread: sync and async, woken from the main thread', async () => {
  const w = words(2);
  const { script, eval: evaluate, workerData } = workerScript(fixture('worker-waits.ts'), { words: w });
  const worker = new Worker(script, { eval: evaluate, workerData });
  const outcomes: string[] = [];
  worker.on('message', (message: string) => outcomes.push(message));
  worker.on('error', (error) => outcomes.push(`error: ${String(error)}`));
  for (let round = 0; round < 2; round++) {
    // The worker raises word 1 to round + 1 just before it waits.
    await until(() => Atomics.load(w, 1) === round + 1, 10_000, `the worker's wait ${round + 1}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    Atomics.store(w, 0, round + 1);
    futexWaiter.notify(w, 0, 1);
  }
  await new Promise((resolve) => worker.on('exit', resolve));
  assert.deepEqual(outcomes, ['sync ok', 'async ok']);
});
