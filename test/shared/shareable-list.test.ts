import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShareableList } from '../../src/shared/shareable-list.js';
import { SharedMemory, SharedMemoryExistsError, SharedMemoryNotFoundError } from '../../src/shared/shared-memory.js';
import { snapshot } from '../../src/shared/registry.js';
import { SharedArray } from '../../src/shared/array.js';
import { InvalidStateError } from '../../src/errors.js';
import { Thread } from '../../src/run/thread.js';
import { decodeAsync, encode } from '../../src/share/marshal.js';
import { inThread } from '../support/threads.js';

const REGISTRY = new URL('../../src/shared/registry.ts', import.meta.url).href;
const SHAREABLE_LIST = new URL('../../src/shared/shareable-list.ts', import.meta.url).href;

const list = (items: Iterable<any>, name?: string): ShareableList => new ShareableList(items, name === undefined ? {} : { name });

test('every item type round-trips: number, bigint, boolean, string, bytes, null', () => {
  const items = [0.1, -0, 2n ** 63n - 1n, -(2n ** 63n), true, false, 'héllo wörld ✓', '', new Uint8Array([0, 255, 7]), null];
  const sl = list(items);
  assert.equal(sl.length, items.length);
  assert.deepEqual(sl.toArray(), items);
  assert.ok(Object.is(sl[1], -0));
  assert.equal(sl.get(6), 'héllo wörld ✓');
  sl.shm.unlink();
});

test('strings keep trailing and embedded NUL characters (unlike CPython)', () => {
  const sl = list(['a\0b\0\0']);
  assert.equal(sl[0], 'a\0b\0\0');
  sl.shm.unlink();
});

test('byte items are read back as unshared copies', () => {
  const sl = list([new Uint8Array([1, 2, 3])]);
  const bytes = sl[0] as Uint8Array;
  assert.ok(!(bytes.buffer instanceof SharedArrayBuffer));
  bytes[0] = 100;
  assert.deepEqual(sl[0], new Uint8Array([1, 2, 3]));
  sl.shm.unlink();
});

test('each slot holds its first item\'s bytes rounded up to 8, and at least 8', () => {
  const sl = list(['abc', 'x'.repeat(9), 'é'.repeat(5), 1, null, new Uint8Array(17)]);
  assert.equal(sl.format, '8s16s16sd8x24s');
  sl[0] = '12345678'; // 8 bytes: fits
  assert.throws(() => { sl[0] = '123456789'; }, { name: 'RangeError', message: 'ShareableList: item 0 needs 9 bytes, the slot holds 8' });
  sl[1] = 'y'.repeat(16);
  assert.throws(() => { sl[1] = 'y'.repeat(17); }, { name: 'RangeError', message: 'ShareableList: item 1 needs 17 bytes, the slot holds 16' });
  assert.throws(() => { sl[2] = 'é'.repeat(9); }, { message: 'ShareableList: item 2 needs 18 bytes, the slot holds 16' }, 'UTF-8 bytes count, not characters');
  assert.equal(sl[0], '12345678');
  assert.equal(sl[1], 'y'.repeat(16));
  sl.shm.unlink();
});

test('an item may change type when the new one fits its slot', () => {
  const sl = list([null, 'a string of 20 bytes', 1.5, true]);
  sl[0] = 42;
  sl[1] = 7n;
  sl[2] = 'eight ch';
  sl[3] = new Uint8Array([1, 2]);
  assert.deepEqual(sl.toArray(), [42, 7n, 'eight ch', new Uint8Array([1, 2])]);
  assert.equal(sl.format, 'd' + 'q16x' + '8s' + '8s');
  sl[1] = null;
  sl[2] = false;
  assert.deepEqual(sl.toArray(), [42, null, false, new Uint8Array([1, 2])]);
  assert.equal(sl.format, 'd24x?7x8s');
  assert.throws(() => { sl[2] = 'nine char'; }, RangeError);
  sl.shm.unlink();
});

test('items of other types are a TypeError; bigints beyond int64 a RangeError', () => {
  assert.throws(() => new ShareableList([1, undefined as unknown as null]), { name: 'TypeError', message: /item 1: must be a number, bigint, boolean, string, Uint8Array or null, got undefined$/ });
  assert.throws(() => new ShareableList([{} as unknown as null]), TypeError);
  assert.throws(() => new ShareableList([2n ** 63n]), { name: 'RangeError', message: /does not fit in int64/ });
  assert.throws(() => new ShareableList(5 as unknown as []), { name: 'TypeError', message: /must be iterable/ });
  const sl = list([1]);
  assert.throws(() => { (sl as unknown as Record<number, unknown>)[0] = [1]; }, TypeError);
  assert.throws(() => { sl[0] = -(2n ** 63n) - 1n; }, RangeError);
  assert.equal(sl[0], 1);
  sl.shm.unlink();
});

test('an index out of range is a RangeError; the length is fixed', () => {
  const sl = list(['a', 'b']);
  assert.throws(() => sl[2], { name: 'RangeError', message: 'ShareableList: index 2 is out of range for length 2' });
  assert.throws(() => { sl[-1] = 'c'; }, RangeError);
  assert.throws(() => sl.get(0.5), RangeError);
  assert.throws(() => { delete (sl as unknown as Record<number, unknown>)[0]; }, TypeError);
  assert.deepEqual(Object.keys(sl), ['0', '1']);
  assert.equal(1 in sl, true);
  assert.equal(2 in sl, false);
  assert.deepEqual([...sl], ['a', 'b']);
  sl.shm.unlink();
});

