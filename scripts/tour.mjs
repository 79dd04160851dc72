// `npm start`: the tour. Runs every program under examples/ and prints what
// each one shows.
import { spawnSync } from 'node:child_process';
import { examples, root } from './examples.mjs';

let failed = 0;
for (const { name, file, summary } of examples()) {
  console.log(`\n=== ${name}: ${summary}`);
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
  process.stdout.write(run.stdout.replace(/^/gm, '  '));
  if (run.status !== 0) {
    failed++;
    process.stdout.write(run.stderr.replace(/^/gm, '  ! '));
    console.log(`  (exit code ${run.status})`);
  } else {
    console.log(`  (${Math.round(performance.now() - started)} ms)`);
  }
}
if (failed > 0) {
  console.log(`\n${failed} example(s) failed`);
  process.exit(1);
}
