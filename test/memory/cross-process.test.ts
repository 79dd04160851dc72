// Processes-scope memory and the futex waiter between real processes: the
// same bytes seen by every process, wake-ups that cross, async waits that
// leave the event loop free, and waits in a child's worker thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { child, fixture, median, src, until } from './processes-support.js';
import { futexWaiter } from '../../src/memory/futex-waiter.js';
import { processesMemory } from '../../src/memory/processes-memory.js';
import { describeShared } from '../../src/memory/segments.js';

const words = (n: number) => new Int32Array(processesMemory.allocate(n * 4));
const soon = (ms: number) => performance.now() + ms;
const sliceOf = (w: Int32Array) => JSON.stringify(describeShared(w));

/** Inline child code that attaches the slice in argv[1] as `w` (an Int32Array) with the futex waiter in scope. */
const attach = (body: string) => `
  import { attachShared } from ${src('memory/segments.ts')};
  import { futexWaiter } from ${src('memory/futex-waiter.ts')};
  const w = new Int32Array(attachShared(JSON.parse(process.argv[1])));
  const soon = (ms) => performance.now() + ms;
  ${body}
`;

test('two processes x 1,000,000 Atomics.add on one segment make exactly 2,000,000', async () => {
  // [0] counter  [1] start gate  [2] parties ready
  const w = words(3);
  const adder = attach(`
    Atomics.add(w, 2, 1);
    futexWaiter.wait(w, 1, 0, soon(10_000));
    for (let i = 0; i < 1_000_000; i++) Atomics.add(w, 0, 1);
  `);
  const parties = [child(adder, { args: [sliceOf(w)] }), child(adder, { args: [sliceOf(w)] })];
  await until(() => Atomics.load(w, 2) === 2, 20_000, 'both adders');
  Atomics.store(w, 1, 1);
  futexWaiter.notify(w, 1, Infinity);
  for (const party of parties) {
    const exit = await party.exited;
    assert.equal(exit.code, 0, exit.stderr);
  }
  assert.equal(Atomics.load(w, 0), 2_000_000);
});

test('futex ping-pong between two processes: every wake-up crosses', async (t) => {
  // [0] turn: odd = the child's, even = ours  [1] child ready
  const rounds = 20_000;
  const w = words(2);
  const pong = child(attach(`
    Atomics.store(w, 1, 1);
    for (let k = 0; k < ${rounds}; k++) {
      while (Atomics.load(w, 0) !== 2 * k + 1) {
        if (futexWaiter.wait(w, 0, 2 * k, soon(10_000)) === 'timed-out') throw new Error('pong timed out at ' + k);
      }
      Atomics.store(w, 0, 2 * k + 2);
      futexWaiter.notify(w, 0, 1);
    }
  `), { args: [sliceOf(w)] });
  await until(() => Atomics.load(w, 1) === 1, 20_000, 'the child');
  const started = performance.now();
  for (let k = 0; k < rounds; k++) {
    Atomics.store(w, 0, 2 * k + 1);
    futexWaiter.notify(w, 0, 1);
    while (Atomics.load(w, 0) !== 2 * k + 2) {
      assert.notEqual(futexWaiter.wait(w, 0, 2 * k + 1, soon(10_000)), 'timed-out', `ping timed out at ${k}`);
    }
  }
  const perRound = ((performance.now() - started) * 1000) / rounds;
  t.diagnostic(`cross-process futex round trip: ${perRound.toFixed(1)} µs`);
  const exit = await pong.exited;
  assert.equal(exit.code, 0, exit.stderr);
});

test('an async wait is woken by another process while the event loop keeps running', async () => {
  // [0] the word  [1] the waker's count of woken waiters + 1
  const w = words(2);
  let ticks = 0;
  const interval = setInterval(() => ticks++, 5);
  const parked = futexWaiter.waitAsync(w, 0, 0, soon(20_000));
  const waker = child(attach(`
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    Atomics.store(w, 0, 1);
    Atomics.store(w, 1, futexWaiter.notify(w, 0, 1) + 1);
  `), { args: [sliceOf(w)] });
  const outcome = await parked;
  clearInterval(interval);
  assert.equal(outcome, 'ok');
  assert.ok(ticks >= 10, `the event loop ticked ${ticks} times while the wait was parked`);
  const exit = await waker.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(Atomics.load(w, 1), 2, "the waker's notify() counted this process's parked wait");
});

