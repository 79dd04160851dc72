// Loading the addon: never at import, a typed error at first use where it
// cannot load, and — on Linux, where CI must have built it — loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { child, src } from './processes-support.js';
import { native, processesAvailability } from '../../src/memory/native.js';

test('on Linux the addon is built and loads (npm install builds it)', () => {
  if (process.platform !== 'linux') return;
  const availability = processesAvailability();
  assert.deepEqual(availability, { available: true }, availability.available ? '' : availability.message);
});

test('the addon has yieldCpu, which returns at once with nothing else to run', () => {
  if (!processesAvailability().available) return;
  const addon = native();
  assert.equal(typeof addon.yieldCpu, 'function');
  for (let i = 0; i < 1000; i++) assert.equal(addon.yieldCpu(), undefined);
});

/** A child that imports the whole package, then uses processes memory; prints what happened. */
const FIRST_USE = `
  await import(${src('index.ts')});
  const { processesMemory } = await import(${src('memory/processes-memory.ts')});
  const { processesAvailability } = await import(${src('memory/native.ts')});
  const { Lock } = await import(${src('sync/lock.ts')});
  console.log(JSON.stringify(processesAvailability()));
  for (const use of [() => processesMemory.allocate(8), () => processesMemory.waiter.notify(new Int32Array(new SharedArrayBuffer(4)), 0, 1)]) {
    try {
      use();
      console.log('no error');
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, code: error.code, reason: error.reason, message: error.message }));
    }
  }
  const lock = new Lock();
  console.log(JSON.stringify({ threadsScope: lock.acquireSync() }));
`;

test('a missing addon: importing weft works, first use throws ProcessesScopeUnavailableError (not-built)', async () => {
  const run = child(FIRST_USE, { env: { WEFT_NATIVE_ADDON: '/nonexistent/weft.node' } });
  const availability = await run.json<{ available: boolean; reason: string }>();
  assert.equal(availability.available, false);
  assert.equal(availability.reason, 'not-built');
  for (let i = 0; i < 2; i++) {
    const error = await run.json<{ name: string; code: string; reason: string; message: string }>();
    assert.equal(error.name, 'ProcessesScopeUnavailableError');
    assert.equal(error.code, 'ERR_WEFT_PROCESSES_UNAVAILABLE');
    assert.equal(error.reason, 'not-built');
    assert.match(error.message, /\/nonexistent\/weft\.node does not exist/);
    assert.match(error.message, /npm rebuild weft/);
  }
  assert.deepEqual(await run.json(), { threadsScope: true });
  assert.equal((await run.exited).code, 0);
});

test('an addon that will not load: reason load-failed, with the loader’s message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-native-'));
  try {
    const bogus = join(dir, 'weft.node');
    writeFileSync(bogus, 'not a shared object');
    const run = child(FIRST_USE, { env: { WEFT_NATIVE_ADDON: bogus } });
    assert.equal((await run.json<{ reason: string }>()).reason, 'load-failed');
    const error = await run.json<{ reason: string; message: string }>();
    assert.equal(error.reason, 'load-failed');
    assert.match(error.message, /would not load/);
    assert.equal((await run.exited).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
