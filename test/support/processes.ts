// Test helpers for real child processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize } from 'node:v8';
import { after } from 'node:test';
import { Process } from '../../src/run/process.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-process-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A fresh path in a directory removed after the tests. */
export function scratchFile(): string {
  return join(dir, `file-${++files}`);
}

/** What a child wrote to `file` with `v8.serialize`. */
export function readRecord(file: string): unknown {
  return deserialize(readFileSync(file));
}

/** Whether `pid` is a running (not zombie) process. */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // `pid (comm) S …`: a zombie (Z) has exited but was not reaped yet.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves once `pid` is no longer running; rejects after `ms`. */
export async function gone(pid: number, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (running(pid)) {
    if (performance.now() > deadline) throw new Error(`process ${pid} is still running after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Runs `fn` with Process.excepthook silenced, for tests that expect a child to fail. */
export async function quietly<T>(fn: () => Promise<T> | T): Promise<T> {
  const hook = Process.excepthook;
  Process.excepthook = () => {};
  try {
    return await fn();
  } finally {
    Process.excepthook = hook;
  }
}

/** The URL of a source module, for scripts and targets that import it. */
export function sourceUrl(path: string): string {
  return new URL(`../../src/${path}`, import.meta.url).href;
}
