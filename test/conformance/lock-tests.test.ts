/**
 * Mirrors CPython's `Lib/test/lock_tests.py` (3.12, plus the 3.13 cases
 * noted below): `BaseLockTests`, `LockTests` and `RLockTests`, run against
 * weft's `Lock` and `RLock` in every party mode (see `support.ts`). Test
 * names are upstream's.
 *
 * Translation: seconds → milliseconds; `acquire(False)` → `{ blocking: false }`;
 * `with lock:` → `await using held = await lock.hold()`; `RuntimeError` →
 * `InvalidStateError`; the `ValueError` of a bad timeout → the `TypeError` /
 * `RangeError` weft throws; `repr()` → `Object.prototype.toString` (weft's
 * `Symbol.toStringTag`); `_is_owned()` / `_release_save()` → weft's internal
 * `isOwned` / `releaseSave` symbols.
 *
 * Differences, deliberate:
 *  - RLock ownership is per thread. In async mode every party is a task of
 *    this thread and so co-owns the RLock with the test itself; the RLock
 *    tests that need another *owner* (test_try_acquire_contended,
 *    test_acquire_contended, test_timeout, test_different_thread,
 *    test__is_owned) are skipped in async mode, with that reason.
 *  - test_timeout: Python's `OverflowError` cases (1e100 s, TIMEOUT_MAX + 1)
 *    have no counterpart — any number of ms >= 0, Infinity included, is a valid
 *    timeout. We check that a huge timeout is accepted (as upstream does
 *    TIMEOUT_MAX) and that NaN is refused.
 *  - test_thread_leak uses 5 parties, not 15 (thread starts are costly).
 *  - test_acquire_destroy / test_weakref_deleted: no `del` in JS; the lock is
 *    dropped and (for the weakref case) a full GC is forced.
 *
 * Not ported: test_constructor_noargs (3.13; JS constructors ignore extra
 * arguments), test_at_fork_reinit (no fork in Node), test_recursion_count
 * (3.13; weft has no recursion-count API — the depth shows in the tag, which
 * test_repr_count checks).
 *
 * From 3.13: test_locked, test_locked_with_2threads, test_repr_count (RLock).
 */

import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { activeCount, InvalidStateError, Lock, RLock } from '../../src/index.js';
import { isOwned, releaseSave } from '../../src/sync/lock-like.js';
import { processes } from '../../src/scope/processes.js';
import {
  assertTimeout, Bunch, collectGarbage, floats, ints, itIn, modesFor, solo, until, waitThreadsBlocked, type Mode,
} from './support.js';

type AnyLock = Lock | RLock;

interface LockType {
  readonly name: string;
  readonly make: () => AnyLock;
  readonly recursive: boolean;
  readonly scope: 'threads' | 'processes';
}

const LOCK_TYPES: readonly LockType[] = [
  { name: 'Lock', make: () => new Lock(), recursive: false, scope: 'threads' },
  { name: 'RLock', make: () => new RLock(), recursive: true, scope: 'threads' },
  // The processes scope: the same classes over /dev/shm memory and futex wake-ups,
  // also with the parties in separate processes.
  { name: 'processes.Lock', make: () => new processes.Lock(), recursive: false, scope: 'processes' },
  { name: 'processes.RLock', make: () => new processes.RLock(), recursive: true, scope: 'processes' },
];

const N = 5;

/**
 * With the parties in child processes, a subset (see `itIn`): contention,
 * a failed try, a timed acquire and release by another party for Lock;
 * timed acquire and ownership (release and `isOwned` from another process)
 * for RLock. Left to threads mode: test_with and test_thread_leak (which
 * counts Thread objects, none of which a child process makes) and every test
 * without parties.
 */
const IN_PROCESSES = {
  Lock: new Set(['test_try_acquire_contended', 'test_acquire_contended', 'test_different_thread', 'test_reacquire']),
  RLock: new Set(['test_timeout', 'test_different_thread', 'test__is_owned']),
};
const TIMEOUT = 500;
const OWNER_SKIP =
  'RLock ownership is per thread: in async mode the parties are tasks of this thread and co-own the lock, so there is no other owner to test against';

