// How long children live: daemon children end with their parent, non-daemon
// children keep it alive, orphans exit, and children start children of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Process } from '../../src/run/process.js';
import { gone, readRecord, running, scratchFile, sourceUrl } from '../support/processes.js';

/** A program (an ES module, run under tsx) that imports Process as `Process`. */
function program(body: string): string[] {
  const source = `import { Process } from ${JSON.stringify(sourceUrl('run/process.ts'))};\n${body}`;
  return ['--import', 'tsx', '--input-type=module', '-e', source];
}

// In a program: start `p`, then wait until its target has written `ready`.
const awaitReady = (ready: string) => `
  const { existsSync } = await import('node:fs');
  while (!existsSync(${JSON.stringify(ready)})) await new Promise((resolve) => setTimeout(resolve, 20));
`;

// A target that announces it runs (writes the file it gets) and then never settles.
const READY_FOREVER = `async (ready) => {
  (await import('node:fs')).writeFileSync(ready, '');
  await new Promise(() => {});
}`;

test('a daemon child does not keep its parent alive and is terminated when the parent exits', async () => {
  const ready = scratchFile();
  const run = spawnSync(process.execPath, program(`
    const p = new Process({ daemon: true, target: ${READY_FOREVER}, args: [${JSON.stringify(ready)}] });
    p.start();
    console.log('child', p.pid);
    ${awaitReady(ready)}
    console.log('parent done');
  `), { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /parent done/);
  const pid = Number(/child (\d+)/.exec(run.stdout)![1]);
  await gone(pid);
});

test('a non-daemon child keeps its parent alive until it exits', () => {
  const done = scratchFile();
  const run = spawnSync(process.execPath, program(`
    const p = new Process({
      target: async (done) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        (await import('node:fs')).writeFileSync(done, 'child finished');
      },
      args: [${JSON.stringify(done)}],
    });
    p.start();
    console.log('parent done');
  `), { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /parent done/);
  // Had the parent exited first, the orphaned child would have exited before writing.
  assert.equal(existsSync(done), true);
});

test('a child exits when its parent is killed with SIGKILL (its IPC channel closes)', async () => {
  const ready = scratchFile();
  const parent = spawn(process.execPath, program(`
    const p = new Process({ target: ${READY_FOREVER}, args: [${JSON.stringify(ready)}] });
    p.start();
    ${awaitReady(ready)}
    console.log('child', p.pid);
  `), { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /child (\d+)\n/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    parent.once('exit', () => reject(new Error(`the parent exited first: ${output}`)));
  });
  assert.equal(running(pid), true);
  parent.kill('SIGKILL');
  await gone(pid);
});

test('a child can start children of its own, named after it; a daemon child cannot', async () => {
  const file = scratchFile();
  const p = new Process({
    target: async (file: string, url: string) => {
      const { Process } = await import(url);
      const grandchild = new Process({ target: () => { process.exit(7); } });
      grandchild.start();
      await grandchild.join();
      const { writeFileSync } = await import('node:fs');
      const { serialize } = await import('node:v8');
      writeFileSync(file, serialize({ name: grandchild.name, exitCode: grandchild.exitCode }));
    },
    args: [file, sourceUrl('run/process.ts')],
  });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 0);
  assert.deepEqual(readRecord(file), { name: `${p.name}:1`, exitCode: 7 });

  const daemonic = new Process({
    daemon: true,
    target: async (url: string) => {
      const { Process } = await import(url);
      try {
        new Process({ target: () => {} }).start();
      } catch (error) {
        process.exit((error as Error).message.includes('daemonic processes are not allowed to have children') ? 5 : 6);
      }
    },
    args: [sourceUrl('run/process.ts')],
  });
  daemonic.start();
  await daemonic.join();
  assert.equal(daemonic.exitCode, 5);
});
