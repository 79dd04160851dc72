// The reusable pieces in src/run/child.ts that a Process (and a process pool) build on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childEntry, childExecArgv, exitCodeName, exitCodeOf, packMessage } from '../../src/run/child.js';
import { DataCloneError } from '../../src/errors.js';

test('childExecArgv() keeps loader and V8 flags and drops the parent\'s own program, debugger and test runner', () => {
  assert.deepEqual(
    childExecArgv(['--import', 'tsx', '--input-type=module', '-e', 'console.log(1)', '--max-old-space-size=512']),
    ['--import', 'tsx', '--max-old-space-size=512'],
  );
  assert.deepEqual(childExecArgv(['--loader=ts-node/esm', '--eval=1', '-p', '2', '--inspect=9229', '--test']), ['--loader=ts-node/esm']);
  assert.deepEqual(childExecArgv(['--inspect-brk', '--experimental-vm-modules', '--print', 'x']), ['--experimental-vm-modules']);
});

test('childEntry() names the TypeScript entry from source and the bundled one when built', () => {
  assert.match(childEntry('process-entry').href, /\/src\/worker\/process-entry\.ts$/);
});

test('exitCodeOf() reads an exit status as Python does: the code, or minus the signal number', () => {
  assert.equal(exitCodeOf(0, null), 0);
  assert.equal(exitCodeOf(3, null), 3);
  assert.equal(exitCodeOf(null, 'SIGTERM'), -15);
  assert.equal(exitCodeOf(null, 'SIGKILL'), -9);
  assert.equal(exitCodeName(-15), 'SIGTERM');
  assert.equal(exitCodeName(-9), 'SIGKILL');
  assert.equal(exitCodeName(1), '1');
});

test('packMessage() serializes now and names the argument structured clone refuses', () => {
  const message = { args: [1, 'two'] };
  assert.ok(packMessage(message, message.args).length > 0);
  const bad = [1, { buffer: new SharedArrayBuffer(4) }];
  assert.throws(() => packMessage({ args: bad }, bad), (error: unknown) => error instanceof DataCloneError && error.path === 'args[1]');
  assert.throws(() => packMessage({ blob: new Blob(['x']) }), (error: unknown) => error instanceof DataCloneError && error.path === 'the message');
});
