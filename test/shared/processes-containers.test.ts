// processes.ShareableList, processes.SharedDict and processes.SharedList:
// mutated by child processes (attached by name, or passed to a Process as a
// live handle) and seen by the parent; containers grow across processes; a
// child's segments are gone from /dev/shm after its normal exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { child, entriesOf, shmEntries, src } from '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import { SharedDict as ThreadsSharedDict } from '../../src/shared/dict.js';
import { SharedList as ThreadsSharedList } from '../../src/shared/list.js';
import { ShareableList as ThreadsShareableList } from '../../src/shared/shareable-list.js';
import { Lock as ThreadsLock } from '../../src/sync/lock.js';
import { DataCloneError } from '../../src/errors.js';
import { SCOPE } from '../../src/share/protocol.js';
import { blockSegment } from '../../src/shared/processes-blocks.js';

const { Process } = processes;

async function runAll(children: InstanceType<typeof Process>[]): Promise<(number | null | undefined)[]> {
  for (const p of children) p.start();
  for (const p of children) await p.join();
  return children.map((p) => p.exitCode);
}

test('a ShareableList attached by name in a child: its writes are seen by the parent, the parent\'s by it', async () => {
  const list = new processes.ShareableList([0, 'x'.repeat(16), false, null]);
  assert.ok(list instanceof ThreadsShareableList);
  assert.equal(list[SCOPE], 'processes');
  assert.equal(list.shm[SCOPE], 'processes', 'its block is a processes-scope SharedMemory');
  list[0] = 1.5;
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    const list = processes.ShareableList.attach(process.argv[1]);
    console.log(JSON.stringify(list.toArray()));
    list[1] = 'from the child';
    list[2] = true;
    list[3] = 99;
  `, { args: [list.shm.name] });
  assert.deepEqual(await run.json(), [1.5, 'x'.repeat(16), false, null]);
  assert.equal((await run.exited).code, 0, (await run.exited).stderr);
  assert.deepEqual(list.toArray(), [1.5, 'from the child', true, 99]);
  list.shm.unlink();
});

test('a ShareableList passed to 3 Processes: each sets its own item, the parent sees all three', async () => {
  const list = new processes.ShareableList([0, 0, 0]);
  const set = (list: ThreadsShareableList, i: number): void => {
    list[i] = (i + 1) * 10;
  };
  const codes = await runAll([0, 1, 2].map((i) => new Process({ target: set, args: [list, i] })));
  assert.deepEqual(codes, [0, 0, 0]);
  assert.deepEqual(list.toArray(), [10, 20, 30]);
  list.shm.unlink();
});

test('attaching a ShareableList to a block that holds none: a TypeError naming the block', () => {
  const block = new processes.SharedMemory({ create: true, size: 64 });
  assert.throws(() => processes.ShareableList.attach(block.name), new RegExp(`block '${block.name}' does not hold a ShareableList`));
  block.unlink();
});

test('a SharedDict passed to 3 Processes: every key each one sets, and a counter updated under its lock, are in the parent', async () => {
  const dict = new processes.SharedDict<string, number>();
  assert.ok(dict instanceof ThreadsSharedDict);
  assert.equal(dict[SCOPE], 'processes');
  assert.equal(dict.getLock()[SCOPE], 'processes', "the container's lock lives in its scope");
  dict.set('count', 0);
  const work = (dict: ThreadsSharedDict<string, number>, id: number): void => {
    for (let i = 0; i < 200; i++) {
      dict.set(`p${id}.${i}`, id * 1000 + i);
      dict.withLockSync((d) => d.set('count', d.get('count')! + 1));
    }
  };
  const codes = await runAll([1, 2, 3].map((id) => new Process({ target: work, args: [dict, id] })));
  assert.deepEqual(codes, [0, 0, 0]);
  assert.equal(dict.get('count'), 600, 'no lost update');
  assert.equal(dict.size, 601);
  for (const id of [1, 2, 3]) for (let i = 0; i < 200; i++) assert.equal(dict.get(`p${id}.${i}`), id * 1000 + i);
});

test('a SharedList appended to by 3 Processes holds every item once; one grown past its first arena by a child reads whole in the parent', async () => {
  const list = new processes.SharedList<string>();
  assert.ok(list instanceof ThreadsSharedList);
  const append = (list: ThreadsSharedList<string>, id: number): void => {
    for (let i = 0; i < 100; i++) list.append(`${id}:${i}`);
  };
  const codes = await runAll([1, 2, 3].map((id) => new Process({ target: append, args: [list, id] })));
  assert.deepEqual(codes, [0, 0, 0]);
  const items = list.toArray();
  assert.equal(items.length, 300);
  assert.equal(new Set(items).size, 300, 'nothing duplicated');
  for (const id of [1, 2, 3]) {
    const mine = items.filter((item) => item.startsWith(`${id}:`)).map((item) => Number(item.split(':')[1]));
    assert.deepEqual(mine, Array.from({ length: 100 }, (_, i) => i), `process ${id}'s items, in its order`);
  }
  // 1 KiB at first: 2,000 strings of 100 bytes make the child grow it (and compact it) many times.
  const big = new processes.SharedList<string>([], { maxBytes: 1 << 20 });
  const fill = (list: ThreadsSharedList<string>): void => {
    for (let i = 0; i < 2000; i++) list.append(String(i).padStart(100, '.'));
    for (let i = 0; i < 1000; i++) list.pop(0); // garbage, so the next growth compacts
    for (let i = 2000; i < 2500; i++) list.append(String(i).padStart(100, '.'));
  };
  assert.deepEqual(await runAll([new Process({ target: fill, args: [big] })]), [0]);
  const seen = big.toArray().map((item) => Number(item.replace(/^\.+/, '')));
  assert.deepEqual(seen, Array.from({ length: 1500 }, (_, i) => 1000 + i));
  big.append('and the parent appends after the child grew it');
  assert.equal(big.at(-1), 'and the parent appends after the child grew it');
});

