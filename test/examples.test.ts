// Runs every program under examples/ (as `npm start` does); each checks its
// own results with assertions and exits non-zero if they fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
// @ts-expect-error a plain .mjs helper shared with the tour script
import { examples, root } from '../scripts/examples.mjs';

const run = promisify(execFile);

/** What some examples must print, besides their own assertions; and what must hold once they exited. */
const checks: Record<string, (stdout: string) => void> = {
  'processes-list': (stdout) => {
    assert.match(stdout, /plain array in the parent after three processes appended: \[\] \(unchanged\)/);
    assert.match(stdout, /SharedList after three processes appended: \[1, 2, 3\]/);
    assert.match(stdout, /ShareableList 'wnsm_[0-9a-f]{8}' after three processes wrote: \[100, 200, 300\]/);
  },
  'cluster-http': (stdout) => {
    assert.match(stdout, /hits counted in shared memory: 2000 \(expected 2000\)/);
    assert.match(stdout, /200 OK: 800 \(8 clients x budget 100 = 800\), 429: 1200/);
    assert.match(stdout, /served by worker: #\d+ \d+, #\d+ \d+/);
    const namespace = /segments of namespace (\S+) left/.exec(stdout)![1]!;
    assert.deepEqual(readdirSync('/dev/shm').filter((name) => name.includes(`.${namespace}.`)), [], 'nothing left in /dev/shm after a normal exit');
  },
};

for (const example of examples() as { name: string; file: string; summary: string }[]) {
  test(`example ${example.name}: ${example.summary}`, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', example.file], { cwd: root, timeout: 60_000 });
    assert.notEqual(stdout.trim(), '', 'an example prints what it shows');
    checks[example.name]?.(stdout);
  });
}