test('async wake-up latency from another process', async (t) => {
  // [0] the word we wait on, bumped by the child  [1] the child's word, bumped by us
  const rounds = 2000;
  const w = words(2);
  const echo = child(attach(`
    for (let k = 0; k < ${rounds}; k++) {
      while (Atomics.load(w, 1) === k) futexWaiter.wait(w, 1, k, soon(10_000));
      Atomics.store(w, 0, k + 1);
      futexWaiter.notify(w, 0, 1);
    }
  `), { args: [sliceOf(w)] });
  const samples: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const started = performance.now();
    const parked = futexWaiter.waitAsync(w, 0, k, soon(10_000));
    Atomics.store(w, 1, k + 1);
    futexWaiter.notify(w, 1, 1);
    assert.match(await parked, /^(ok|not-equal)$/);
    samples.push((performance.now() - started) * 1000);
  }
  t.diagnostic(`cross-process async round trip (waitAsync, child wakes us): median ${median(samples).toFixed(1)} µs`);
  const exit = await echo.exited;
  assert.equal(exit.code, 0, exit.stderr);
});

test('waits in a worker thread of a child process are woken from this process', async () => {
  // worker-waits.ts: [0] the word it waits on  [1] raised just before each wait
  const w = words(2);
  const host = child(`
    import { attachShared } from ${src('memory/segments.ts')};
    import { workerScript } from ${src('run/bootstrap.ts')};
    import { Worker } from 'node:worker_threads';
    const w = new Int32Array(attachShared(JSON.parse(process.argv[1])));
    const { script, eval: evaluate, workerData } = workerScript(new URL(${JSON.stringify(fixture('worker-waits.ts').href)}), { words: w });
    const worker = new Worker(script, { eval: evaluate, workerData });
    worker.on('message', (message) => console.log(message));
    worker.on('error', (error) => console.log('error: ' + error));
  `, { args: [sliceOf(w)] });
  for (let round = 0; round < 2; round++) {
    await until(() => Atomics.load(w, 1) === round + 1, 20_000, `the worker's wait ${round + 1}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    Atomics.store(w, 0, round + 1);
    futexWaiter.notify(w, 0, 1);
  }
  // 'not-equal' when the worker was descheduled between announcing its wait
  // and parking, past the 100 ms given: the word had changed, as the
  // contract says; anything else (a timeout, an error) fails.
  assert.match(await host.line(), /^sync (ok|not-equal)$/);
  assert.match(await host.line(), /^async (ok|not-equal)$/);
  const exit = await host.exited;
  assert.equal(exit.code, 0, exit.stderr);
});

test('an aborted async wait hands a wake-up it had taken to a waiter in another process', async () => {
  // [0] the word  [1] the child is about to wait
  const w = words(2);
  const controller = new AbortController();
  const abandoned = futexWaiter.waitAsync(w, 0, 0, soon(20_000), controller.signal);
  const sleeper = child(attach(`
    Atomics.store(w, 1, 1);
    console.log(futexWaiter.wait(w, 0, 0, soon(10_000)));
  `), { args: [sliceOf(w)] });
  await until(() => Atomics.load(w, 1) === 1, 20_000, 'the child');
  await new Promise((resolve) => setTimeout(resolve, 100)); // the child is in the kernel, queued after our parking thread
  // The kernel wakes the first sleeper queued: ours. While this thread is
  // busy, the parking thread reports the wake-up; then the abort comes.
  assert.equal(futexWaiter.notify(w, 0, 1), 1);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  controller.abort();
  assert.equal(await abandoned, 'aborted');
  assert.equal(await sleeper.line(), 'ok', 'the child got the wake-up the abandoned wait had taken');
  assert.equal((await sleeper.exited).code, 0);
});

test('a timed-out async wait leaves the other waiters of the word wakeable', async () => {
  const w = words(2);
  const sleeper = child(attach(`
    Atomics.store(w, 1, 1);
    console.log(futexWaiter.wait(w, 0, 0, soon(10_000)));
  `), { args: [sliceOf(w)] });
  await until(() => Atomics.load(w, 1) === 1, 20_000, 'the child');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await futexWaiter.waitAsync(w, 0, 0, soon(50)), 'timed-out');
  assert.equal(futexWaiter.notify(w, 0, 1), 1);
  assert.equal(await sleeper.line(), 'ok');
  assert.equal((await sleeper.exited).code, 0);
});

test('without futex_waitv (older kernels): async waits park one pooled thread each and keep the contract', async () => {
  const w = words(4);
  const run = child(attach(`
    import { native } from ${src('memory/native.ts')};
    console.log(JSON.stringify({ futexWaitv: native().futexWaitv }));
    const controller = new AbortController();
    const aborted = futexWaiter.waitAsync(w, 2, 0, Infinity, controller.signal);
    controller.abort();
    const outcomes = [await aborted, await futexWaiter.waitAsync(w, 2, 0, soon(30)), await futexWaiter.waitAsync(w, 2, 5, soon(30))];
    Atomics.store(w, 1, 1);
    outcomes.push(await futexWaiter.waitAsync(w, 0, 0, soon(10_000)));
    console.log(JSON.stringify({ outcomes, threads: native().parkingThreads() }));
  `), { args: [sliceOf(w)], env: { WEFT_FUTEX_WAITV: '0' } });
  assert.deepEqual(await run.json(), { futexWaitv: false });
  await until(() => Atomics.load(w, 1) === 1, 20_000, 'the child to park');
  await new Promise((resolve) => setTimeout(resolve, 50));
  Atomics.store(w, 0, 1);
  assert.equal(futexWaiter.notify(w, 0, 1), 1);
  const report = await run.json<{ outcomes: string[]; threads: number }>();
  assert.deepEqual(report.outcomes, ['aborted', 'timed-out', 'not-equal', 'ok']);
  assert.ok(report.threads >= 1);
  assert.equal((await run.exited).code, 0);
});

test('stress: 5,000 tokens from another process to 50 async waiters that abort at random; every token is taken', async () => {
  // [0] tokens available (-1: the end)  [1] produced  [2] child ready
  const tokens = 5000;
  const w = words(3);
  let taken = 0;
  let aborts = 0;
  const take = (): boolean => {
    for (let n = Atomics.load(w, 0); n > 0; n = Atomics.load(w, 0)) {
      if (Atomics.compareExchange(w, 0, n, n - 1) === n) return true;
    }
    return false;
  };
  const waiter = async (): Promise<void> => {
    for (;;) {
      while (take()) taken++;
      if (Atomics.load(w, 0) < 0) return;
      // A wait that aborts must hand on any wake-up it took, or a token waits for nobody.
      const signal = Math.random() < 0.2 ? AbortSignal.timeout(Math.floor(Math.random() * 3)) : undefined;
      const outcome = await futexWaiter.waitAsync(w, 0, 0, soon(10_000), signal);
      if (outcome === 'aborted') aborts++;
      assert.notEqual(outcome, 'timed-out', `stranded with ${Atomics.load(w, 0)} tokens left, ${taken} taken`);
    }
  };
  const producer = child(attach(`
    Atomics.store(w, 2, 1);
    for (let i = 0; i < ${tokens}; i++) {
      Atomics.add(w, 0, 1);
      Atomics.add(w, 1, 1);
      futexWaiter.notify(w, 0, 1);
      if (i % 64 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  `), { args: [sliceOf(w)] });
  const waiters = Array.from({ length: 50 }, waiter);
  assert.equal((await producer.exited).code, 0);
  await until(() => taken === tokens, 20_000, `all tokens taken (${taken} so far)`);
  Atomics.store(w, 0, -1);
  futexWaiter.notify(w, 0, Infinity);
  await Promise.all(waiters);
  assert.equal(taken, tokens);
  assert.ok(aborts > 0);
});
