// A child process writes a manager dict (keys 1, '2' and 0.25) and reverses a manager list of range(10); the parent sees both.
import assert from 'node:assert/strict';
import { Manager, Process, type DictProxy, type ListProxy } from 'weft';

await using manager = new Manager(); // shut down at the end of this block
await manager.start();
const dict = await manager.dict<number | string, string | number | null>();
const list = await manager.list(Array.from({ length: 10 }, (_, i) => i));

// Python's test_manager scenario: the child's writes happen in the server, so the parent reads them back.
async function worker(d: DictProxy<number | string, string | number | null>, l: ListProxy<number>): Promise<void> {
  await d.set(1, '1');
  await d.set('2', 2);
  await d.set(0.25, null);
  await l.reverse();
}

const child = new Process({ target: worker, args: [dict, list] });
child.start();
await child.join();

const entries = await dict.entries();
const items = await list.toArray();
console.log(`dict after the child: ${JSON.stringify(entries)} (keys keep their types: 1, '2', 0.25)`);
console.log(`list after the child: ${JSON.stringify(items)}`);
assert.equal(child.exitCode, 0);
assert.deepEqual(entries, [[1, '1'], ['2', 2], [0.25, null]]);
assert.deepEqual(items, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
