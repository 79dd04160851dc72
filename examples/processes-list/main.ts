// Three processes append to "one list": a plain array is copied into each process, a processes-scope SharedList and ShareableList are shared.
import assert from 'node:assert/strict';
import { getContext, type ShareableList, type SharedList } from 'weft';

const processes = getContext('processes');
const { Process } = processes;

/** Runs `target(list, id)` in three child processes, ids 1 to 3, and waits for them. */
async function runEach<L>(target: (list: L, id: number) => void, list: L): Promise<void> {
  const children = [1, 2, 3].map((id) => new Process({ target, args: [list, id] }));
  for (const child of children) child.start();
  for (const child of children) await child.join();
  assert.deepEqual(children.map((child) => child.exitCode), [0, 0, 0]);
}

// A plain array crosses by structured clone: each process appends to its own copy.
const plain: number[] = [];
await runEach((list: number[], id: number) => {
  list.push(id);
  console.log(`  process ${id} sees its copy: [${list.join(', ')}]`);
}, plain);
console.log(`plain array in the parent after three processes appended: [${plain.join(', ')}] (unchanged)`);
assert.deepEqual(plain, []);

// A SharedList lives in processes memory: every process appends to the same list (each append is atomic).
const shared = new processes.SharedList<number>();
await runEach((list: SharedList<number>, id: number) => {
  list.append(id);
}, shared);
const items = shared.toArray().sort();
console.log(`SharedList after three processes appended: [${items.join(', ')}] (one list, seen by all)`);
assert.deepEqual(items, [1, 2, 3]);

// A ShareableList (Python's shared_memory.ShareableList) has a fixed length: each process fills its own slot.
// It is a named block: another process could also attach with ShareableList.attach(slots.shm.name).
const slots = new processes.ShareableList([0, 0, 0]);
await runEach((list: ShareableList, id: number) => {
  list[id - 1] = id * 100;
}, slots);
console.log(`ShareableList '${slots.shm.name}' after three processes wrote: [${slots.toArray().join(', ')}]`);
assert.deepEqual(slots.toArray(), [100, 200, 300]);
slots.shm.close();
slots.shm.unlink(); // as in Python: the creator removes the name
