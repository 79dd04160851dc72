import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Thread, currentThread, mainThread, enumerate, activeCount } from '../../src/run/thread.js';
import { Timer } from '../../src/run/timer.js';
import { moduleTask } from '../../src/run/task.js';
import { Lock } from '../../src/sync/lock.js';
import { Event } from '../../src/sync/event.js';
import { CaptureError, DataCloneError, InvalidStateError } from '../../src/errors.js';
import { inThread, quietly } from '../support/threads.js';

function cell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(16));
}

test('a target runs in another thread with its arguments', async () => {
  const out = cell();
  const thread = new Thread({
    target: (out: Int32Array, a: number, b: number) => {
      Atomics.store(out, 0, a + b);
    },
    args: [out, 2, 3],
  });
  assert.equal(thread.isAlive(), false);
  thread.start();
  assert.ok(thread.ident! > 0);
  await thread.join();
  assert.equal(out[0], 5);
  assert.equal(thread.isAlive(), false);
  assert.equal(thread.exitCode, 0);
});

test('an async target is awaited before the thread finishes', async () => {
  const out = cell();
  const thread = new Thread({
    target: async (out: Int32Array) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      Atomics.store(out, 0, 7);
    },
    args: [out],
  });
  thread.start();
  thread.joinSync();
  assert.equal(out[0], 7);
  assert.equal(thread.isAlive(), false);
});

test('joinSync() reports the exception before returning', () => {
  const seen: string[] = [];
  const previous = Thread.excepthook;
  Thread.excepthook = ({ exception, thread }) => seen.push(`${thread.name}: ${(exception as Error).message}`);
  try {
    const thread = new Thread({ name: 'failing', target: () => { throw new RangeError('bad range'); } });
    thread.start();
    thread.joinSync();
    assert.deepEqual(seen, ['failing: bad range']);
    assert.equal((thread.exception as Error).name, 'RangeError');
    assert.match((thread.exception as Error).stack!, /bad range/);
  } finally {
    Thread.excepthook = previous;
  }
});

test('an exception is printed by the default excepthook with the thread name, and exitCode is 1', async () => {
  const writes: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const thread = new Thread({ name: 'noisy', target: () => { throw new Error('kaboom'); } });
    thread.start();
    await thread.join();
    assert.equal(thread.exitCode, 1);
    assert.match(writes.join(''), /Exception in thread noisy:\n.*kaboom/s);
  } finally {
    process.stderr.write = write;
  }
});

test('a thrown error keeps its code and cause', async () => {
  const thread = new Thread({
    target: () => {
      throw Object.assign(new Error('outer', { cause: new TypeError('inner') }), { code: 'E_TEST' });
    },
  });
  await quietly(async () => {
    thread.start();
    await thread.join();
  });
  const error = thread.exception as Error & { code: string };
  assert.equal(error.code, 'E_TEST');
  assert.equal((error.cause as Error).message, 'inner');
});

test('start() twice, join before start and joining the current thread throw InvalidStateError', async () => {
  const thread = new Thread({ target: () => {} });
  await assert.rejects(thread.join(), InvalidStateError);
  thread.start();
  assert.throws(() => thread.start(), InvalidStateError);
  await thread.join();
  assert.throws(() => currentThread().joinSync(), InvalidStateError);
});

test('a capturing target fails at start(), naming the identifier, and no worker starts', () => {
  const secret = 1;
  const thread = new Thread({ target: () => secret });
  assert.throws(() => thread.start(), (error: unknown) => error instanceof CaptureError && error.identifiers[0] === 'secret');
  assert.equal(thread.isAlive(), false);
});

test('an argument that cannot cross fails at start(), naming its path', () => {
  const thread = new Thread({ target: (_options: unknown) => {}, args: [{ onDone: () => {} }] });
  assert.throws(() => thread.start(), (error: unknown) => error instanceof DataCloneError && error.path === 'args[0].onDone');
});

test('join({ timeout }) returns after the timeout while the thread is still alive', async () => {
  const release = new Event();
  const thread = new Thread({ target: (release: Event) => { release.waitSync(); }, args: [release] });
  thread.start();
  await thread.join({ timeout: 30 });
  assert.equal(thread.isAlive(), true);
  thread.joinSync({ timeout: 10 });
  assert.equal(thread.isAlive(), true);
  release.set();
  await thread.join();
  assert.equal(thread.isAlive(), false);
});

