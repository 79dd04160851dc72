// The processes context: the threads-scope primitives over processes memory,
// shared with child Processes (and worker threads, pool workers) as live
// handles on the same segments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { child, shmEntries, src } from '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import { getContext, threads } from '../../src/scope/threads.js';
import { Thread } from '../../src/run/thread.js';
import { Queue } from '../../src/queue/queue.js';
import { ProcessPoolExecutor } from '../../src/pool/process-pool.js';
import { Lock as ThreadsLock } from '../../src/sync/lock.js';
import type { RLock } from '../../src/sync/rlock.js';
import { DataCloneError } from '../../src/errors.js';
import { SCOPE } from '../../src/share/protocol.js';
import type { Value } from '../../src/shared/value.js';
import type { SharedArray } from '../../src/shared/array.js';

type Lock = ThreadsLock;

const { Process } = processes;

async function runAll(children: InstanceType<typeof Process>[]): Promise<(number | null | undefined)[]> {
  for (const p of children) p.start();
  for (const p of children) await p.join();
  return children.map((p) => p.exitCode);
}

test('getContext("processes") is the frozen processes context; its objects say scope processes', () => {
  assert.equal(getContext('processes'), processes);
  assert.equal(getContext(), threads);
  assert.throws(() => getContext('cluster' as never), /unknown or unavailable scope 'cluster'; available: 'threads', 'processes'/);
  assert.ok(Object.isFrozen(processes));
  assert.equal(processes.scope, 'processes');
  const lock = new processes.Lock();
  assert.ok(lock instanceof ThreadsLock, 'the same class, over other memory');
  assert.equal(lock[SCOPE], 'processes');
  assert.equal(new processes.Value('i', 0).getLock()[SCOPE], 'processes', "a Value's default lock is in its scope");
  assert.equal(new processes.Condition()[SCOPE], 'processes');
  assert.throws(() => new processes.Value('i', 0, { lock: new ThreadsLock() }), /processes-scope value needs a lock of the same scope/);
  assert.throws(() => new processes.Condition(new ThreadsLock()), /same scope/);
});

test('a Lock and a Value shared with 5 processes: 10,000 locked increments each make exactly 50,000', async () => {
  const lock = new processes.Lock();
  const counter = new processes.Value('i', 0, { lock: false });
  const increment = (counter: Value<'i'>, lock: Lock, times: number): void => {
    const scope = Symbol.for('weft.scope') as never;
    if (lock[scope] !== 'processes' || counter[scope] !== 'processes') process.exit(3); // revived in their scope
    for (let i = 0; i < times; i++) {
      lock.acquireSync();
      counter.value += 1;
      lock.release();
    }
  };
  const codes = await runAll(Array.from({ length: 5 }, () => new Process({ target: increment, args: [counter, lock, 10_000] })));
  assert.deepEqual(codes, [0, 0, 0, 0, 0]);
  assert.equal(counter.value, 50_000);
  assert.equal(lock.locked(), false);
});

test("a Value's own lock (getLock()) guards increments from processes and the parent's async acquire at once", async () => {
  const counter = new processes.Value('i', 0);
  const increment = (counter: Value<'i'>): void => {
    for (let i = 0; i < 5_000; i++) {
      const held = counter.getLock().holdSync();
      counter.value += 1;
      held[Symbol.dispose]();
    }
  };
  const children = Array.from({ length: 3 }, () => new Process({ target: increment, args: [counter] }));
  for (const p of children) p.start();
  for (let i = 0; i < 2_000; i++) {
    await counter.getLock().acquire();
    counter.value += 1;
    counter.getLock().release();
  }
  for (const p of children) await p.join();
  assert.deepEqual(children.map((p) => p.exitCode), [0, 0, 0]);
  assert.equal(counter.value, 17_000);
});

test('an Event set in a child wakes the parent awaiting it; the event loop runs meanwhile', async () => {
  const event = new processes.Event();
  const go = new processes.Event();
  const p = new Process({
    target: (event: InstanceType<typeof processes.Event>, go: InstanceType<typeof processes.Event>) => {
      go.waitSync();
      event.set();
    },
    args: [event, go],
  });
  p.start();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const waited = event.wait({ timeout: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(event.isSet(), false);
    go.set();
    assert.equal(await waited, true);
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks >= 5, `timers kept running while the parent waited (${ticks} ticks)`);
  await p.join();
  assert.equal(p.exitCode, 0);
});

test('a Semaphore(2) admits at most two processes at a time, and two do get in together', async () => {
  const sem = new processes.Semaphore(2);
  const together = new processes.Barrier(4);
  const inside = new processes.Value('i', 0);
  const most = new processes.Value('i', 0);
  type Sem = InstanceType<typeof processes.Semaphore>;
  type Gate = InstanceType<typeof processes.Barrier>;
  const enter = (sem: Sem, together: Gate, inside: Value<'i'>, most: Value<'i'>): void => {
    together.waitSync({ timeout: 30_000 }); // all four start at once
    for (let round = 0; round < 10; round++) {
      sem.acquireSync();
      inside.getLock().acquireSync();
      const now = ++inside.value;
      if (now > most.value) most.value = now;
      inside.getLock().release();
      // Stay in a while, until someone joins (or 20 ms pass): the limit is what is tested.
      const until = Date.now() + 20;
      while (inside.value < 2 && Date.now() < until);
      inside.getLock().acquireSync();
      inside.value -= 1;
      inside.getLock().release();
      sem.release();
    }
  };
  const children = Array.from({ length: 4 }, () => new Process({ target: enter, args: [sem, together, inside, most] }));
  for (const p of children) p.start();
  for (const p of children) await p.join();
  assert.deepEqual(children.map((p) => p.exitCode), [0, 0, 0, 0]);
  assert.equal(inside.value, 0);
  assert.equal(most.value, 2);
});

test('a BoundedSemaphore released too often in a child refuses, in its scope', async () => {
  const sem = new processes.BoundedSemaphore(1);
  const p = new Process({
    target: (sem: InstanceType<typeof processes.BoundedSemaphore>) => {
      try {
        sem.release();
      } catch (error) {
        process.exit((error as Error).name === 'RangeError' ? 7 : 8);
      }
    },
    args: [sem],
  });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 7);
});

