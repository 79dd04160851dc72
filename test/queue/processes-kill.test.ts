// Processes-scope queues when a party is killed outright (SIGKILL) in the
// middle of its put or get loop: the kernel stops it at any instruction,
// holding a side lock or not, inside a commit or not. The queue must stay
// consistent: every item delivered exactly once (at most the one the dead
// consumer was taking is gone with it), counts exact, nobody hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import type { JoinableQueue } from '../../src/queue/joinable-queue.js';
import type { SharedArray } from '../../src/shared/array.js';
import { QueueEmptyError } from '../../src/errors.js';

const { Process } = processes;
const ROUNDS = Number(process.env.WEFT_KILL_ROUNDS ?? 3);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Kills `child` with SIGKILL once it has `progress` at least `after`, and waits until it is gone. */
async function killAfter(child: InstanceType<typeof Process>, progress: () => number, after: number, extraMs: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (progress() < after) {
    if (performance.now() > deadline) {
      child.kill(); // not left running (blocked in a get) to keep the test process alive
      throw new Error(`the child made no progress (${progress()} of ${after})`);
    }
    await pause(1);
  }
  await pause(extraMs);
  process.kill(child.pid!, 'SIGKILL');
  await child.join();
  assert.equal(child.exitCode, -9, 'killed by SIGKILL (exit code -signal, as Python)');
}

for (const kind of ['Queue', 'LifoQueue', 'PriorityQueue'] as const) {
  test(`${kind}: a producer SIGKILLed mid put loop — every item it put arrives once, in its order, counts exact`, { timeout: 30_000 + ROUNDS * 15_000 }, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const queue = new processes[kind === 'Queue' ? 'JoinableQueue' : kind]<number>() as unknown as JoinableQueue<number>;
      const sent = new processes.Value('i', 0, { lock: false });
      const producer = new Process({
        target: (queue: JoinableQueue<number>, sent: { value: number }) => {
          // Some items are small, some take several frames of a small ring (kind Queue only).
          for (let i = 0; ; i++) {
            queue.putSync(i);
            sent.value = i + 1;
          }
        },
        args: [queue, sent],
      });
      producer.start();
      // Kill it while the parent is taking items too, at a moment that varies by round.
      let killed = false;
      const taking = (async () => {
        const got: number[] = [];
        for (;;) {
          try {
            got.push(await queue.get({ timeout: 500 }));
            // A get that finds an item resolves at once: let timers (the kill) run now and then.
            if (got.length % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
          } catch (error) {
            if (!(error instanceof QueueEmptyError)) throw error;
            if (killed) return got; // empty for half a second after the kill
          }
        }
      })();
      await killAfter(producer, () => sent.value, 1_000 + ((round * 700) % 10_000), round % 3);
      killed = true;
      const got = await taking;
      const put = sent.value; // items whose put returned
      assert.ok(got.length === put || got.length === put + 1, `${got.length} arrived, ${put} puts returned (the last may or may not be delivered)`);
      const order = kind === 'Queue' ? got : [...got].sort((a, b) => a - b);
      for (let i = 0; i < order.length; i++) assert.equal(order[i], i, `item ${i} arrived exactly once`);
      assert.equal(queue.qsize(), 0, 'count exact: nothing counted that is not there');
      // Tasks: one per item delivered, none for an item that never was.
      for (let i = 0; i < got.length; i++) queue.taskDone();
      assert.equal(await queue.join({ timeout: 2_000 }), true, 'unfinished tasks exact');
      assert.throws(() => queue.taskDone(), RangeError);
      // The queue still works.
      await queue.put(-1);
      assert.equal(queue.getSync({ timeout: 2_000 }), -1);
    }
  });

  test(`${kind}: a consumer SIGKILLed mid get loop — the rest arrive once, at most the one it was taking is gone`, { timeout: 30_000 + ROUNDS * 15_000 }, async () => {
    const N = 20_000;
    for (let round = 0; round < ROUNDS; round++) {
      const queue = new processes[kind]<number>();
      for (let i = 0; i < N; i++) queue.putSync(i);
      const seen = new processes.SharedArray('i', N, { lock: false });
      const taken = new processes.Value('i', 0, { lock: false });
      const consumer = new Process({
        target: (queue: JoinableQueue<number>, seen: SharedArray<'i'>, taken: { value: number }) => {
          for (;;) {
            const item = queue.getSync();
            seen.set(item, seen.get(item) + 1);
            taken.value += 1;
          }
        },
        args: [queue, seen, taken],
      });
      consumer.start();
      await killAfter(consumer, () => taken.value, 500 + ((round * 3_000) % (N - 2_000)), round % 3);
      // What the child took: marked in `seen` (it may have died between marking one and counting it).
      let byChild = 0;
      for (let i = 0; i < N; i++) byChild += seen.get(i);
      assert.ok(taken.value === byChild || taken.value === byChild - 1, `the child counted ${taken.value}, marked ${byChild}`);
      const rest: number[] = [];
      while (!queue.empty()) rest.push(queue.getSync({ timeout: 2_000 }));
      assert.throws(() => queue.getNowait(), /empty/);
      for (const item of rest) seen.set(item, seen.get(item) + 1);
      let missing = 0;
      for (let i = 0; i < N; i++) {
        const times = seen.get(i);
        assert.ok(times <= 1, `item ${i} delivered ${times} times`);
        if (times === 0) missing++;
      }
      assert.ok(missing <= 1, `${missing} items lost; at most the one the consumer was taking when killed`);
      assert.equal(byChild + rest.length + missing, N);
      assert.equal(queue.qsize(), 0);
    }
  });
}