test('join() rejects with the abort reason', async () => {
  const release = new Event();
  const thread = new Thread({ target: (release: Event) => { release.waitSync(); }, args: [release] });
  thread.start();
  const controller = new AbortController();
  const joined = thread.join({ signal: controller.signal });
  controller.abort(new Error('gave up'));
  await assert.rejects(joined, /gave up/);
  release.set();
  await thread.join();
});

test('a module task runs with its types, imported in the worker', async () => {
  const out = cell();
  const task = moduleTask<(out: Int32Array, n: number) => void>(new URL('./fixtures/tasks.ts', import.meta.url), 'store');
  const thread = new Thread({ target: task, args: [out, 99] });
  thread.start();
  await thread.join();
  assert.equal(thread.exception, undefined);
  assert.equal(out[0], 99);
  assert.match(thread.name, /\(store\)$/);
});

test('a module task naming a missing export fails in the thread with a clear error', async () => {
  await assert.rejects(
    inThread(moduleTask(new URL("./fixtures/tasks.ts", import.meta.url), "nope"), []),
    /no exported function 'nope'/,
  );
});

test('a subclass overriding run() runs it in the worker with its own fields as this', async () => {
  class Incrementer extends Thread {
    constructor(readonly lock: Lock, readonly counter: Int32Array, readonly times: number) {
      super();
    }
    override run() {
      for (let i = 0; i < this.times; i++) {
        this.lock.acquireSync();
        this.counter[0]!++;
        this.lock.release();
      }
    }
  }
  const lock = new Lock();
  const counter = cell();
  const threads = [new Incrementer(lock, counter, 20_000), new Incrementer(lock, counter, 20_000)];
  for (const thread of threads) thread.start();
  for (const thread of threads) await thread.join();
  for (const thread of threads) assert.equal(thread.exception, undefined);
  assert.equal(counter[0], 40_000);
});

test('currentThread() inside a worker knows its name; mainThread() is MainThread', async () => {
  const out = cell();
  const thread = new Thread({
    name: 'named-worker',
    target: async (out: Int32Array, url: string) => {
      const { currentThread, mainThread } = await import(url);
      Atomics.store(out, 0, currentThread().name === 'named-worker' ? 1 : 2);
      Atomics.store(out, 1, mainThread().name === 'MainThread' && mainThread().ident === 0 ? 1 : 2);
    },
    args: [out, new URL('../../src/run/thread.ts', import.meta.url).href],
  });
  thread.start();
  await thread.join();
  assert.equal(thread.exception, undefined);
  assert.deepEqual([out[0], out[1]], [1, 1]);
  assert.equal(currentThread().name, 'MainThread');
  assert.equal(mainThread(), currentThread());
});

test('enumerate() and activeCount() list this thread and the live threads it started', async () => {
  const release = new Event();
  const thread = new Thread({ target: (release: Event) => { release.waitSync(); }, args: [release] });
  const before = activeCount();
  thread.start();
  assert.equal(activeCount(), before + 1);
  assert.ok(enumerate().includes(thread));
  release.set();
  await thread.join();
  assert.equal(enumerate().includes(thread), false);
});

test('a daemon thread does not keep the process alive', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    import { Thread } from ${JSON.stringify(new URL('../../src/run/thread.ts', import.meta.url).href)};
    const t = new Thread({ daemon: true, target: () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); } });
    t.start();
    console.log('main done');
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /main done/);
});

test('Timer runs its target after the interval; cancel() stops it', async () => {
  const out = cell();
  const started = performance.now();
  const timer = new Timer(40, (out: Int32Array) => { Atomics.store(out, 0, 1); }, [out]);
  timer.start();
  await timer.join();
  assert.equal(out[0], 1);
  assert.ok(performance.now() - started >= 40);

  const cancelled = new Timer(10_000, (out: Int32Array) => { Atomics.store(out, 1, 1); }, [out]);
  cancelled.start();
  cancelled.cancel();
  await cancelled.join();
  assert.equal(out[1], 0);
});

test('Thread options are validated', () => {
  assert.throws(() => new Thread({ target: 5 as never }), TypeError);
  assert.throws(() => new Thread({ target: () => {}, args: 'x' as never }), TypeError);
  assert.throws(() => new Timer(-1, () => {}), RangeError);
});
