// Per-task options of a ThreadPoolExecutor: priority (lower runs first while the pool is busy), timeouts in map and submit, and batch with a progress callback.
import assert from 'node:assert/strict';
import { Event, ThreadPoolExecutor, TimeoutError } from 'weft';

// A blocking sleep, fine in a worker thread.
function sleep(ms: number): number {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return ms;
}

// 1. Priority: one worker, kept busy while the tasks are submitted; they then run lowest number first.
{
  await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  const started = new Event();
  const go = new Event();
  const blocker = pool.submit((started: Event, go: Event) => {
    started.set();
    go.waitSync(); // the Events arrive live: the main thread's set() reaches this wait
  }, started, go);
  await started.wait();

  const ran: string[] = [];
  const jobs: [string, number][] = [['report', 5], ['backup', 3], ['alert', 0], ['email', 2], ['resize', 1]];
  for (const [name, priority] of jobs) {
    pool.submit({ priority }, (name: string) => name, name).addDoneCallback(() => ran.push(name)); // callbacks run here, on the main thread
  }
  console.log(`submitted while busy: ${jobs.map(([name, priority]) => `${name}(${priority})`).join(' ')}`);
  go.set();
  await blocker;
  await pool.shutdown();
  console.log(`ran in order:         ${ran.join(' ')}`);
  assert.deepEqual(ran, ['alert', 'resize', 'email', 'backup', 'report']);
}

await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
// Workers start on demand; start both now so their start-up is not counted in the timeouts below.
await Promise.all([pool.submit(sleep, 0), pool.submit(sleep, 0)]);

// 2. map's timeout (Python's): a result not ready within 400 ms of the call throws TimeoutError from the loop.
// The items not started are cancelled; the slow one runs on to its end, as in Python.
const got: number[] = [];
try {
  for await (const ms of pool.map(sleep, [50, 50, 1000, 50], { timeout: 400 })) got.push(ms);
} catch (error) {
  console.log(`map: got [${got.join(', ')}], then ${(error as Error).name} waiting for the 1000 ms item`);
  assert.ok(error instanceof TimeoutError);
}
assert.deepEqual(got, [50, 50]);

// A task's own timeout stops it: its worker is replaced and the future fails with TimeoutError.
const stopped = pool.submit({ timeout: 200 }, sleep, 60_000);
const error = await stopped.exception();
console.log(`submit({ timeout: 200 }, sleep, 60000): ${(error as Error).name}`);
assert.ok(error instanceof TimeoutError);
console.log(`the pool goes on: ${await pool.submit(sleep, 10)}`);

// 3. batch: 7 inputs, 3 submitted at a time, onComplete called as each finishes; errors stay in their futures.
const inputs = ['1', '[2, 3]', '{"a": 4}', 'oops', 'null', '"six"', '7'];
let completed = 0;
const futures = await pool.batch((text: string) => JSON.parse(text), inputs.map((text) => [text] as [string]), {
  batchSize: 3,
  onComplete: (future, index) => console.log(`batch: ${++completed}/${inputs.length} done, input ${index}: ${future}`),
});
const failures: number[] = [];
for (const [index, future] of futures.entries()) {
  const failure = await future.exception();
  if (failure !== undefined) failures.push(index);
}
console.log(`batch: ${futures.length} futures, input ${failures.join(', ')} failed: ${String(await futures[3]!.exception()).split('\n')[0]}`);
assert.equal(completed, inputs.length);
assert.deepEqual(failures, [3]);
assert.deepEqual(await futures[2], { a: 4 });

const stats = pool.stats();
console.log(`stats: ${stats.completed} completed, ${stats.failed} failed, ${stats.cancelled} cancelled`);
