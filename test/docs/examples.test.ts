// Runs every TSDoc `@example` in src/ and every ```ts block of the README as
// a program importing the built package, so documentation cannot drift. A `// text` comment after a
// `console.log(...)` line is what that line must print: the printed lines must
// contain every such text, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../..', import.meta.url).pathname;
const scratch = join(root, '.doc-examples');
const run = promisify(execFile);

interface Example {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly expected: string[];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/@example\s*\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)) {
      const code = match[1]!.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
      const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.replace(/\s*:.*$/, '').trim());
      found.push({ file: relative(root, file), line: text.slice(0, match.index).split('\n').length, code, expected });
    }
  }
  // The README's TypeScript snippets are examples too.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const match of readme.matchAll(/```ts\n([\s\S]*?)\n```/g)) {
    const code = match[1]!;
    const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.replace(/\s*[:—].*$/, '').trim());
    found.push({ file: 'README.md', line: readme.slice(0, match.index).split('\n').length, code, expected });
  }
  return found;
}

const all = examples();

// Exports that need no example of their own: error classes (one example shows
// the hierarchy) and protocol symbols (shown with registerShareable).
const NO_EXAMPLE = /Error$|^(describe|revive|isModuleTask|Hold)$/;

test('every class and function exported from the package appears in a runnable example', () => {
  const index = readFileSync(join(root, 'src/index.ts'), 'utf8');
  const names = [...index.matchAll(/^export \{([^}]*)\}/gm)]
    .flatMap((m) => m[1]!.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '' && !name.startsWith('type '))
    .map((name) => name.split(/\s+as\s+/).pop()!);
  const shown = all.map((example) => example.code).join('\n');
  const missing = names.filter((name) => !NO_EXAMPLE.test(name) && !new RegExp(`\\b${name}\\b`).test(shown));
  assert.deepEqual(missing, [], `exports without an example: ${missing.join(', ')}`);
});

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

for (const [index, example] of all.entries()) {
  test(`example in ${example.file}:${example.line} runs and prints what it says`, async () => {
    assert.match(example.code, /from 'weft'/, 'examples import from the package, as a user would');
    const file = join(scratch, `example-${index}.ts`);
    writeFileSync(file, `${example.code}\nexport {};\n`);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 30_000 });
    const lines = stdout.split('\n').map((line) => line.trim());
    let at = 0;
    for (const expected of example.expected) {
      while (at < lines.length && !lines[at]!.startsWith(expected)) at++;
      assert.ok(at < lines.length, `expected a line starting with "${expected}" in:\n${stdout}`);
      at++;
    }
  });
}
