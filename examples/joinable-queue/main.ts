// Worker threads take jobs from a JoinableQueue and call taskDone(); the main thread awaits join() until every job is done.
import assert from 'node:assert/strict';
import { JoinableQueue, SharedArray, Thread } from 'weft';

const jobs = new JoinableQueue<number>();
const results = new SharedArray('d', 20);

function worker(jobs: JoinableQueue<number>, results: SharedArray<'d'>): void {
  for (;;) {
    let n: number;
    try {
      n = jobs.getSync();
    } catch {
      return; // ShutDownError: no more jobs
    }
    results[n] = Math.sqrt(n); // the "work"
    jobs.taskDone();
  }
}

const workers = [1, 2, 3].map(() => new Thread({ target: worker, args: [jobs, results] }));
for (const thread of workers) thread.start();
for (let n = 0; n < 20; n++) await jobs.put(n);

const started = performance.now();
await jobs.join(); // resolves once taskDone() was called for all 20 jobs
console.log(`all 20 jobs done (join waited ${Math.round(performance.now() - started)} ms); results[16] = ${results[16]}`);
assert.equal(results[16], 4);
assert.ok(results.toArray().every((r, n) => r === Math.sqrt(n)));

jobs.shutdown(); // wakes the idle workers: their getSync() throws ShutDownError
for (const thread of workers) await thread.join();
console.log('workers stopped after shutdown()');
