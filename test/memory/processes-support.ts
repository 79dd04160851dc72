// Helpers for the processes-scope memory tests: child processes running
// inline TypeScript, and a /dev/shm namespace of this test file's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { segmentPrefix } from '../../src/memory/segment-names.js';
import { sweepSegments } from '../../src/memory/segment-sweep.js';

// Every segment this file and its children make is named under this
// namespace, so /dev/shm can be counted while other suites run beside it.
process.env.WEFT_NAMESPACE = `test-${process.pid}`;

// What earlier runs killed mid-test left (in their own namespaces): removed
// only if no live process uses it, so suites running beside this one are safe.
if (process.platform === 'linux') sweepSegments({ allNamespaces: true });

/** An `import` specifier for a module under src/, for a child's inline code. */
export function src(path: string): string {
  return JSON.stringify(new URL(`../../src/${path}`, import.meta.url).href);
}

/** A fixture under test/memory/fixtures/. */
export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url);
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** The next line the child prints. */
  line(): Promise<string>;
  /** The next line, parsed as JSON. */
  json<T = unknown>(): Promise<T>;
  readonly exited: Promise<Exit>;
}

/** Runs `code` (an ES module in TypeScript) in a child process; `args` arrive as `process.argv.slice(1)`, `node` are flags for node. */
export function child(code: string, options: { env?: Record<string, string>; args?: string[]; node?: string[] } = {}): Child {
  const proc = spawn(process.execPath, [...(options.node ?? []), '--import', 'tsx', '--input-type=module', '-e', code, '--', ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, get stderr() { return stderr; } })));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const line = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done) throw new Error(`the child exited before printing a line; stderr:\n${stderr}`);
    return next.value;
  };
  return { process: proc, pid: proc.pid!, line, json: async () => JSON.parse(await line()), exited };
}

/** The names in /dev/shm of this file's namespace (or of `prefix`). */
export function shmEntries(prefix = `${segmentPrefix()}.`): string[] {
  return readdirSync('/dev/shm').filter((name) => name.startsWith(prefix)).sort();
}

/** The entries whose generated name says `pid` made them. */
export function entriesOf(pid: number): string[] {
  return shmEntries().filter((name) => name.includes(`.${pid}.`));
}

/** Milliseconds, measured in the median of `runs` samples. */
export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Resolves once `condition()` holds (polled: the other side is another thread or process); throws after `ms`. */
export async function until(condition: () => boolean, ms = 10_000, what = 'the condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