test('a Condition: a child waits for a predicate the parent makes true and notifies', async () => {
  const cond = new processes.Condition();
  const state = new processes.Value('i', 0, { lock: false });
  const p = new Process({
    target: (cond: InstanceType<typeof processes.Condition>, state: Value<'i'>) => {
      cond.acquireSync();
      state.value = 1; // "I am waiting"
      const ok = cond.waitForSync(() => state.value === 2, { timeout: 30_000 });
      state.value = ok ? 3 : 4;
      cond.release();
    },
    args: [cond, state],
  });
  p.start();
  for (;;) {
    await cond.acquire();
    const waiting = state.value === 1;
    if (waiting) {
      state.value = 2;
      cond.notifyAll();
    }
    cond.release();
    if (waiting) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await p.join();
  assert.equal(p.exitCode, 0);
  assert.equal(state.value, 3);
});

test('a Barrier(4): three processes and the parent cross together, each with its own index', async () => {
  const barrier = new processes.Barrier(4);
  const indices = new processes.SharedArray('i', [-1, -1, -1, -1]);
  const cross = (barrier: InstanceType<typeof processes.Barrier>, indices: SharedArray<'i'>, slot: number): void => {
    indices[slot] = barrier.waitSync({ timeout: 30_000 });
  };
  const children = [1, 2, 3].map((slot) => new Process({ target: cross, args: [barrier, indices, slot] }));
  for (const p of children) p.start();
  indices[0] = await barrier.wait({ timeout: 30_000 });
  for (const p of children) await p.join();
  assert.deepEqual(children.map((p) => p.exitCode), [0, 0, 0]);
  assert.deepEqual([...indices].sort(), [0, 1, 2, 3]);
  assert.equal(barrier.broken, false);
});

test('an RLock held by the parent is not owned by a child: release refuses, a try fails; the child then owns it recursively', async () => {
  const rlock = new processes.RLock();
  const step = new processes.Value('i', 0, { lock: false });
  rlock.acquireSync();
  rlock.acquireSync();
  const p = new Process({
    target: async (rlock: RLock, step: Value<'i'>) => {
      const { setTimeout: sleep } = await import('node:timers/promises');
      let refused = false;
      try {
        rlock.release();
      } catch (error) {
        refused = (error as Error).name === 'RuntimeError' || (error as Error).name === 'InvalidStateError';
      }
      const tried = rlock.acquireSync({ blocking: false });
      step.value = refused && !tried ? 1 : -1;
      // The parent lets go; this process then holds it twice.
      rlock.acquireSync();
      rlock.acquireSync();
      step.value = 2;
      while (step.value !== 3) await sleep(1);
      rlock.release();
      step.value = 4; // still held once: the parent cannot get in before it sees this
      rlock.release();
    },
    args: [rlock, step],
  });
  const stepNow = (): number => step.value;
  p.start();
  while (step.value === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(step.value, 1, "the child could neither release nor take the parent's RLock");
  rlock.release();
  assert.equal(rlock.locked(), true, 'still held once');
  rlock.release();
  while (stepNow() !== 2) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(await rlock.acquire({ timeout: 20 }), false, 'the child owns it now');
  assert.throws(() => rlock.release(), /not|own/i);
  step.value = 3;
  assert.equal(await rlock.acquire({ timeout: 30_000 }), true);
  assert.equal(stepNow(), 4);
  rlock.release();
  await p.join();
  assert.equal(p.exitCode, 0);
});

test('a processes-scope Lock and Value reach a worker thread too, live', async () => {
  const counter = new processes.Value('i', 0);
  const scope = new processes.Value('i', 0);
  const t = new Thread({
    target: (counter: Value<'i'>, scope: Value<'i'>) => {
      const SCOPE = Symbol.for('weft.scope') as never;
      scope.value = counter.getLock()[SCOPE] === 'processes' ? 1 : -1;
      for (let i = 0; i < 1_000; i++) {
        const held = counter.getLock().holdSync();
        counter.value += 1;
        held[Symbol.dispose]();
      }
    },
    args: [counter, scope],
  });
  t.start();
  for (let i = 0; i < 1_000; i++) {
    await counter.getLock().acquire();
    counter.value += 1;
    counter.getLock().release();
  }
  await t.join();
  assert.equal(scope.value, 1, 'revived in the worker as a processes-scope lock');
  assert.equal(counter.value, 2_000);
});

test('a processes-scope Lock put on a (threads) Queue is revived synchronously by getSync in a worker', async () => {
  const queue = new Queue<Lock>();
  const lock = new processes.Lock();
  const result = new processes.Value('i', 0);
  const t = new Thread({
    target: (queue: Queue<Lock>, result: Value<'i'>) => {
      const got = queue.getSync({ timeout: 30_000 });
      result.value = (got as unknown as Record<symbol, unknown>)[Symbol.for('weft.scope')] === 'processes' && got.locked() ? 1 : -1;
      got.release();
    },
    args: [queue, result],
  });
  t.start();
  await lock.acquire();
  queue.putSync(lock);
  await t.join();
  assert.equal(result.value, 1);
  assert.equal(lock.locked(), false, 'released by the worker');
});

test('a processes-scope Value passed to a ProcessPoolExecutor task is live there', async () => {
  const counter = new processes.Value('i', 0);
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  const add = (counter: Value<'i'>, n: number): number => {
    const held = counter.getLock().holdSync();
    counter.value += n;
    held[Symbol.dispose]();
    return process.pid;
  };
  const pids = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.submit(add, counter, i + 1)));
  assert.equal(counter.value, 36);
  assert.ok(pids.every((pid) => pid !== process.pid));
});

