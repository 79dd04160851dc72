// Lists the example programs: examples/<topic>/main.ts, with the summary line
// each one opens with (its first `//` comment).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

export function examples() {
  const dir = join(root, 'examples');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'main.ts')))
    .map((entry) => {
      const file = join(dir, entry.name, 'main.ts');
      const summary = /^\/\/\s*(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? entry.name;
      return { name: entry.name, file, summary };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