test('a processes-scope Lock stored in a processes SharedDict by a child arrives live in the parent', async () => {
  const dict = new processes.SharedDict<string, unknown>();
  const done = new processes.Event();
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    const { dict, done } = processes.importHandles(process.argv[1]);
    const lock = new processes.Lock();
    lock.acquireSync();
    dict.set('lock', lock);
    dict.set('plain', { a: [1, 2], when: new Date(0) });
    console.log('stored');
    await done.wait({ timeout: 20_000 });
    lock.release();
  `, { args: [processes.exportHandles({ dict, done })] });
  assert.equal(await run.line(), 'stored');
  const lock = dict.get('lock') as ThreadsLock;
  assert.equal(lock[SCOPE], 'processes');
  assert.equal(lock.locked(), true, "the child's lock, held by the child");
  assert.deepEqual(dict.get('plain'), { a: [1, 2], when: new Date(0) });
  done.set();
  assert.equal((await run.exited).code, 0, (await run.exited).stderr);
  assert.equal(lock.locked(), false, 'released by the child, seen through the handle the parent read from the dict');
  assert.throws(() => dict.set('threads', new ThreadsLock()), (error: unknown) => {
    assert.ok(error instanceof DataCloneError);
    assert.match(error.message, /threads-scope Lock.*processes\.Lock/);
    return true;
  });
  assert.equal(dict.has('threads'), false, 'nothing stored');
});

test('a child that made a SharedDict, a SharedList and a ShareableList and exits normally leaves nothing in /dev/shm', async () => {
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    const dict = new processes.SharedDict([['a', 1]]);
    const list = new processes.SharedList([1, 2, 3]);
    const shareable = new processes.ShareableList(['x'], { name: process.argv[1] });
    for (let i = 0; i < 500; i++) dict.set('k' + i, 'v'.repeat(50));
    console.log(JSON.stringify([dict.size, list.length, shareable.length]));
  `, { args: [`leaves-nothing-${process.pid}`] });
  assert.deepEqual(await run.json(), [501, 3, 1]);
  assert.equal((await run.exited).code, 0, (await run.exited).stderr);
  // (Counted by name, not as all of /dev/shm: this process's GC may meanwhile let go of earlier tests' segments.)
  assert.deepEqual(entriesOf(run.pid), [], "the child's arenas and containers' segments");
  assert.deepEqual(shmEntries().filter((name) => name === blockSegment(`leaves-nothing-${process.pid}`)), [], 'its named block');
});
