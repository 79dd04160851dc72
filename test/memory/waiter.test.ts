import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { atomicsWaiter } from '../../src/memory/waiter.js';

const src = (path: string) => JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);

function runScript(script: string): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('a parked async wait keeps the main thread alive until it settles', () => {
  // Without the keep-alive the process exits with the promise pending and
  // nothing after the await runs.
  const run = runScript(`
    import { Lock } from ${src('sync/lock.ts')};
    import { Thread } from ${src('run/thread.ts')};
    const lock = new Lock();
    lock.acquireSync();
    const t = new Thread({ daemon: true, target: (lock) => { const c = new Int32Array(new SharedArrayBuffer(4)); Atomics.wait(c, 0, 0, 150); lock.release(); }, args: [lock] });
    t.start();
    await lock.acquire();
    console.log('acquired after release');
  `);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /acquired after release/);
});

test('a worker whose only pending work is an async wait does not exit with code 13', async () => {
  const { Thread } = await import('../../src/run/thread.js');
  const { Event } = await import('../../src/sync/event.js');
  const event = new Event();
  const out = new Int32Array(new SharedArrayBuffer(8));
  const thread = new Thread({
    target: async (event: InstanceType<typeof Event>, out: Int32Array) => {
      Atomics.store(out, 1, 1); // parked from here on
      Atomics.notify(out, 1);
      Atomics.store(out, 0, (await event.wait()) ? 1 : 2);
    },
    args: [event, out],
  });
  thread.start();
  while (Atomics.load(out, 1) === 0) await Atomics.waitAsync(out, 1, 0, 1000).value;
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the worker reach its await
  event.set();
  await thread.join();
  assert.equal(thread.exitCode, 0);
  assert.equal(out[0], 1);
});

test('the keep-alive is released: a settled wait does not hold the process open', () => {
  const run = runScript(`
    import { Event } from ${src('sync/event.ts')};
    const e = new Event();
    console.log(await e.wait({ timeout: 20 }));
  `);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'false');
});

test('waitAsync() reports not-equal at once and timed-out after the deadline', async () => {
  const words = new Int32Array(new SharedArrayBuffer(4));
  assert.equal(await atomicsWaiter.waitAsync(words, 0, 1, Infinity), 'not-equal');
  assert.equal(await atomicsWaiter.waitAsync(words, 0, 0, performance.now() + 10), 'timed-out');
});

test('an aborted async wait passes on a wake-up it consumed later', async () => {
  const words = new Int32Array(new SharedArrayBuffer(4));
  const controller = new AbortController();
  const abandoned = atomicsWaiter.waitAsync(words, 0, 0, Infinity, controller.signal);
  controller.abort();
  assert.equal(await abandoned, 'aborted');
  const waiting = atomicsWaiter.waitAsync(words, 0, 0, performance.now() + 2000);
  // notify(1) reaches the abandoned waiter first (FIFO); it must hand it on.
  atomicsWaiter.notify(words, 0, 1);
  assert.equal(await waiting, 'ok');
});
