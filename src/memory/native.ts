/**
 * The processes scope's native addon (native/), loaded at first use — never
 * when weft is imported, so a machine without it still runs everything in the
 * threads scope. Where it cannot load, every use throws a
 * {@link ProcessesScopeUnavailableError} whose `reason` and message say why
 * and what to do.
 *
 * The addon is found at `native/build/Release/weft.node` under the package
 * root: the nearest folder above this module whose package.json is weft's
 * (the same from src/ under tsx, from dist/, and from a bundled worker
 * entry). `WEFT_NATIVE_ADDON` names another file instead.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessesScopeUnavailableError, type ProcessesUnavailableReason } from '../errors.js';

/** The header layout and option bits of a segment, as the addon defines them (native/src/segment.h). */
export interface SegmentLayout {
  readonly headerBytes: number;
  readonly magic: number;
  readonly version: number;
  readonly magicWord: number;
  readonly versionWord: number;
  readonly readyWord: number;
  readonly kindWord: number;
  readonly tagWord: number;
  readonly flagsWord: number;
  readonly dataLowWord: number;
  readonly dataHighWord: number;
  readonly creatorPidWord: number;
  readonly creatorStartLowWord: number;
  readonly creatorStartHighWord: number;
  readonly untrackedWord: number;
  readonly slotsWord: number;
  readonly slotWords: number;
  readonly slots: number;
  readonly kindArena: number;
  readonly kindBlock: number;
  readonly kindNamed: number;
  readonly keep: number;
  readonly reserve: number;
  readonly uniqueName: number;
  readonly arenaAlign: number;
}

/** The addon's functions; native/src/*.cc document each. */
export interface NativeAddon {
  readonly abi: number;
  readonly sandbox: boolean;
  /** Whether async waits park on futex_waitv (else one pooled thread per parked wait). */
  readonly futexWaitv: boolean;
  /** Blocks while `words[index] === expected`: 0 ok, 1 not-equal, 2 timed-out. `timeoutMs` Infinity: none. */
  wait(words: Int32Array, index: number, expected: number, timeoutMs: number): number;
  /** Wakes up to `count` sleepers on the word, in any process; returns how many woke. */
  wake(words: Int32Array, index: number, count: number): number;
  /** -1 not-equal, -2 timed-out, or the id of a parked wait (outcome via the wait callback). */
  waitAsync(words: Int32Array, index: number, expected: number, timeoutMs: number): number;
  /** Cancels a parked wait; its outcome is never delivered. */
  cancelWait(id: number): boolean;
  /** Receives `[id, outcome, id, outcome, ...]` of finished waits (0 ok, 1 not-equal, 2 timed-out). */
  setWaitCallback(callback: (results: number[]) => void): void;
  pendingWaits(): number;
  /** The kernel id of the calling thread (unique among live threads on the host). */
  gettid(): number;
  /** Field 22 of /proc/<pid>/stat, or -1 if there is no such process or thread. */
  processStartTime(pid: number): number;
  /** Running, not a zombie, and started at `startTime` when that is nonzero. */
  processAlive(pid: number, startTime?: number): boolean;
  parkingThreads(): number;
  /** Lets another thread ready to run on this core go first (sched_yield). */
  yieldCpu(): void;
  segmentCreate(name: string, dataBytes: number, kind: number, tag: number, options: number): SharedArrayBuffer;
  segmentAttach(name: string, kind: number, tag: number, dataBytes: number, timeoutMs: number): SharedArrayBuffer;
  arenaAllocate(prefix: string, byteLength: number, arenaBytes: number): SharedArrayBuffer;
  segmentView(buffer: SharedArrayBuffer, offset: number, length: number): SharedArrayBuffer;
  /** `[segment name, offset in its data, kind]`, or undefined for a buffer no segment holds. */
  segmentLocate(buffer: SharedArrayBuffer): [string, number, number] | undefined;
  segmentUnlink(name: string): boolean;
  segmentInspect(name: string): { fileBytes: number; mtimeMs: number; words: Int32Array } | undefined;
  mappingCount(): number;
  readonly segmentLayout: SegmentLayout;
}

/** The interface version this TypeScript expects (native/src/addon.cc's kAbi). */
const ABI = 2;

type Loaded = { readonly addon: NativeAddon } | { readonly reason: ProcessesUnavailableReason; readonly message: string; readonly cause?: unknown };

let loaded: Loaded | undefined;

/** The folder of weft's package.json, searched upwards from this module. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'weft') return dir;
      } catch {
        // not a readable manifest: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const REBUILD = 'build it with `npm rebuild weft` (or `node scripts/build-native.mjs` in a checkout); it needs python3, make and a C++17 compiler';

function load(): Loaded {
  if (process.platform !== 'linux') {
    return { reason: 'platform', message: `the processes scope needs Linux (POSIX shared memory and futexes); this is ${process.platform}` };
  }
  const root = packageRoot();
  const path = process.env.WEFT_NATIVE_ADDON ?? (root === undefined ? undefined : join(root, 'native', 'build', 'Release', 'weft.node'));
  if (path === undefined || !existsSync(path)) {
    const errorFile = root === undefined ? undefined : join(root, 'native', 'build', 'weft-build-error.txt');
    const failed = errorFile !== undefined && existsSync(errorFile) ? readFileSync(errorFile, 'utf8').split('\n')[0] : undefined;
    const why = failed ? `its build at install failed: ${failed}` : `${path ?? 'native/build/Release/weft.node'} does not exist`;
    return { reason: 'not-built', message: `the processes scope's native addon is not built (${why}); ${REBUILD}` };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (cause) {
    return { reason: 'load-failed', message: `the processes scope's native addon at ${path} would not load: ${(cause as Error).message}`, cause };
  }
  if (addon.abi !== ABI) {
    return { reason: 'stale-build', message: `the native addon at ${path} was built for another version of weft (interface ${addon.abi}, this weft needs ${ABI}); ${REBUILD}` };
  }
  if (addon.sandbox) {
    return {
      reason: 'v8-sandbox',
      message: "this runtime's V8 runs with its sandbox (as Electron's does), where external memory cannot back a SharedArrayBuffer: the processes scope is unavailable here; the threads scope works",
    };
  }
  return { addon };
}

/**
 * The addon, loaded on first call (once per thread).
 *
 * @throws ProcessesScopeUnavailableError if it cannot be used here — a fresh
 *   error on every call, with the same reason.
 */
export function native(): NativeAddon {
  loaded ??= load();
  if ('addon' in loaded) return loaded.addon;
  throw new ProcessesScopeUnavailableError(loaded.reason, loaded.message, loaded.cause === undefined ? undefined : { cause: loaded.cause });
}

/** Whether the processes scope can be used here, and if not why — without throwing. */
export function processesAvailability(): { readonly available: true } | { readonly available: false; readonly reason: ProcessesUnavailableReason; readonly message: string } {
  loaded ??= load();
  return 'addon' in loaded ? { available: true } : { available: false, reason: loaded.reason, message: loaded.message };
}
