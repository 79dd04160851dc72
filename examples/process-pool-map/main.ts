// multiprocessing.Pool: five child processes map square over 0..9 and the result is an array, as Python's pool.map returns a list.
import assert from 'node:assert/strict';
import { Pool, moduleTask } from 'weft';
import { pid, square } from './tasks.js';

// The children import ./tasks.ts to find `square`: this file's top level never runs in them.
const squareTask = moduleTask(new URL('./tasks.js', import.meta.url), square);
const pidTask = moduleTask(new URL('./tasks.js', import.meta.url), pid);

const range = Array.from({ length: 10 }, (_, i) => i);

{
  await using pool = new Pool({ processes: 5 }); // terminated at the end of the block, like `with Pool(5) as pool:`
  const squares = await pool.map(squareTask, range);
  console.log(`pool.map(square, range(10)) = [${squares.join(', ')}]`);
  assert.deepEqual(squares, range.map((n) => n * n));

  // starmap: each item is an argument list.
  const powers = await pool.starmap((base: number, exp: number) => base ** exp, [[2, 10], [3, 3], [10, 2]]);
  console.log(`starmap(pow): [${powers.join(', ')}]`);
  assert.deepEqual(powers, [1024, 27, 100]);

  // applyAsync gives an AsyncResult; the callback runs here, in the parent.
  const result = pool.applyAsync(pidTask, [], { callback: (childPid) => console.log(`applyAsync callback: a child answered (not the parent: ${childPid !== process.pid})`) });
  const childPid = await result.get({ timeout: 10_000 });
  console.log(`ready ${result.ready()}, successful ${result.successful()}`);
  assert.notEqual(childPid, process.pid);

  // imapUnordered: results as they come; the sum does not depend on the order.
  let sum = 0;
  for await (const n of pool.imapUnordered(squareTask, range)) sum += n;
  console.log(`imapUnordered: sum of squares = ${sum}`);
  assert.equal(sum, 285);
}
