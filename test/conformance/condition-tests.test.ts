/**
 * Mirrors CPython's `Lib/test/lock_tests.py` (3.12): `ConditionTests`, run
 * against weft's `Condition` in every party mode (see `support.ts`). Test
 * names are upstream's; seconds become milliseconds, `wait_for` is
 * `waitFor`, `notify_all` is `notifyAll`, `RuntimeError` is
 * `InvalidStateError`.
 *
 * Which condition: upstream's `condtype` is `threading.Condition`, whose lock
 * is an RLock. Threads mode runs exactly that. In async mode the parties are
 * tasks of one thread, and an RLock's owner is a thread, so an RLock would not
 * exclude them from each other (see RLock's doc); async mode therefore runs the
 * suite over `Condition(new Lock())`, which does. test_acquire builds both
 * kinds itself, as upstream does, and runs in every mode. Processes mode
 * (parties in child processes) runs `processes.Condition`, an RLock's.
 *
 * Coordination: test_waitfor and test_waitfor_timeout replace upstream's
 * 10 ms sleeps between increments with a handshake — the predicate counts its
 * evaluations, which happen under the lock just before the party waits, so
 * the test notifies only once the party is waiting.
 */

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { Condition, InvalidStateError, Lock } from '../../src/index.js';
import { assertTimeout, Bunch, floats, ints, itIn, modesFor, solo, until, waitThreadsBlocked, type Mode } from './support.js';
import { processes } from '../../src/scope/processes.js';

const N = 5;
const TIMEOUT = 500;
const WAITFOR_TIMEOUT = 100;

/**
 * With the parties in child processes, a subset (see `itIn`): waitFor in
 * another process, notified from this one, with and without its timeout.
 * Left to the other modes: test_notify (two bunches of five parties: 15 s in
 * processes mode on the shared test machine) and test_timeout (five parties,
 * 3.5 s), which pass there too.
 */
const IN_PROCESSES = new Set(['test_waitfor', 'test_waitfor_timeout']);

interface ConditionType {
  readonly name: string;
  readonly make: () => Condition;
}

const CONDITION_TYPES: Record<Mode, readonly ConditionType[]> = {
  async: [
    { name: 'Condition(Lock)', make: () => new Condition(new Lock()) },
    // The processes scope: the same classes over /dev/shm memory and futex wake-ups.
    { name: 'processes.Condition(processes.Lock)', make: () => new processes.Condition(new processes.Lock()) },
  ],
  threads: [
    { name: 'Condition', make: () => new Condition() },
    { name: 'processes.Condition', make: () => new processes.Condition() },
  ],
  // Parties in separate processes: only the processes scope's primitives reach them.
  processes: [{ name: 'processes.Condition', make: () => new processes.Condition() }],
};

/** A tally of (result, phase) pairs: slot `phase * 2 + (result ? 1 : 0)`. */
const PHASES = 4;

function pairs(tally: Int32Array): [boolean, number][] {
  const out: [boolean, number][] = [];
  for (let phase = 0; phase < PHASES; phase++) {
    for (const result of [false, true]) {
      for (let i = 0; i < Atomics.load(tally, phase * 2 + (result ? 1 : 0)); i++) out.push([result, phase]);
    }
  }
  return out;
}

function total(tally: Int32Array): number {
  return tally.reduce((sum, count) => sum + count, 0);
}

function times(pair: [boolean, number], count: number): [boolean, number][] {
  return Array.from({ length: count }, () => pair);
}

// ---- Parties. Self-contained: in threads mode they run in workers as source text.

interface NotifyShared {
  cond: Condition;
  ready: Int32Array;
  phase: Int32Array;
  results1: Int32Array;
  results2: Int32Array;
}

const waitTwiceForNotify = async ({ cond, ready, phase, results1, results2 }: NotifyShared) => {
  await cond.acquire();
  Atomics.add(ready, 0, 1);
  let result = await cond.wait();
  cond.release();
  Atomics.add(results1, Atomics.load(phase, 0) * 2 + (result ? 1 : 0), 1);
  await cond.acquire();
  Atomics.add(ready, 0, 1);
  result = await cond.wait();
  cond.release();
  Atomics.add(results2, Atomics.load(phase, 0) * 2 + (result ? 1 : 0), 1);
};

const timedWait = async (
  { cond, results, elapsed, timeout }: { cond: Condition; results: Int32Array; elapsed: Float64Array; timeout: number },
  index: number,
) => {
  await cond.acquire();
  const start = performance.now();
  const result = await cond.wait({ timeout });
  elapsed[index] = performance.now() - start;
  cond.release();
  Atomics.add(results, result ? 1 : 0, 1);
};

interface WaitForShared {
  cond: Condition;
  state: Int32Array;
  checks: Int32Array;
  result: Int32Array;
  elapsed: Float64Array;
  timeout: number;
}

const waitForFour = async ({ cond, state, checks, result, elapsed, timeout }: WaitForShared) => {
  await cond.acquire();
  try {
    const start = performance.now();
    const predicate = () => {
      Atomics.add(checks, 0, 1);
      return Atomics.load(state, 0) === 4;
    };
    const ok = await cond.waitFor(predicate, timeout < 0 ? {} : { timeout });
    elapsed[0] = performance.now() - start;
    Atomics.store(result, 0, ok ? 1 : 2);
    Atomics.store(result, 1, Atomics.load(state, 0));
  } finally {
    cond.release();
  }
};

// ---- Suite

