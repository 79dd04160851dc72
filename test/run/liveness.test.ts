import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Thread } from '../../src/run/thread.js';
import { isThreadAlive, markThreadDead } from '../../src/run/liveness.js';
import { inThread } from '../support/threads.js';

const liveness = new URL('../../src/run/liveness.ts', import.meta.url).href;
const thread = new URL('../../src/run/thread.ts', import.meta.url).href;

test('a thread is alive until marked dead; the main thread always is; an id never seen is', () => {
  assert.equal(isThreadAlive(0), true);
  markThreadDead(0);
  assert.equal(isThreadAlive(0), true, 'the main thread cannot be marked dead');
  assert.equal(isThreadAlive(50_001), true);
  markThreadDead(50_001); // past the table's first size: it grows
  assert.equal(isThreadAlive(50_001), false);
  assert.throws(() => markThreadDead(-1), RangeError);
});

test('every thread started by Thread shares the table: a mark made in one is seen in all', async () => {
  await inThread(async (url: string) => {
    const { markThreadDead } = await import(url);
    markThreadDead(50_020);
  }, [liveness]);
  assert.equal(isThreadAlive(50_020), false);
});

test('Thread marks its thread dead on exit, and with it the threads that thread started (their exit went to it)', async () => {
  const seen = new Int32Array(new SharedArrayBuffer(12));
  const parent = new Thread({
    target: async (seen: Int32Array, threadUrl: string, livenessUrl: string) => {
      const { Thread } = await import(threadUrl);
      const { isThreadAlive } = await import(livenessUrl);
      const child = new Thread({ target: (seen: Int32Array) => void Atomics.wait(seen, 2, 0), args: [seen], daemon: true });
      child.start();
      seen[0] = child.ident!;
      seen[1] = isThreadAlive(child.ident!) ? 1 : 2;
      process.exit(3); // the child is stopped with it; its exit event would have come here
    },
    args: [seen, thread, liveness],
  });
  parent.start();
  await parent.join({ timeout: 10_000 });
  assert.equal(parent.exitCode, 3);
  assert.equal(seen[1], 1, 'the child was alive while its parent ran');
  assert.equal(isThreadAlive(parent.ident!), false);
  assert.equal(isThreadAlive(seen[0]!), false, 'the child of a dead thread is dead');
});
