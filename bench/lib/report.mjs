/**
 * What every scenario prints: a title, a table of the peers side by side with
 * their ratio to the scenario's baseline, and one line per target saying
 * whether it is met. `bench/run.mjs` collects the `target` lines into its
 * summary, so they all start with the word `target`.
 */

import { cpus } from 'node:os';

/** The median of a list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `1234567.8` → `1,234,568`; small numbers keep `digits` decimals. */
export function number(value, digits = 2) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const decimals = abs >= 1000 ? 0 : digits;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A ratio as `1.23x`. */
export function ratio(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : '—';
}

/** One line naming the machine the figures come from. */
export function machine() {
  const cpu = cpus();
  return `node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown cpu'}), ${process.platform}/${process.arch}`;
}

/** Prints the scenario's heading: its name, what it measures and its settings. */
export function heading(name, ...lines) {
  console.log(`\n== ${name} ==`);
  for (const line of lines) console.log(line);
  console.log(machine());
}

/**
 * Prints `rows` (arrays of cells) under `columns`. The first column is
 * left-aligned, the others right-aligned (they hold figures).
 */
export function table(columns, rows) {
  const cells = [columns, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ');
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const row of cells.slice(1)) console.log(line(row));
}

/**
 * Prints one target line, e.g.
 * `target weft sync <= 1.30x raw pair: 1.12x MET`. `direction` is `'<='` (the
 * ratio must not exceed `limit`) or `'>='`. Returns whether it was met.
 */
export function target(what, actual, direction, limit) {
  const met = Number.isFinite(actual) && (direction === '<=' ? actual <= limit : actual >= limit);
  const verdict = Number.isFinite(actual) ? (met ? 'MET' : 'NOT MET') : 'NOT MEASURED';
  console.log(`target ${what} ${direction} ${limit}x: ${ratio(actual)} ${verdict}`);
  return met;
}
