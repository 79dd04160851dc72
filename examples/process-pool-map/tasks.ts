// The task the example's child processes run: a module without side effects,
// since every child imports it (as Python's workers import the main module).

/** n squared, with the pid of the process that computed it. */
export function square(n: number): number {
  return n * n;
}

/** The pid of the child that runs it. */
export function pid(): number {
  return process.pid;
}
