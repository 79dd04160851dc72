/**
 * What the pool scenarios share: loading weft's executors (which may not be
 * built yet), running peers in interleaved rounds, warming a pool, waiting
 * for a promise with a bound, and target lines for figures that are not
 * ratios. See bench/README.md.
 */

import { number, table } from '../lib/report.mjs';
import { WORKERS } from './peers.mjs';

/** The row text of a weft side whose classes are not in the built package yet. */
export const NOT_BUILT = 'weft: not built yet';

/** The built weft package, or `undefined` if it cannot be imported at all. */
export const weft = await import('weft').catch(() => undefined);

/** `undefined` if the built weft package exports every one of `names`, else {@link NOT_BUILT}. */
export function weftMissing(...names) {
  return weft !== undefined && names.every((name) => name in weft) ? undefined : NOT_BUILT;
}

/**
 * `POOL_BENCH_SCALE=0.1` runs every pool scenario at a tenth of its sizes (task
 * counts, rounds stay), to check the scripts quickly; the default is 1.
 */
export const SCALE = Number(process.env.POOL_BENCH_SCALE ?? 1);

/** `n` scaled by {@link SCALE}, at least `floor`. */
export function scaled(n, floor = 1) {
  return Math.max(floor, Math.round(n * SCALE));
}

/** The trivial task as an inline function for weft: sent as source, captures nothing. */
export const inc = (x) => x + 1;

/** How many trivial tasks warm a pool up (both workers started, the task compiled and hot) before anything is timed. */
export const WARM_TASKS = 2_000;

/** Warms a peer pool (see peers.mjs): {@link WARM_TASKS} trivial tasks at once. */
export async function warm(pool) {
  await Promise.all(Array.from({ length: WARM_TASKS }, (_, i) => pool.run('inc', i)));
}

/** Warms a weft executor the same way, through `submit`. */
export async function warmWeft(executor) {
  await Promise.all(Array.from({ length: WARM_TASKS }, (_, i) => executor.submit(inc, i)));
}

/** How long closing a pool may take before a scenario moves on without it. */
const CLOSE_MS = 10_000;

/**
 * Starts a peer's pool, warms it, runs `body(pool)` and closes the pool.
 * Closing is awaited under a timer: poolifier's `destroy()` can wait on
 * workers it has unref'd, leaving nothing else to keep the process alive,
 * and node would exit in the middle of the scenario (exit code 13,
 * unsettled top-level await). The timer is the handle a real program (a
 * server) would have; it also bounds a close that never ends.
 */
export async function withPeer(peer, body) {
  const pool = await peer.start();
  try {
    await warm(pool);
    return await body(pool);
  } finally {
    await within(pool.close(), CLOSE_MS);
  }
}

/** Runs `body(executor)` on a warmed weft executor, then shuts it down. */
export async function withExecutor(executor, body) {
  try {
    await warmWeft(executor);
    return await body(executor);
  } finally {
    await executor.shutdown();
  }
}

/** A weft `ThreadPoolExecutor` of {@link WORKERS} workers (`workers` to override). */
export function threadPool(workers = WORKERS) {
  return new weft.ThreadPoolExecutor({ maxWorkers: workers });
}

/**
 * Runs every peer's `measure(round)` in `rounds` rounds, the peers back to
 * back in each round (so drift of a shared machine spreads over all of them),
 * collecting the results in `peer.runs`. A peer with `rounds` of its own runs
 * only in the first that many; a peer with a `reason` (not built, failed) is
 * skipped, and a peer whose `measure` throws gets one.
 */
export async function inRounds(peers, rounds) {
  for (const peer of peers) peer.runs ??= [];
  for (let round = 0; round < rounds; round++) {
    for (const peer of peers) {
      if (peer.reason !== undefined || round >= (peer.rounds ?? rounds)) continue;
      try {
        peer.runs.push(await peer.measure(round));
      } catch (error) {
        peer.reason = `failed: ${error?.message ?? error}`;
      }
    }
  }
}

/**
 * Waits for `promise` at most `ms` milliseconds. Resolves
 * `{ outcome: 'resolved' | 'rejected' | 'pending', value, error, ms }`, `ms`
 * being how long it took to settle (or the bound).
 */
export async function within(promise, ms) {
  const started = performance.now();
  let timer;
  const bound = new Promise((resolve) => (timer = setTimeout(() => resolve({ outcome: 'pending' }), ms)));
  const settled = Promise.resolve(promise).then(
    (value) => ({ outcome: 'resolved', value }),
    (error) => ({ outcome: 'rejected', error }),
  );
  const result = await Promise.race([settled, bound]);
  clearTimeout(timer);
  return { ...result, ms: performance.now() - started };
}

/** Whether a peer has figures: it has no reason (not built, failed) and ran at least once. */
export function measured(peer) {
  return peer !== undefined && peer.reason === undefined && peer.runs.length > 0;
}

/** `a[field] / b[field]` when both peers have figures, else NaN. */
export function quotient(a, b, field) {
  return measured(a) && measured(b) ? a[field] / b[field] : NaN;
}

/** The measured peer with the lowest `peer[field]` (`'highest'` for the highest); undefined if none was measured. */
export function best(peers, field, which = 'lowest') {
  const better = which === 'lowest' ? (a, b) => b[field] < a[field] : (a, b) => b[field] > a[field];
  return peers.filter(measured).reduce((a, b) => (a === undefined || better(a, b) ? b : a), undefined);
}

/**
 * Prints a scenario's table: per peer its name, its number of runs, then
 * `cells(peer)` under `columns`; a peer with a reason (`weft: not built
 * yet`, `failed: …`) shows the reason instead of figures.
 */
export function peerTable(columns, peers, cells) {
  table(
    ['peer', 'runs', ...columns],
    peers.map((peer) =>
      peer.reason !== undefined
        ? [peer.name, String(peer.runs.length), peer.reason, ...columns.slice(1).map(() => '')]
        : [peer.name, String(peer.runs.length), ...cells(peer)],
    ),
  );
}

/** The `p`-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * A target line for a figure that is not a ratio, in the same form as
 * report.mjs's: `target weft crash rejection <= 100 ms: 12.30 ms MET`.
 */
export function unitTarget(what, actual, direction, limit, unit) {
  const met = Number.isFinite(actual) && (direction === '<=' ? actual <= limit : actual >= limit);
  const verdict = Number.isFinite(actual) ? (met ? 'MET' : 'NOT MET') : 'NOT MEASURED';
  const shown = Number.isFinite(actual) ? `${number(actual)} ${unit}` : '—';
  console.log(`target ${what} ${direction} ${limit} ${unit}: ${shown} ${verdict}`);
  return met;
}
