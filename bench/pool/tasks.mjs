/**
 * The task functions every pool runs in the pool scenarios, one export each,
 * each taking one argument (piscina and tinypool pass the task value,
 * poolifier the data, workerpool the params spread; weft names them with
 * `moduleTask(url, name)`). Loading this module has no side effects: it is
 * imported inside every worker.
 */

/** The trivial task: a round trip with next to no work. */
export function inc(x) {
  return x + 1;
}

/** Naive recursive Fibonacci: ~2 ms of pure CPU for n = 27 on this machine. */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The first element of a typed array, so the whole argument must arrive but little comes back. */
export function first(array) {
  return array[0];
}

/** Ends the worker in the middle of a task (a thread's `process.exit` ends only that thread). */
export function crash() {
  process.exit(1);
}

/**
 * Applies the logistic sigmoid in place to rows `from` (inclusive) to `to`
 * (exclusive) of a row-major matrix of `columns` columns held in a
 * SharedArrayBuffer-backed Float64Array. Returns the rows done.
 */
export function sigmoidRows({ matrix, columns, from, to }) {
  for (let i = from * columns, end = to * columns; i < end; i++) matrix[i] = 1 / (1 + Math.exp(-matrix[i]));
  return to - from;
}
