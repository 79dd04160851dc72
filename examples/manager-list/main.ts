// Three child processes append to one manager list three times each: the list lives in the manager's server, so the parent sees all nine items.
import assert from 'node:assert/strict';
import { Manager, Process, type ListProxy } from 'weft';

await using manager = new Manager(); // shut down at the end of this block
await manager.start(); // the server runs in its own process, on a Unix socket
const list = await manager.list<string>();

// A proxy crosses to a child as a live handle: the child connects to the same server.
async function appendThree(items: ListProxy<string>, who: number): Promise<void> {
  for (let i = 0; i < 3; i++) await items.append(`process ${who}, item ${i}`);
}

const children = [1, 2, 3].map((who) => new Process({ target: appendThree, args: [list, who] }));
for (const child of children) child.start();
for (const child of children) await child.join();

const items = await list.toArray();
console.log(`the manager's list after three processes appended three times each: ${items.length} items`);
for (const item of items.sort()) console.log(`  ${item}`);
assert.equal(await list.len(), 9);
assert.deepEqual(children.map((c) => c.exitCode), [0, 0, 0]);