// ---- Parties. Self-contained: in threads mode they run in workers as source text.

const acquireRelease = async ({ lock }: { lock: AnyLock }) => {
  await lock.acquire();
  lock.release();
};

const tryAcquire = async ({ lock, result }: { lock: AnyLock; result: Int32Array }) => {
  Atomics.store(result, 0, (await lock.acquire({ blocking: false })) ? 1 : 2);
};

const timedAcquire = async ({ lock, result, elapsed, timeout }: { lock: AnyLock; result: Int32Array; elapsed: Float64Array; timeout: number }) => {
  const start = performance.now();
  Atomics.store(result, 0, (await lock.acquire({ timeout })) ? 1 : 2);
  elapsed[0] = performance.now() - start;
};

const acquireTwice = async ({ lock, phase }: { lock: AnyLock; phase: Int32Array }) => {
  await lock.acquire();
  Atomics.add(phase, 0, 1);
  await lock.acquire();
  Atomics.add(phase, 0, 1);
};

const releaseIt = ({ lock }: { lock: AnyLock }) => {
  lock.release();
};

const acquireOnly = async ({ lock }: { lock: AnyLock }) => {
  await lock.acquire();
};

const checkOwned = ({ lock, result }: { lock: AnyLock; result: Int32Array }) => {
  const owned = lock[Symbol.for('weft.isOwned') as typeof isOwned]();
  Atomics.store(result, 0, owned ? 1 : 2);
};

const readTag = ({ lock, result }: { lock: AnyLock; result: Int32Array }) => {
  const tag = Object.prototype.toString.call(lock);
  Atomics.store(result, 0, /\blocked\b/.test(tag) ? 1 : 2);
  Atomics.store(result, 1, /\bdepth 2\b/.test(tag) ? 1 : 2);
};

const lockedAroundAcquire = async ({ lock, result }: { lock: AnyLock; result: Int32Array }) => {
  Atomics.store(result, 0, lock.locked() ? 1 : 2);
  await lock.acquire();
  Atomics.store(result, 1, lock.locked() ? 1 : 2);
};

// ---- Suites