test('a processes-scope Value made in a pool worker comes back live as its result', async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const make = async (scopeModule: string) => {
    const { processes } = await import(scopeModule);
    return new processes.Value('i', 7);
  };
  const made = (await pool.submit(make, new URL('../../src/scope/processes.ts', import.meta.url).href)) as Value<'i'>;
  assert.equal(made[SCOPE], 'processes');
  made.value += 1;
  assert.equal(await pool.submit((v: Value<'i'>) => v.value, made), 8, 'the worker sees the parent\'s write');
});

test('a threads-scope Lock sent to a Process is still refused, naming the processes context', () => {
  const p = new Process({ target: (_lock: unknown) => {}, args: [new ThreadsLock()] });
  assert.throws(() => p.start(), (error: unknown) => error instanceof DataCloneError && /processes\.Lock/.test((error as Error).message));
});

test('no segment outlives a run: a parent sharing objects with children leaves /dev/shm as it found it', async () => {
  const before = shmEntries();
  const run = child(`
    const { processes } = await import(${src('scope/processes.ts')});
    const lock = new processes.Lock();
    const counter = new processes.Value('i', 0);
    const sem = new processes.Semaphore(1);
    const big = new processes.SharedArray('d', 10_000);
    const children = [0, 1].map(() => new processes.Process({
      target: (lock, counter, sem, big) => {
        lock.acquireSync(); counter.value += 1; lock.release();
        sem.acquireSync(); big[0] += 1; sem.release();
      },
      args: [lock, counter, sem, big],
    }));
    for (const p of children) p.start();
    for (const p of children) await p.join();
    console.log(JSON.stringify({ counter: counter.value, big: big[0], codes: children.map((p) => p.exitCode) }));
  `);
  assert.deepEqual(await run.json(), { counter: 2, big: 2, codes: [0, 0] });
  const exit = await run.exited;
  assert.equal(exit.code, 0, exit.stderr);
  // Nothing new is left. (This process's own segments may have gone meanwhile:
  // earlier tests' buffers are freed when collected.)
  assert.deepEqual(shmEntries().filter((name) => !before.includes(name)), []);
});

test('without the addon: the processes context imports, and its first object throws ProcessesScopeUnavailableError', async () => {
  const run = child(
    `
    const weft = await import(${src('index.ts')});
    const { processes } = await import(${src('scope/processes.ts')});
    console.log(JSON.stringify({ same: weft.getContext('processes') === processes }));
    for (const make of [() => new processes.Lock(), () => new processes.Value('i', 0), () => new processes.Barrier(2)]) {
      try {
        make();
        console.log('{}');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, code: error.code, reason: error.reason }));
      }
    }
    const lock = new weft.Lock();
    console.log(JSON.stringify({ threadsScope: lock.acquireSync() }));
  `,
    { env: { WEFT_NATIVE_ADDON: '/nonexistent/weft.node' } },
  );
  assert.deepEqual(await run.json(), { same: true });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await run.json(), { name: 'ProcessesScopeUnavailableError', code: 'ERR_WEFT_PROCESSES_UNAVAILABLE', reason: 'not-built' });
  }
  assert.deepEqual(await run.json(), { threadsScope: true });
  assert.equal((await run.exited).code, 0);
});
