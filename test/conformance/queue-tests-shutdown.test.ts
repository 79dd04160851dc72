/**
 * Mirrors CPython's `Lib/test/test_queue.py` (3.13): the shutdown cases of
 * `BaseQueueTestMixin`, as `QueueTest`, run against weft's `Queue` and
 * `JoinableQueue` in every party mode (see `support.ts`). Test names are
 * upstream's; the translation is the one `queue-tests.test.ts` describes.
 *
 * Upstream's helper threads (`_get`, `_get_shutdown`, `_get_task_done`,
 * `_put`, `_put_shutdown`, `_join`) are one party, `playRole`, told its role
 * by its index. Instead of appending "was the outcome the expected one?"
 * booleans, a party records its outcome (took / put / joined, or
 * ShutDownError) and the test asserts the expected outcomes.
 *
 * Differences, deliberate:
 *  - test_shutdown_[immediate_]all_methods_in_many_threads: 2 writers, 2
 *    readers and 1 joiner instead of 4, 6 and 2, and 16384 items instead of
 *    65536 (thread starts are costly). A reader that finds the queue empty
 *    yields to its event loop before trying again (upstream spins): in async
 *    mode every party shares one thread, and a spinning reader would starve
 *    the others.
 *  - test_shutdown_immediate_put: upstream calls `shutdown()` there, without
 *    `immediate` (so it repeats test_shutdown_put); this port shuts down
 *    immediately, as the name says.
 *  - test_shutdown_pending_get: the test waits until the get is parked
 *    before shutting down (upstream starts the thread and shuts down at once,
 *    so its get is usually, not always, pending).
 *  - `q.unfinished_tasks` is read from the queue's shared word (internal:
 *    weft exposes no getter).
 */

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { Barrier, Event, Queue, ShutDownError } from '../../src/index.js';
import {
  Bunch, ints, itIn, MODES, PATIENCE, PROCESSES_QUEUE_TYPES, QUEUE_TYPES, queueWaiters, solo, unfinishedTasks, until,
  type Mode, type QueueType,
} from './support.js';
import { processes } from '../../src/scope/processes.js';

type Q = Queue<unknown>;

/** What a role party did: the call returned, or threw ShutDownError. */
const DONE = 1;
const SHUT = 2;

type Role = 'get' | 'getTaskDone' | 'put' | 'join';

// ---- Parties. Self-contained: in threads mode they run in workers as source text.

/**
 * Upstream's `_get` / `_get_shutdown` / `_get_task_done` / `_put` /
 * `_put_shutdown` / `_join`: all but `join` wait for `go`, then try their call.
 * Records DONE (1) or SHUT (2) in `outcomes[index]`.
 */
const playRole = async (
  { q, go, roles, outcomes }: { q: Q; go: Event; roles: Role[]; outcomes: Int32Array },
  index: number,
) => {
  const role = roles[index];
  try {
    if (role === 'join') {
      if (!(await q.join())) throw new Error('join() returned false without a timeout');
    } else {
      await go.wait();
      if (role === 'put') await q.put(`item ${index}`);
      else await q.get();
      if (role === 'getTaskDone') q.taskDone();
    }
    Atomics.store(outcomes, index, 1);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WEFT_SHUT_DOWN') throw error;
    Atomics.store(outcomes, index, 2);
  }
};

/**
 * Upstream's `_write_msg_thread`, `_read_msg_thread`, `_shutdown_thread` and
 * `_join_thread`, by role. `tally`: [0] writers that triggered the shutdown,
 * [1] writers stopped by ShutDownError, [2] readers that saw ShutDownError,
 * [3] 1 if the queue was empty right after shutdown, else 2.
 */
