// Robust locks: a holder that dies holding a Lock or an RLock — a child
// process SIGKILLed (Process.kill()), a worker thread that ended — does not
// leave the lock held forever. The next acquirer takes it over and sees
// `ownerDied` until it releases; a live holder is never taken from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import { Lock as ThreadsLock, RLock as ThreadsRLock, Thread } from '../../src/index.js';
import { describe } from '../../src/share/protocol.js';
import { selfStamp } from '../../src/memory/process-liveness.js';
import { HOLDER, HOLDER_STAMP } from '../../src/sync/layout.js';
import type { Lock } from '../../src/sync/lock.js';
import type { RLock } from '../../src/sync/rlock.js';
import type { Value } from '../../src/shared/value.js';

const { Process } = processes;
type AnyLock = Lock | RLock;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await pause(2);
  }
}

/**
 * A child process that acquires `lock` `depth` times (re-entering an RLock),
 * says so in `held`, and then blocks forever holding it.
 */
async function childHolding(lock: AnyLock, depth: number): Promise<InstanceType<typeof Process>> {
  const held = new processes.Value('i', 0, { lock: false });
  const child = new Process({
    target: (lock: AnyLock, held: Value<'i'>, depth: number) => {
      for (let i = 0; i < depth; i++) lock.acquireSync();
      held.value = depth;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // holds it until killed
    },
    args: [lock, held, depth],
    daemon: true,
  });
  child.start();
  await until(() => held.value === depth, 'the child to hold the lock');
  return child;
}