function baseLockTests(type: LockType, mode: Mode): void {
  const it = itIn(mode, IN_PROCESSES[type.recursive ? 'RLock' : 'Lock']);
  const ownerBased = mode === 'async' && type.recursive ? { skip: OWNER_SKIP } : {};

  it('test_constructor', () => {
    const lock = type.make();
    assert.equal(lock.locked(), false);
  });

  it('test_repr', () => {
    assert.match(Object.prototype.toString.call(type.make()), /^\[object \w+ unlocked\b/);
  });

  it('test_locked_repr', () =>
    solo(mode, async ({ lock }) => {
      await lock.acquire();
      assert.match(Object.prototype.toString.call(lock), /^\[object \w+ locked\b/);
    }, { lock: type.make() }));

  it('test_acquire_destroy', () =>
    solo(mode, async ({ lock }) => {
      assert.equal(await lock.acquire(), true);
    }, { lock: type.make() }));

  it('test_acquire_release', () =>
    solo(mode, async ({ lock }) => {
      assert.equal(await lock.acquire(), true);
      lock.release();
      assert.equal(lock.locked(), false);
    }, { lock: type.make() }));

  it('test_try_acquire', () =>
    solo(mode, async ({ lock }) => {
      assert.equal(await lock.acquire({ blocking: false }), true);
      lock.release();
    }, { lock: type.make() }));

  it('test_try_acquire_contended', ownerBased, async () => {
    const lock = type.make();
    await lock.acquire();
    const result = ints(1);
    await Bunch.run(mode, tryAcquire, 1, { lock, result });
    assert.equal(result[0], 2, 'a non-blocking acquire of a held lock fails');
    lock.release();
  });

  it('test_acquire_contended', ownerBased, async () => {
    const lock = type.make();
    await lock.acquire();
    const bunch = new Bunch(mode, acquireRelease, N, { lock });
    await bunch.waitForStarted();
    await waitThreadsBlocked(N);
    assert.equal(bunch.finished, 0, 'no party got the lock while it was held');
    lock.release();
    await bunch.join();
    assert.equal(bunch.finished, N);
  });

  it('test_with', async () => {
    const lock = type.make();
    {
      await using held = await lock.hold();
      assert.equal(held.held, true);
    }
    // The lock is free again: another party can take it.
    await Bunch.run(mode, acquireRelease, 1, { lock });
    await assert.rejects(async () => {
      await using held = await lock.hold();
      assert.equal(held.held, true);
      throw new TypeError('raised inside the with block');
    }, TypeError);
    // Free again, even though the block threw.
    await Bunch.run(mode, acquireRelease, 1, { lock });
  });

  it('test_thread_leak', async () => {
    const lock = type.make();
    const before = activeCount();
    await Bunch.run(mode, acquireRelease, N, { lock });
    assert.equal(activeCount(), before, 'no Thread object outlives its party');
  });

  it('test_timeout', ownerBased, async () => {
    const lock = type.make();
    await assert.rejects(lock.acquire({ blocking: false, timeout: 1 }), TypeError);
    await assert.rejects(lock.acquire({ timeout: -100 }), RangeError);
    await assert.rejects(lock.acquire({ timeout: NaN }), TypeError);
    // Like TIMEOUT_MAX upstream: the largest timeouts are fine.
    assert.equal(await lock.acquire({ timeout: Number.MAX_VALUE }), true);
    lock.release();
    assert.equal(await lock.acquire({ timeout: Infinity }), true);
    lock.release();
    const start = performance.now();
    assert.equal(await lock.acquire({ timeout: 5000 }), true);
    assert.ok(performance.now() - start < 5000, 'a free lock is acquired without waiting for the timeout');
    const result = ints(1);
    const elapsed = floats(1);
    await Bunch.run(mode, timedAcquire, 1, { lock, result, elapsed, timeout: TIMEOUT });
    assert.equal(result[0], 2, 'the timed acquire of a held lock fails');
    assertTimeout(elapsed[0]!, TIMEOUT);
  });

  it('test_weakref_exists', () => {
    const ref = new WeakRef(type.make());
    assert.notEqual(ref.deref(), undefined);
  });

  it('test_weakref_deleted', async () => {
    const ref = ((): WeakRef<AnyLock> => new WeakRef(type.make()))();
    await collectGarbage();
    assert.equal(ref.deref(), undefined, 'weft keeps no reference to a lock nobody uses');
  });
}

function lockTests(mode: Mode, make: () => AnyLock): void {
  const it = itIn(mode, IN_PROCESSES.Lock);
  it('test_reacquire', async () => {
    const lock = make();
    const phase = ints(1);
    const bunch = new Bunch(mode, acquireTwice, 1, { lock, phase });
    await until(() => Atomics.load(phase, 0) >= 1, 'the first acquire');
    await waitThreadsBlocked(1);
    assert.equal(Atomics.load(phase, 0), 1, 'a Lock is not reentrant: the second acquire blocks');
    lock.release();
    await until(() => Atomics.load(phase, 0) >= 2, 'the second acquire');
    await bunch.join();
  });

  it('test_different_thread', async () => {
    const lock = make();
    await lock.acquire();
    await Bunch.run(mode, releaseIt, 1, { lock });
    assert.equal(await lock.acquire({ blocking: false }), true, 'another party released it');
    lock.release();
  });

  it('test_state_after_timeout', () =>
    solo(mode, async ({ lock }) => {
      await lock.acquire();
      assert.equal(await lock.acquire({ timeout: 10 }), false);
      lock.release();
      assert.equal(lock.locked(), false);
      assert.equal(await lock.acquire({ blocking: false }), true);
    }, { lock: make() }));
}

function rlockTests(mode: Mode, make: () => AnyLock): void {
  const it = itIn(mode, IN_PROCESSES.RLock);
  const ownerBased = mode === 'async' ? { skip: OWNER_SKIP } : {};

  it('test_repr_count', async () => {
    const lock = make();
    assert.match(Object.prototype.toString.call(lock), /\bunlocked\b/);
    await lock.acquire();
    await lock.acquire();
    assert.match(Object.prototype.toString.call(lock), /\blocked\b.*\bdepth 2\b/);
    const result = ints(2);
    await Bunch.run(mode, readTag, 1, { lock, result });
    assert.deepEqual([...result], [1, 1], 'another party sees it locked, depth 2');
  });

  it('test_reacquire', () =>
    solo(mode, async ({ lock }) => {
      assert.equal(await lock.acquire(), true);
      assert.equal(await lock.acquire(), true);
      lock.release();
      assert.equal(await lock.acquire(), true);
      lock.release();
      lock.release();
      assert.equal(lock.locked(), false);
    }, { lock: make() }));

  it('test_release_unacquired', () =>
    solo(mode, async ({ lock }) => {
      assert.throws(() => lock.release(), InvalidStateError);
      await lock.acquire();
      await lock.acquire();
      lock.release();
      await lock.acquire();
      lock.release();
      lock.release();
      assert.throws(() => lock.release(), InvalidStateError);
    }, { lock: make() }));

  it('test_locked', () =>
    solo(mode, async ({ lock }) => {
      assert.equal(lock.locked(), false);
      await lock.acquire();
      assert.equal(lock.locked(), true);
      await lock.acquire();
      assert.equal(lock.locked(), true);
      lock.release();
      assert.equal(lock.locked(), true);
      lock.release();
      assert.equal(lock.locked(), false);
    }, { lock: make() }));

  it('test_locked_with_2threads', async () => {
    const lock = make();
    assert.equal(lock.locked(), false);
    const result = ints(2);
    await Bunch.run(mode, lockedAroundAcquire, 1, { lock, result });
    assert.equal(lock.locked(), true, 'held by the other party');
    assert.deepEqual([...result], [2, 1], 'the party saw it unlocked, then locked');
  });

  it('test_release_save_unacquired', () =>
    solo(mode, async ({ lock }) => {
      assert.throws(() => lock[releaseSave](), InvalidStateError);
      await lock.acquire();
      await lock.acquire();
      lock.release();
      await lock.acquire();
      lock.release();
      lock.release();
      assert.throws(() => lock[releaseSave](), InvalidStateError);
    }, { lock: make() }));

  it('test_different_thread', ownerBased, async () => {
    const lock = make();
    const bunch = new Bunch(mode, acquireOnly, 1, { lock }, { waitBeforeExit: true });
    try {
      await bunch.waitForFinished();
      assert.throws(() => lock.release(), InvalidStateError, 'only the owner may release');
    } finally {
      bunch.doFinish();
    }
    await bunch.join();
  });

  it('test__is_owned', ownerBased, async () => {
    const lock = make();
    assert.equal(lock[isOwned](), false);
    await lock.acquire();
    assert.equal(lock[isOwned](), true);
    await lock.acquire();
    assert.equal(lock[isOwned](), true);
    const result = ints(1);
    await Bunch.run(mode, checkOwned, 1, { lock, result });
    assert.equal(result[0], 2, 'not owned by the other party');
    lock.release();
    assert.equal(lock[isOwned](), true);
    lock.release();
    assert.equal(lock[isOwned](), false);
  });
}

for (const type of LOCK_TYPES) {
  for (const mode of modesFor(type.scope)) {
    describe(`${type.recursive ? 'RLockTests' : 'LockTests'} [${type.name}] — ${mode} parties`, () => {
      baseLockTests(type, mode);
      if (type.recursive) rlockTests(mode, type.make);
      else lockTests(mode, type.make);
    });
  }
}
