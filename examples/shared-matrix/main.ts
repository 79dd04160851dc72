// A 4096 x 4096 float64 matrix in shared memory: pool threads apply a sigmoid in place to row ranges, with no copies; timed with 1 worker and with 2.
import assert from 'node:assert/strict';
import { SharedArray, ThreadPoolExecutor, cpuCount } from 'weft';

const N = 4096;
const ROWS_PER_TASK = 256;
// 128 MiB of float64 in one SharedArrayBuffer. No lock ({ lock: false }, Python's RawArray): tasks write disjoint rows.
const matrix = new SharedArray('d', N * N, { lock: false });

const initial = (row: number, col: number) => ((row - col) / N) * 8; // -8 .. 8
function fill(): void {
  const m = matrix.view; // the Float64Array over the shared elements
  for (let row = 0; row < N; row++) for (let col = 0; col < N; col++) m[row * N + col] = initial(row, col);
}

// Runs in a worker: the SharedArray arrives as a live handle on the same memory; only the row range is sent.
function sigmoidRows(matrix: SharedArray<'d'>, n: number, from: number, to: number): number {
  const m = matrix.view;
  for (let i = from * n; i < to * n; i++) m[i] = 1 / (1 + Math.exp(-m[i]!));
  return to - from;
}

const ranges: [number, number][] = [];
for (let row = 0; row < N; row += ROWS_PER_TASK) ranges.push([row, Math.min(N, row + ROWS_PER_TASK)]);

async function run(workers: number): Promise<number> {
  await using pool = new ThreadPoolExecutor({ maxWorkers: workers });
  // Workers start on demand: start them all before the clock does.
  await Promise.all(Array.from({ length: workers }, () => pool.submit(() => 0)));
  fill();
  const started = performance.now();
  const rows = await Promise.all(ranges.map(([from, to]) => pool.submit(sigmoidRows, matrix, N, from, to)));
  const ms = performance.now() - started;
  assert.equal(rows.reduce((a, b) => a + b), N);
  check();
  return ms;
}

// The results are the main thread's own sigmoid of the initial values, everywhere we look.
function check(): void {
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const m = matrix.view;
  for (const [row, col] of [[0, 0], [0, N - 1], [N - 1, 0], [1234, 567], [N - 1, N - 1]] as const) {
    assert.equal(m[row * N + col], sigmoid(initial(row, col)), `matrix[${row}][${col}]`);
  }
  for (let i = 0; i < N * N; i += 4099) assert.equal(m[i], sigmoid(initial(Math.floor(i / N), i % N)), `element ${i}`);
  assert.equal(m[0], 0.5); // sigmoid(0) on the diagonal
}

console.log(`${N} x ${N} float64 matrix (${(N * N * 8) / 2 ** 20} MiB shared), ${ranges.length} tasks of ${ROWS_PER_TASK} rows, ${cpuCount()} CPUs`);
const one = await run(1);
console.log(`1 worker:  ${one.toFixed(0)} ms`);
const two = await run(2);
console.log(`2 workers: ${two.toFixed(0)} ms (speedup ${(one / two).toFixed(2)}x)`);
console.log(`matrix[0][0] = ${matrix.view[0]}, matrix[0][${N - 1}] = ${matrix.view[N - 1]!.toFixed(6)}, matrix[${N - 1}][0] = ${matrix.view[(N - 1) * N]!.toFixed(6)}`);
