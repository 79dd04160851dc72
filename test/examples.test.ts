// Runs every program under examples/ (as `npm start` does); each checks its
// own results with assertions and exits non-zero if they fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
// @ts-expect-error a plain .mjs helper shared with the tour script
import { examples, root } from '../scripts/examples.mjs';

const run = promisify(execFile);

for (const example of examples() as { name: string; file: string; summary: string }[]) {
  test(`example ${example.name}: ${example.summary}`, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', example.file], { cwd: root, timeout: 60_000 });
    assert.notEqual(stdout.trim(), '', 'an example prints what it shows');
  });
}
