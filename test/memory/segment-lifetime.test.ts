// When segments leave /dev/shm: at the normal exit of the last process using
// them, not before; after a SIGKILL only through the sweep, which removes
// nothing a live process uses. Counted in /dev/shm, in this file's namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { child, entriesOf, shmEntries, src, until } from './processes-support.js';
import { futexWaiter } from '../../src/memory/futex-waiter.js';
import { processesMemory } from '../../src/memory/processes-memory.js';
import { describeShared, OWN_SEGMENT_BYTES } from '../../src/memory/segments.js';
import { sweepSegments } from '../../src/memory/segment-sweep.js';

/** Child code that makes an arena, a block and a growable segment and prints their names. */
const MAKE = `
  import { processesMemory, describeShared, attachShared } from ${src('memory/processes-memory.ts')};
  import { futexWaiter } from ${src('memory/futex-waiter.ts')};
  const made = [processesMemory.allocate(8), processesMemory.allocate(${OWN_SEGMENT_BYTES * 2}), processesMemory.allocateGrowable(64, 1 << 20)];
  console.log(JSON.stringify(made.map((buffer) => describeShared(buffer).segment)));
`;

// This process's own arena, so the sweep has a live segment to leave alone.
const control = new Int32Array(processesMemory.allocate(16));
const controlSlice = JSON.stringify(describeShared(control));

test('a child that exits normally leaves nothing in /dev/shm', async () => {
  const run = child(MAKE);
  const names = await run.json<string[]>();
  assert.equal(names.length, 3);
  assert.equal((await run.exited).code, 0);
  assert.deepEqual(entriesOf(run.pid), []);
});

test('process.exit() inside a child gives its segments back too', async () => {
  const run = child(`${MAKE}; process.exit(3);`);
  await run.json();
  assert.equal((await run.exited).code, 3);
  assert.deepEqual(entriesOf(run.pid), []);
});

test('a segment stays while another process maps it and goes when the last one exits', async () => {
  // control: [0] creator may exit  [1] attacher may exit
  const creator = child(`
    ${MAKE}
    const control = new Int32Array(attachShared(JSON.parse(process.argv[1])));
    while (Atomics.load(control, 0) === 0) futexWaiter.wait(control, 0, 0, performance.now() + 10_000);
  `, { args: [controlSlice] });
  const [, block] = await creator.json<string[]>();
  const attacher = child(`
    import { attachShared } from ${src('memory/segments.ts')};
    import { futexWaiter } from ${src('memory/futex-waiter.ts')};
    const control = new Int32Array(attachShared(JSON.parse(process.argv[1])));
    const block = new Int32Array(attachShared({ segment: process.argv[2], offset: 0, byteLength: 64 }));
    console.log('attached');
    while (Atomics.load(control, 1) === 0) futexWaiter.wait(control, 1, 0, performance.now() + 10_000);
  `, { args: [controlSlice, block!] });
  assert.equal(await attacher.line(), 'attached');
  Atomics.store(control, 0, 1);
  futexWaiter.notify(control, 0, 1);
  assert.equal((await creator.exited).code, 0);
  assert.deepEqual(entriesOf(creator.pid), [block], 'the block, still mapped by the attacher, outlives its creator; the rest is gone');
  Atomics.store(control, 1, 1);
  futexWaiter.notify(control, 1, 1);
  assert.equal((await attacher.exited).code, 0);
  assert.deepEqual(entriesOf(creator.pid), []);
});

test('SIGKILL leaves segments behind; the sweep removes them and nothing in use', async () => {
  const victim = child(`${MAKE}; setInterval(() => {}, 1000);`);
  const names = await victim.json<string[]>();
  victim.process.kill('SIGKILL');
  assert.equal((await victim.exited).signal, 'SIGKILL');
  assert.deepEqual(entriesOf(victim.pid), [...names].sort(), 'a killed process gives nothing back');
  const ours = entriesOf(process.pid);
  assert.ok(ours.length >= 1);
  const report = sweepSegments();
  assert.deepEqual([...report.removed].sort(), [...names].sort());
  assert.deepEqual(entriesOf(victim.pid), []);
  assert.deepEqual(entriesOf(process.pid), ours, 'the live process keeps its segments');
  Atomics.store(control, 2, 1); // still mapped and usable
  assert.equal(Atomics.load(control, 2), 1);
});

test('a segment whose creator was killed stays while an attacher lives; the sweep keeps it', async () => {
  const victim = child(`${MAKE}; setInterval(() => {}, 1000);`);
  const [, block] = await victim.json<string[]>();
  const holder = child(`
    import { attachShared } from ${src('memory/segments.ts')};
    const block = new Int32Array(attachShared({ segment: process.argv[1], offset: 0, byteLength: 64 }));
    console.log('attached');
    setInterval(() => {}, 1000);
  `, { args: [block!] });
  assert.equal(await holder.line(), 'attached');
  victim.process.kill('SIGKILL');
  await victim.exited;
  sweepSegments();
  assert.ok(existsSync(`/dev/shm/${block}`), 'a live attacher keeps the block');
  assert.deepEqual(entriesOf(victim.pid), [block]);
  holder.process.kill('SIGKILL');
  await holder.exited;
  assert.ok(sweepSegments().removed.includes(block!));
  assert.deepEqual(entriesOf(victim.pid), []);
});

test('the first allocation of a process sweeps what killed processes left', async () => {
  const victim = child(`${MAKE}; setInterval(() => {}, 1000);`);
  await victim.json();
  victim.process.kill('SIGKILL');
  await victim.exited;
  assert.equal(entriesOf(victim.pid).length, 3);
  const next = child(MAKE);
  await next.json();
  await until(() => entriesOf(victim.pid).length === 0, 5000, 'the sweep');
  assert.equal((await next.exited).code, 0);
});

test('nothing of this file is left but its own segments', () => {
  const others = shmEntries().filter((name) => !name.includes(`.${process.pid}.`));
  assert.deepEqual(others, []);
});

// The addon is loaded only in a worker thread; the process exits with the worker
// still running. Node closes the worker's addons before V8 frees the worker's
// buffers, whose deleter is the addon's: it must still be mapped (it was not
// once: exit by SIGSEGV). The worker (eval'd, so CommonJS and no tsx) loads
// the addon by its path, as native.ts does.
test('a process exiting while a worker thread maps segments exits cleanly, and gives them back', async () => {
  const run = child(`
    import { Worker } from 'node:worker_threads';
    import { segmentPrefix } from ${src('memory/segment-names.ts')};
    const addon = new URL('../native/build/Release/weft.node', ${src('index.ts')}).pathname;
    const worker = new Worker(\`
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addon);
      const layout = addon.segmentLayout;
      globalThis.kept = [
        addon.arenaAllocate(workerData.prefix, 64, 1 << 20),
        addon.segmentCreate(workerData.prefix, 1 << 20, layout.kindBlock, 0, layout.reserve | layout.uniqueName),
      ];
      parentPort.postMessage('mapped');
      setInterval(() => {}, 1000);
    \`, { eval: true, execArgv: [], workerData: { addon, prefix: segmentPrefix() } });
    worker.unref();
    worker.once('message', (message) => console.log(JSON.stringify(message)));
  `);
  assert.equal(await run.json(), 'mapped');
  const exit = await run.exited;
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, exit.stderr);
  assert.deepEqual(entriesOf(run.pid), []);
});