/** The state letter of /proc/<pid>/stat ('Z' for a zombie), or undefined once the pid is gone. */
function procState(pid: number): string | undefined {
  try {
    return /\) (\S) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Checks the taken-over lock, then that it is an ordinary lock again. */
async function assertTakenOver(lock: AnyLock): Promise<void> {
  assert.equal(lock.ownerDied, true, 'the acquirer is told the holder died holding it');
  assert.equal(lock.locked(), true);
  lock.release(); // an RLock taken over is held once, whatever the dead holder's depth was
  assert.equal(lock.locked(), false, "the dead holder's depth is not carried over");
  assert.equal(lock.ownerDied, false, 'release clears ownerDied');
  assert.equal(await lock.acquire({ blocking: false }), true, 'an ordinary lock again');
  assert.equal(lock.ownerDied, false);
  lock.release();
}

for (const kind of ['Lock', 'RLock'] as const) {
  const make = (): AnyLock => new processes[kind]();
  const depth = kind === 'RLock' ? 3 : 1;
  const held = kind === 'RLock' ? 'holding it at depth 3' : 'holding it';

  test(`processes.${kind}: a child process SIGKILLed ${held} — acquire() takes it over with ownerDied`, { timeout: 60_000 }, async () => {
    const lock = make();
    const child = await childHolding(lock, depth);
    // A live holder is never taken from: not at once, not after waits longer than the liveness check.
    assert.equal(await lock.acquire({ blocking: false }), false, 'a live holder keeps it (non-blocking)');
    assert.equal(await lock.acquire({ timeout: 300 }), false, 'a live holder keeps it (300 ms wait)');
    assert.equal(lock.ownerDied, false);
    // A waiter already parked when the holder dies wakes up with the lock.
    const start = performance.now();
    const waiting = lock.acquire({ timeout: 10_000 });
    await pause(20);
    child.kill();
    assert.equal(await waiting, true, 'acquired, not timed out');
    assert.ok(performance.now() - start < 5_000, `took over within ${(performance.now() - start).toFixed(0)} ms`);
    await child.join();
    assert.equal(child.exitCode, -9);
    await assertTakenOver(lock);
  });

  test(`processes.${kind}: a child process SIGKILLed ${held} — acquireSync() takes it over with ownerDied`, { timeout: 60_000 }, async () => {
    const lock = make();
    const child = await childHolding(lock, depth);
    assert.equal(lock.acquireSync({ timeout: 200 }), false, 'a live holder keeps it');
    child.kill();
    // Blocks this thread: Node cannot reap the child meanwhile, so it dies into a zombie.
    assert.equal(lock.acquireSync({ timeout: 10_000 }), true, 'acquired, not timed out');
    await child.join();
    await assertTakenOver(lock);
  });

  test(`processes.${kind}: a zombie holder (killed, not yet reaped) counts as dead`, { timeout: 60_000 }, async () => {
    const lock = make();
    const child = await childHolding(lock, depth);
    process.kill(child.pid!, 'SIGKILL');
    // Spin without yielding: the event loop, which reaps children, does not run.
    const deadline = performance.now() + 10_000;
    while (procState(child.pid!) !== 'Z') assert.ok(performance.now() < deadline, 'the child became a zombie');
    assert.equal(lock.acquireSync({ blocking: false }), true, 'a non-blocking acquire takes over from a zombie');
    assert.equal(procState(child.pid!), 'Z', 'still a zombie while it was taken over');
    await child.join();
    await assertTakenOver(lock);
  });
}

test('processes.RLock: the repairer dying too leaves ownerDied for the next one; a Condition carries it across wait()', { timeout: 60_000 }, async () => {
  const rlock = new processes.RLock();
  const first = await childHolding(rlock, 2);
  first.kill();
  // A second child takes it over from the first and dies before it repairs.
  const second = await childHolding(rlock, 1);
  second.kill();
  await Promise.all([first.join(), second.join()]);
  assert.equal(await rlock.acquire({ timeout: 10_000 }), true);
  assert.equal(rlock.ownerDied, true, 'still: the repair never finished');
  const cond = new processes.Condition(rlock);
  assert.equal(await cond.wait({ timeout: 10 }), false);
  assert.equal(rlock.ownerDied, true, 'Condition.wait() gives the lock back as it found it');
  rlock.release();
  assert.equal(rlock.ownerDied, false);
});

test("processes.Value: a child SIGKILLed holding the value's lock leaves it recoverable", { timeout: 60_000 }, async () => {
  const counter = new processes.Value('i', 41);
  const lock = counter.getLock() as RLock;
  const child = await childHolding(lock, 1);
  child.kill();
  assert.equal(await lock.acquire({ timeout: 10_000 }), true);
  assert.equal(lock.ownerDied, true);
  counter.value += 1;
  lock.release();
  assert.equal(counter.value, 42);
});

test('processes.Lock: a reused id is told apart by its start-time stamp', async () => {
  const lock = new processes.Lock();
  const words = lock[describe]() as Int32Array;
  // Pretend this process holds it: its id, with its own stamp, a stamp not known yet, then another process's stamp.
  Atomics.store(words, HOLDER, process.pid << 1);
  words[HOLDER_STAMP] = selfStamp();
  assert.equal(await lock.acquire({ blocking: false }), false, 'the recorded holder is alive');
  words[HOLDER_STAMP] = 0;
  assert.equal(await lock.acquire({ blocking: false }), false, 'without a stamp the id alone decides: alive');
  words[HOLDER_STAMP] = selfStamp() ^ 0x5a5a5a;
  assert.equal(await lock.acquire({ blocking: false }), true, 'same id, other start time: the holder is dead and its id reused');
  assert.equal(lock.ownerDied, true);
  lock.release();
});

for (const [name, make] of [['Lock', () => new ThreadsLock()], ['RLock', () => new ThreadsRLock()]] as const) {
  test(`threads scope: a Thread that ended holding a ${name} — the next acquirer takes it over with ownerDied`, { timeout: 60_000 }, async () => {
    const lock: AnyLock = make();
    const thread = new Thread({ target: (lock: AnyLock) => void lock.acquireSync(), args: [lock] });
    thread.start();
    await thread.join();
    assert.equal(lock.locked(), true, 'left held');
    assert.equal(await lock.acquire({ timeout: 10_000 }), true);
    await assertTakenOver(lock);
  });
}

test('threads scope: a live Thread holding a Lock is never taken from', { timeout: 60_000 }, async () => {
  const lock = new ThreadsLock();
  const control = new Int32Array(new SharedArrayBuffer(8));
  const thread = new Thread({
    target: (lock: Lock, control: Int32Array) => {
      lock.acquireSync();
      Atomics.store(control, 0, 1);
      Atomics.wait(control, 1, 0); // until told to go
      lock.release();
    },
    args: [lock, control],
  });
  thread.start();
  await until(() => Atomics.load(control, 0) === 1, 'the thread to hold the lock');
  assert.equal(await lock.acquire({ timeout: 300 }), false);
  assert.equal(lock.ownerDied, false);
  Atomics.store(control, 1, 1);
  Atomics.notify(control, 1);
  await thread.join();
  assert.equal(await lock.acquire({ timeout: 10_000 }), true);
  assert.equal(lock.ownerDied, false, 'released by its holder: nothing died');
  lock.release();
});
