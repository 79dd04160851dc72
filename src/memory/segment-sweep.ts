/**
 * The sweep: Python's resource tracker for processes-scope segments. A
 * process killed by a signal never gives its user slots back, so its
 * segments would stay in /dev/shm until reboot. The sweep unlinks every
 * segment of this user (and namespace) that no live process uses.
 *
 * A segment is abandoned when:
 * - its header is complete and no user slot names a live process (pid and
 *   start time, zombies dead) — and, if some users found every slot taken,
 *   its creator is dead too;
 * - or its header was never completed and the creator's pid in its name is
 *   not alive (a name without one: when untouched for a minute).
 *
 * Unlinking only removes the name: a process still mapping the segment keeps
 * working. It assumes every user of the namespace runs in this pid namespace
 * (containers sharing /dev/shm should use distinct `WEFT_NAMESPACE`s).
 *
 * The first processes-scope allocation of a process's main thread sweeps its
 * namespace once; {@link sweepSegments} sweeps on demand.
 */

import { readdirSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { native, type NativeAddon } from './native.js';
import { creatorPidOf, segmentPrefix, userPrefix } from './segment-names.js';

/** Where segments live on Linux. */
const SHM_DIR = '/dev/shm';
/** How long an unfinished segment with no creator pid in its name is left alone. */
const UNFINISHED_GRACE_MS = 60_000;

/** Options of {@link sweepSegments}. */
export interface SweepOptions {
  /** The namespace to sweep. Default: this process's (`WEFT_NAMESPACE`). */
  namespace?: string;
  /** Sweep every namespace of this user. Default `false`. */
  allNamespaces?: boolean;
}

/** What a sweep did. */
export interface SweepReport {
  /** Names unlinked. */
  readonly removed: readonly string[];
  /** Segments left because a live process uses them. */
  readonly kept: number;
}

function ticks(words: Int32Array, low: number): number {
  return (words[low]! >>> 0) + (words[low + 1]! >>> 0) * 2 ** 32;
}

function abandoned(addon: NativeAddon, name: string): boolean {
  const header = addon.segmentInspect(name);
  if (header === undefined) return false; // gone meanwhile
  const layout = addon.segmentLayout;
  const words = header.words;
  const complete =
    header.fileBytes >= layout.headerBytes &&
    words[layout.readyWord] === 1 &&
    words[layout.magicWord]! >>> 0 === layout.magic &&
    words[layout.versionWord] === layout.version;
  if (!complete) {
    const pid = creatorPidOf(name);
    return pid === undefined ? Date.now() - header.mtimeMs > UNFINISHED_GRACE_MS : !addon.processAlive(pid);
  }
  for (let i = 0; i < layout.slots; i++) {
    const slot = layout.slotsWord + i * layout.slotWords;
    const pid = words[slot]!;
    if (pid > 0 && addon.processAlive(pid, ticks(words, slot + 1))) return false;
  }
  if (words[layout.untrackedWord]! > 0) {
    return !addon.processAlive(words[layout.creatorPidWord]!, ticks(words, layout.creatorStartLowWord));
  }
  return true;
}

/**
 * Unlinks the segments of this user and namespace that no live process uses
 * (see the module comment). Safe to run at any time, from any process.
 *
 * @throws ProcessesScopeUnavailableError where the addon cannot be used.
 */
export function sweepSegments(options: SweepOptions = {}): SweepReport {
  const addon = native();
  const prefix = `${options.allNamespaces ? userPrefix() : segmentPrefix(options.namespace)}.`;
  let names: string[];
  try {
    names = readdirSync(SHM_DIR);
  } catch {
    return { removed: [], kept: 0 };
  }
  const removed: string[] = [];
  let kept = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    if (abandoned(addon, name) && addon.segmentUnlink(name)) removed.push(name);
    else kept++;
  }
  return { removed, kept };
}

let swept = false;

/** Sweeps this namespace once per process, from the main thread; never throws. */
export function sweepOnce(): void {
  if (swept || !isMainThread) return;
  swept = true;
  try {
    sweepSegments();
  } catch {
    // A sweep that fails (an unreadable /dev/shm) must not fail an allocation.
  }
}