async function checkNotify(mode: Mode, cond: Condition): Promise<void> {
  const ready = ints(1);
  const phase = ints(1);
  const results1 = ints(PHASES * 2);
  const results2 = ints(PHASES * 2);
  const bunch = new Bunch(mode, waitTwiceForNotify, N, { cond, ready, phase, results1, results2 });
  // Everyone reports ready while holding the lock, so once N have, all wait.
  await until(() => Atomics.load(ready, 0) >= N, 'all parties to wait');
  Atomics.store(ready, 0, 0);
  assert.deepEqual(pairs(results1), []);

  // Notify 3 of them. Those woken block on the lock until we release it, so
  // they all see phase 1.
  const count1 = 3;
  await cond.acquire();
  cond.notify(count1);
  await waitThreadsBlocked(count1);
  Atomics.store(phase, 0, 1);
  cond.release();
  await until(() => total(results1) >= count1, `${count1} parties to wake`);
  assert.deepEqual(pairs(results1), times([true, 1], count1));
  assert.deepEqual(pairs(results2), []);

  // Notify 5: the 2 still in their first wait and the 3 now in their second.
  await until(() => Atomics.load(ready, 0) >= count1, 'the woken parties to wait again');
  await cond.acquire();
  cond.notify(5);
  await waitThreadsBlocked(N);
  Atomics.store(phase, 0, 2);
  cond.release();
  await until(() => total(results1) + total(results2) >= N + count1, 'the notified parties to wake');
  const count2 = N - count1;
  assert.deepEqual(pairs(results1), [...times([true, 1], count1), ...times([true, 2], count2)]);
  assert.deepEqual(pairs(results2), times([true, 2], count1));

  // notifyAll: the last 2, all in their second wait.
  await until(() => Atomics.load(ready, 0) >= N, 'all parties to be in their second wait');
  await cond.acquire();
  cond.notifyAll();
  await waitThreadsBlocked(N);
  Atomics.store(phase, 0, 3);
  cond.release();
  await until(() => total(results2) >= N, 'every party to finish');
  assert.deepEqual(pairs(results1), [...times([true, 1], count1), ...times([true, 2], count2)]);
  assert.deepEqual(pairs(results2), [...times([true, 2], count1), ...times([true, 3], count2)]);
  await bunch.join();
}

function conditionTests(mode: Mode, type: ConditionType): void {
  const it = itIn(mode, IN_PROCESSES);
  it('test_acquire', () =>
    solo(mode, async ({ reentrant, lock, cond }) => {
      // By default the lock is an RLock: the condition can be acquired repeatedly.
      await reentrant.acquire();
      await reentrant.acquire();
      reentrant.release();
      reentrant.release();
      // Given a lock, the condition is that lock.
      await cond.acquire();
      assert.equal(await lock.acquire({ blocking: false }), false);
      cond.release();
      assert.equal(await lock.acquire({ blocking: false }), true);
      assert.equal(await cond.acquire({ blocking: false }), false);
      lock.release();
      {
        await using held = await cond.hold();
        assert.equal(held.held, true);
        assert.equal(await lock.acquire({ blocking: false }), false);
      }
      assert.equal(lock.locked(), false);
    }, (() => {
      const lock = new Lock();
      return { reentrant: new Condition(), lock, cond: new Condition(lock) };
    })()));

  it('test_unacquired_wait', () =>
    solo(mode, async ({ cond }) => {
      await assert.rejects(cond.wait(), InvalidStateError);
    }, { cond: type.make() }));

  it('test_unacquired_notify', () =>
    solo(mode, ({ cond }) => {
      assert.throws(() => cond.notify(), InvalidStateError);
    }, { cond: type.make() }));

  it('test_notify', async () => {
    const cond = type.make();
    await checkNotify(mode, cond);
    // A second time, to check the internal state is still right.
    await checkNotify(mode, cond);
  });

  it('test_timeout', async () => {
    const cond = type.make();
    const results = ints(2);
    const elapsed = floats(N);
    await Bunch.run(mode, timedWait, N, { cond, results, elapsed, timeout: TIMEOUT });
    for (const dt of elapsed) assertTimeout(dt, TIMEOUT);
    // No notify and no spurious wake-ups: every wait times out.
    assert.deepEqual([...results], [N, 0]);
  });

  it('test_waitfor', async () => {
    const cond = type.make();
    const state = ints(1);
    const checks = ints(1);
    const result = ints(2);
    const bunch = new Bunch(mode, waitForFour, 1, { cond, state, checks, result, elapsed: floats(1), timeout: -1 });
    for (let i = 0; i < 4; i++) {
      await until(() => Atomics.load(checks, 0) > i, 'the party to check its predicate');
      await cond.acquire();
      Atomics.add(state, 0, 1);
      cond.notify();
      cond.release();
    }
    await bunch.join();
    assert.deepEqual([...result], [1, 4], 'waitFor returned true once the state reached 4');
  });

  it('test_waitfor_timeout', async () => {
    const cond = type.make();
    const state = ints(1);
    const checks = ints(1);
    const result = ints(2);
    const elapsed = floats(1);
    const bunch = new Bunch(mode, waitForFour, 1, { cond, state, checks, result, elapsed, timeout: WAITFOR_TIMEOUT });
    // Only 3 increments: the state never reaches 4.
    for (let i = 0; i < 3; i++) {
      await until(() => Atomics.load(checks, 0) > i || bunch.finished > 0, 'the party to check its predicate');
      await cond.acquire();
      Atomics.add(state, 0, 1);
      cond.notify();
      cond.release();
    }
    await bunch.join();
    assert.equal(result[0], 2, 'waitFor timed out');
    assertTimeout(elapsed[0]!, WAITFOR_TIMEOUT);
  });
}

for (const mode of modesFor('processes')) {
  for (const type of CONDITION_TYPES[mode]) {
    describe(`ConditionTests [${type.name}] — ${mode} parties`, () => conditionTests(mode, type));
  }
}