const manyThreadsRole = async (
  { q, roles, perWriter, whenShutdown, immediate, shutdownNow, start, tally }: {
    q: Q; roles: string[]; perWriter: number; whenShutdown: number; immediate: boolean;
    shutdownNow: Event; start: Barrier; tally: Int32Array;
  },
  index: number,
) => {
  const shutDown = (error: unknown): boolean => (error as { code?: string }).code === 'ERR_WEFT_SHUT_DOWN';
  const role = roles[index];
  if (role === 'write') {
    for (let i = 0; i < whenShutdown >> 1; i++) await q.put([i, 'LOYD']);
    await start.wait();
    for (let i = whenShutdown >> 1; i < perWriter; i++) {
      try {
        await q.put([i, 'YDLO']);
      } catch (error) {
        if (!shutDown(error)) throw error;
        Atomics.add(tally, 1, 1);
        break;
      }
      if (i === whenShutdown && !shutdownNow.isSet()) {
        shutdownNow.set(); // only one writer should trigger the shutdown
        Atomics.add(tally, 0, 1);
      }
    }
  } else if (role === 'read') {
    await q.get(); // at least one item
    q.taskDone();
    await start.wait();
    for (;;) {
      try {
        await q.get({ blocking: false });
        q.taskDone();
      } catch (error) {
        if (shutDown(error)) {
          Atomics.add(tally, 2, 1);
          break;
        }
        if ((error as { code?: string }).code !== 'ERR_WEFT_QUEUE_EMPTY') throw error;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } else if (role === 'shutdown') {
    await shutdownNow.wait();
    q.shutdown({ immediate });
    Atomics.store(tally, 3, q.qsize() === 0 ? 1 : 2);
  } else {
    await start.wait();
    if (!(await q.join())) throw new Error('join() returned false without a timeout');
  }
};

// ---- Suites

/** Starts one `playRole` party per role; `go` is set by the test. */
function startRoles(mode: Mode, q: Q, roles: Role[]): { bunch: Bunch<object>; go: Event; outcomes: Int32Array } {
  const go = mode === 'processes' ? new processes.Event() : new Event();
  const outcomes = ints(roles.length);
  const bunch = new Bunch(mode, playRole, roles.length, { q, go, roles, outcomes });
  return { bunch, go, outcomes };
}

/**
 * With the parties in child processes (processes.Queue), a subset (see
 * `itIn`): test_shutdown_pending_get, a get pending in another process when
 * the queue shuts down. The other role tests differ only in which call is
 * pending, and take four processes each (test_shutdown_get_task_done_join
 * passes in processes mode but took 7.7 s on the shared test machine).
 */
const IN_PROCESSES = new Set(['test_shutdown_pending_get']);

function shutdownTests(type: QueueType, mode: Mode): void {
  const it = itIn(mode, IN_PROCESSES);
  it('test_shutdown_empty', () =>
    solo(mode, async ({ q }) => {
      q.shutdown();
      await assert.rejects(async () => q.put('data'), ShutDownError);
      await assert.rejects(async () => q.get(), ShutDownError);
    }, { q: type.make() as Q }));

  it('test_shutdown_nonempty', () =>
    solo(mode, async ({ q }) => {
      await q.put('data');
      q.shutdown();
      assert.equal(await q.get(), 'data');
      await assert.rejects(async () => q.get(), ShutDownError);
    }, { q: type.make() as Q }));

  it('test_shutdown_immediate', () =>
    solo(mode, async ({ q }) => {
      await q.put('data');
      q.shutdown({ immediate: true });
      await assert.rejects(async () => q.get(), ShutDownError);
    }, { q: type.make() as Q }));

  it('test_shutdown_allowed_transitions', () => {
    // from alive via shutdown to immediate
    const q = type.make();
    assert.equal(q.isShutdown, false);
    q.shutdown();
    assert.equal(q.isShutdown, true);
    q.shutdown({ immediate: true });
    assert.equal(q.isShutdown, true);
    q.shutdown({ immediate: false });
    assert.equal(q.isShutdown, true);
  });

  for (const immediate of [false, true]) {
    const name = immediate ? 'test_shutdown_immediate_all_methods_in_one_thread' : 'test_shutdown_all_methods_in_one_thread';
    it(name, () =>
      solo(mode, async ({ q }) => {
        await q.put('L');
        q.putNowait('O');
        q.shutdown({ immediate });
        await assert.rejects(async () => q.put('E'), ShutDownError);
        assert.throws(() => q.putNowait('W'), ShutDownError);
        if (immediate) {
          await assert.rejects(async () => q.get(), ShutDownError);
          assert.throws(() => q.getNowait(), ShutDownError);
          assert.throws(() => q.taskDone(), RangeError, 'the dropped items count as done');
          assert.equal(await q.join({ timeout: PATIENCE }), true);
        } else {
          assert.ok(['L', 'O'].includes(await q.get()));
          q.taskDone();
          assert.ok(['L', 'O'].includes(await q.get()));
          q.taskDone();
          assert.equal(await q.join({ timeout: PATIENCE }), true);
          // Shut down and empty: every kind of get throws ShutDownError.
          await assert.rejects(async () => q.get(), ShutDownError);
          assert.throws(() => q.getNowait(), ShutDownError);
          await assert.rejects(async () => q.get({ timeout: 1000 }), ShutDownError);
        }
      }, { q: type.make(2) as Queue<string> }));
  }

  for (const immediate of [false, true]) {
    const name = immediate ? 'test_shutdown_immediate_all_methods_in_many_threads' : 'test_shutdown_all_methods_in_many_threads';
    it(name, async () => {
      const q = type.make() as Q;
      const writers = 2;
      const readers = 2;
      const roles = [
        ...Array<string>(writers).fill('write'),
        ...Array<string>(readers).fill('read'),
        'shutdown',
        ...(immediate ? ['join'] : []), // upstream starts join threads only for an immediate shutdown
      ];
      const perWriter = 16_384 / writers;
      const tally = ints(4);
      // Every writer has put its first items and every reader has taken one (and the joiner is there).
      // Child processes reach only the processes scope's primitives.
      const scope = mode === 'processes' ? processes : { Event, Barrier };
      const start = new scope.Barrier(writers + readers + (immediate ? 1 : 0));
      const shared = { q, roles, perWriter, whenShutdown: perWriter >> 1, immediate, shutdownNow: new scope.Event(), start, tally };
      await Bunch.run(mode, manyThreadsRole, roles.length, shared);
      assert.ok(Atomics.load(tally, 0) >= 1, 'a writer triggered the shutdown');
      assert.equal(Atomics.load(tally, 2), readers, 'every reader ended on ShutDownError');
      if (immediate) {
        assert.equal(Atomics.load(tally, 3), 1, 'the queue was empty right after an immediate shutdown');
        assert.equal(q.empty(), true);
      }
    });
  }

  for (const immediate of [false, true]) {
    it(immediate ? 'test_shutdown_immediate_get' : 'test_shutdown_get', async () => {
      const q = type.make(2) as Q;
      await q.put('Y');
      await q.put('D'); // full
      // After shutdown(): two gets drain the queue, one throws. After an immediate one, all throw.
      const { bunch, go, outcomes } = startRoles(mode, q, immediate ? ['get', 'get'] : ['get', 'get', 'get']);
      q.shutdown({ immediate });
      go.set();
      await bunch.join();
      assert.deepEqual([...outcomes].sort(), immediate ? [SHUT, SHUT] : [DONE, DONE, SHUT]);
    });
  }

  for (const immediate of [false, true]) {
    it(immediate ? 'test_shutdown_immediate_put' : 'test_shutdown_put', async () => {
      const q = type.make(2) as Q;
      await q.put('Y');
      await q.put('D'); // full
      const { bunch, go, outcomes } = startRoles(mode, q, ['put', 'put']);
      q.shutdown({ immediate });
      go.set();
      await bunch.join();
      assert.deepEqual([...outcomes], [SHUT, SHUT]);
    });
  }

  for (const immediate of [false, true]) {
    it(immediate ? 'test_shutdown_immediate_join' : 'test_shutdown_join', async () => {
      const q = type.make() as Q;
      await q.put('Y');
      // After shutdown(), the item left must still be taken and marked done for the joins to end.
      const roles: Role[] = immediate ? ['join', 'join'] : ['join', 'join', 'getTaskDone'];
      const { bunch, go, outcomes } = startRoles(mode, q, roles);
      q.shutdown({ immediate });
      go.set();
      await bunch.join();
      assert.deepEqual([...outcomes], roles.map(() => DONE));
    });
  }

  for (const immediate of [false, true]) {
    it(immediate ? 'test_shutdown_immediate_put_join' : 'test_shutdown_put_join', async () => {
      const q = type.make(2) as Q;
      await q.put('Y'); // not full
      const { bunch, go, outcomes } = startRoles(mode, q, ['put', 'join']);
      assert.equal(unfinishedTasks(q), 1);
      q.shutdown({ immediate });
      go.set();
      if (immediate) {
        assert.throws(() => q.getNowait(), ShutDownError);
      } else {
        assert.equal(await q.get(), 'Y');
        q.taskDone();
      }
      await bunch.join();
      assert.deepEqual([...outcomes], [SHUT, DONE], 'the put throws ShutDownError, the join ends');
    });
  }

  it('test_shutdown_get_task_done_join', async () => {
    const q = type.make(2) as Q;
    await q.put('Y');
    await q.put('D');
    assert.equal(unfinishedTasks(q), q.qsize());
    const { bunch, go, outcomes } = startRoles(mode, q, ['getTaskDone', 'getTaskDone', 'join', 'join']);
    go.set();
    q.shutdown({ immediate: false });
    await bunch.join();
    assert.deepEqual([...outcomes], [DONE, DONE, DONE, DONE]);
  });

  it('test_shutdown_pending_get', async () => {
    const q = type.make() as Q;
    const { bunch, go, outcomes } = startRoles(mode, q, ['get']);
    go.set();
    const blocked = queueWaiters(q);
    await until(() => blocked() >= 1 || bunch.finished > 0, 'the get to block');
    assert.equal(bunch.finished, 0, 'the get on an empty queue blocks');
    q.shutdown({ immediate: false });
    await bunch.join();
    assert.deepEqual([...outcomes], [SHUT], 'the pending get throws ShutDownError');
  });
}

for (const mode of MODES) {
  for (const type of QUEUE_TYPES) {
    describe(`QueueTest [${type.name}] — ${mode} parties`, () => {
      shutdownTests(type, mode);
    });
  }
}
describe(`QueueTest [${PROCESSES_QUEUE_TYPES[0]!.name}] — processes parties`, () => {
  shutdownTests(PROCESSES_QUEUE_TYPES[0]!, 'processes');
});