test('.count() and .index() compare values, and bytes by content', () => {
  const sl = list([1, 'a', 1, new Uint8Array([5]), true, 1n]);
  assert.equal(sl.count(1), 2);
  assert.equal(sl.count(1n), 1);
  assert.equal(sl.count(new Uint8Array([5])), 1);
  assert.equal(sl.count('b'), 0);
  assert.equal(sl.index(true), 4);
  assert.equal(sl.index(new Uint8Array([5])), 3);
  assert.throws(() => sl.index('b'), { name: 'RangeError', message: 'ShareableList.index(): "b" is not in the list' });
  sl.shm.unlink();
});

test('attaching by name reads what the creator wrote, and writes are shared', () => {
  const sl = list([1, 'two', 3n], `list-${process.pid}-a`);
  const same = ShareableList.attach(`list-${process.pid}-a`);
  const also = new ShareableList(null, { name: sl.shm.name });
  assert.deepEqual(same.toArray(), [1, 'two', 3n]);
  same[1] = 'dos';
  assert.equal(sl[1], 'dos');
  assert.equal(also[1], 'dos');
  assert.throws(() => new ShareableList([1], { name: sl.shm.name }), SharedMemoryExistsError);
  sl.shm.unlink();
  assert.throws(() => ShareableList.attach(sl.shm.name), SharedMemoryNotFoundError);
});

test('attaching needs a name, and a block that holds a list', () => {
  assert.throws(() => new ShareableList(), { name: 'TypeError', message: /give a sequence to create a list, or a name/ });
  assert.throws(() => new ShareableList(null), TypeError);
  const block = new SharedMemory({ create: true, size: 64 });
  assert.throws(() => ShareableList.attach(block.name), { name: 'TypeError', message: `ShareableList(): shared memory block '${block.name}' does not hold a ShareableList` });
  block.unlink();
});

test('an empty list works', () => {
  const sl = list([]);
  assert.equal(sl.length, 0);
  assert.deepEqual(sl.toArray(), []);
  assert.equal(sl.format, '');
  assert.equal(ShareableList.attach(sl.shm.name).length, 0);
  sl.shm.unlink();
});

test('once shm is closed, items cannot be read or written', () => {
  const sl = list([1, 2]);
  sl.shm.close();
  assert.throws(() => sl[0], InvalidStateError);
  assert.throws(() => sl.set(1, 3), InvalidStateError);
  sl.shm.unlink();
});

test('String() reads like Python\'s repr', () => {
  const sl = list([1, 'a', null, true]);
  assert.equal(String(sl), `ShareableList([1, 'a', null, true], name='${sl.shm.name}')`);
  sl.shm.unlink();
});

test('a sent list is a live handle on the same block', async () => {
  const sl = list([1, 'x']);
  const copy = (await decodeAsync(structuredClone(encode(sl, { root: 'args' })))) as ShareableList;
  assert.ok(copy instanceof ShareableList);
  assert.deepEqual(copy.toArray(), [1, 'x']);
  copy[1] = 'y';
  assert.equal(sl[1], 'y');
  sl.shm.unlink();
});

test('a list passed to a thread, or attached there by name, is shared both ways', async () => {
  const sl = list([1, 'from main', null, false]);
  await inThread(async (passed: ShareableList, registry: string, module: string, seen: Map<string, SharedArrayBuffer>) => {
    (await import(registry)).seed(seen);
    const { ShareableList } = await import(module);
    const attached = ShareableList.attach(passed.shm.name);
    if (attached[1] !== 'from main') throw new Error(`the worker read ${attached[1]}`);
    passed[2] = 5n;
    attached[3] = true;
    new ShareableList(['made in a worker'], { name: `${passed.shm.name}-reply` });
  }, [sl, REGISTRY, SHAREABLE_LIST, snapshot()]);
  assert.deepEqual(sl.toArray(), [1, 'from main', 5n, true]);
  const reply = ShareableList.attach(`${sl.shm.name}-reply`);
  assert.equal(reply[0], 'made in a worker');
  reply.shm.unlink();
  sl.shm.unlink();
});

test('writers to different items in four threads never disturb each other', async () => {
  const sl = list(['', '', '', '', ''].map(() => 'x'.repeat(24)));
  const mismatches = new SharedArray('i', 5, { lock: false }); // [0] gate, [1..4] per-thread mismatches
  const threads = Array.from({ length: 4 }, (_, i) => new Thread({
    target: (sl: ShareableList, counts: SharedArray<'i'>, slot: number, rounds: number) => {
      const gate = counts.view;
      Atomics.add(gate, 0, 1);
      Atomics.notify(gate, 0);
      for (let seen = Atomics.load(gate, 0); seen < 4; seen = Atomics.load(gate, 0)) Atomics.wait(gate, 0, seen);
      for (let r = 0; r < rounds; r++) {
        // Different types and lengths each round, so a stray write would show.
        const item = r % 3 === 0 ? `${slot}:${r}:${'#'.repeat(r % 13)}` : r % 3 === 1 ? r * 0.5 : BigInt(-r);
        sl[slot] = item;
        if (sl[slot] !== item) counts[slot] = counts[slot]! + 1;
      }
      sl[slot] = `done ${slot}`;
    },
    args: [sl, mismatches, i + 1, 20_000],
  }));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual(threads.map((thread) => thread.exception), [undefined, undefined, undefined, undefined]);
  assert.deepEqual(mismatches.slice(1), [0, 0, 0, 0]);
  assert.deepEqual(sl.toArray(), ['x'.repeat(24), 'done 1', 'done 2', 'done 3', 'done 4']);
  sl.shm.unlink();
});
