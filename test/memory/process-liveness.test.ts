// Liveness as robust locks will ask it: pid plus start time, zombies dead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { isProcessAlive, processIdentity, selfThreadId } from '../../src/memory/process-liveness.js';

test('this process is alive, by pid and by identity; a wrong start time is another process', () => {
  const self = processIdentity()!;
  assert.equal(self.pid, process.pid);
  assert.equal(self.startTime, Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]));
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(self), true);
  assert.equal(isProcessAlive({ pid: process.pid, startTime: self.startTime + 1 }), false, 'a reused pid is not the recorded process');
});

test('a process that exited and was reaped is dead', async () => {
  const proc = spawn('true');
  const pid = proc.pid!;
  await new Promise((resolve) => proc.on('exit', resolve));
  assert.equal(isProcessAlive(pid), false);
  assert.equal(processIdentity(pid), undefined);
});

test('a zombie is dead, though kill(pid, 0) still succeeds', async () => {
  // The shell starts a short sleep in the background, then becomes a long
  // one, which never reaps it: the short sleep ends as a zombie.
  const shell = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = Number(await new Promise<string>((resolve) => shell.stdout!.once('data', (chunk) => resolve(String(chunk)))));
  for (let i = 0; i < 300 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /\) Z /);
  assert.doesNotThrow(() => process.kill(pid, 0));
  assert.equal(isProcessAlive(pid), false);
  shell.kill();
});

test('selfThreadId() is the pid on the main thread and a live thread id in a worker', async () => {
  assert.equal(selfThreadId(), process.pid);
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.postMessage(require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]);
     setTimeout(() => {}, 200);`,
    { eval: true },
  );
  const tid = Number(await new Promise((resolve) => worker.once('message', resolve)));
  assert.notEqual(tid, process.pid);
  assert.equal(isProcessAlive(tid), true, 'a live thread of this process');
  await new Promise((resolve) => worker.once('exit', resolve));
  // The OS thread may outlive the worker's exit event by a moment.
  for (let i = 0; i < 200 && isProcessAlive(tid); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(isProcessAlive(tid), false, 'the thread is gone with its worker');
});
