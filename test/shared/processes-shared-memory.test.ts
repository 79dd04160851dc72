// processes.SharedMemory: named blocks in POSIX segments that any process of
// the same user and namespace attaches to by name alone — writes seen both
// ways, typed errors naming the block or segment, and /dev/shm counted before
// and after (nothing left after unlink or a normal exit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { child, entriesOf, shmEntries, src } from '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import { SharedMemory as ThreadsSharedMemory, SharedMemoryExistsError, SharedMemoryNotFoundError } from '../../src/shared/shared-memory.js';
import { blockSegment } from '../../src/shared/processes-blocks.js';
import { createNamedSegment, unlinkSegment } from '../../src/memory/segments.js';
import { futexWaiter } from '../../src/memory/futex-waiter.js';
import { SegmentCorruptError, SegmentMismatchError } from '../../src/errors.js';
import { SCOPE } from '../../src/share/protocol.js';

const { SharedMemory } = processes;
let counter = 0;
/** A fresh block name for one test. */
const fresh = (what: string): string => `${what}-${process.pid}-${++counter}`;

/** The /dev/shm entry of the block `name`, if it exists. */
const entry = (name: string): string[] => shmEntries().filter((file) => file === blockSegment(name));

/** Child code: attach to the block named argv[1] (the name is all it gets), as a Uint8Array and an Int32Array. */
const ATTACH = `
  import { processes } from ${src('scope/processes.ts')};
  import { futexWaiter } from ${src('memory/futex-waiter.ts')};
  const block = new processes.SharedMemory({ name: process.argv[1] });
  const words = new Int32Array(block.buf.buffer, block.buf.byteOffset, block.size >> 2);
`;

test('a child given only the name attaches synchronously: writes are seen both ways', async () => {
  const name = fresh('both-ways');
  const block = new SharedMemory({ name, create: true, size: 64 });
  assert.equal(block[SCOPE], 'processes');
  assert.ok(block instanceof ThreadsSharedMemory, 'the same class as the threads scope, over segments');
  const words = new Int32Array(block.buf.buffer, block.buf.byteOffset, 16);
  words[1] = 1234;
  const run = child(`${ATTACH}
    console.log(JSON.stringify({ size: block.size, name: block.name, seen: words[1] }));
    words[2] = 5678;          // the parent reads this
    Atomics.store(words, 0, 1);
    futexWaiter.notify(words, 0, 1);
    while (Atomics.load(words, 0) !== 2) futexWaiter.wait(words, 0, 1, performance.now() + 10_000);
    console.log(JSON.stringify({ seen: words[3] }));
  `, { args: [name] });
  assert.deepEqual(await run.json(), { size: 64, name, seen: 1234 });
  await futexWaiter.waitAsync(words, 0, 0, performance.now() + 10_000);
  assert.equal(Atomics.load(words, 0), 1);
  assert.equal(words[2], 5678, "the child's write, in the parent's mapping");
  words[3] = 91;
  Atomics.store(words, 0, 2);
  futexWaiter.notify(words, 0, 1);
  assert.deepEqual(await run.json(), { seen: 91 });
  assert.equal((await run.exited).code, 0);
  assert.deepEqual(entry(name), [blockSegment(name)], "the child's exit leaves the creator's name");
  block.close();
  block.unlink();
  assert.deepEqual(entry(name), [], 'unlink removes it from /dev/shm');
});

test('a block a child creates is attached by name in the parent, and outlives the child while the parent maps it', async () => {
  const name = fresh('child-made');
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    import { futexWaiter } from ${src('memory/futex-waiter.ts')};
    const block = new processes.SharedMemory({ name: process.argv[1], create: true, size: 16 });
    block.buf.set([1, 2, 3, 4, 5, 6, 7, 8]);
    console.log('made');
    // Exit only once the parent has attached: until then the name is the child's alone.
    const words = new Int32Array(block.buf.buffer, block.buf.byteOffset, 4);
    while (Atomics.load(words, 3) !== 1) futexWaiter.wait(words, 3, 0, performance.now() + 10_000);
  `, { args: [name] });
  assert.equal(await run.line(), 'made');
  const attached = new SharedMemory({ name, size: 16 });
  assert.deepEqual([...attached.buf.subarray(0, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  const words = new Int32Array(attached.buf.buffer, attached.buf.byteOffset, 4);
  Atomics.store(words, 3, 1);
  futexWaiter.notify(words, 3, 1);
  assert.equal((await run.exited).code, 0);
  assert.deepEqual(entry(name), [blockSegment(name)], 'still mapped here: the name stays');
  attached.buf[0] = 9;
  assert.equal(new SharedMemory({ name }).buf[0], 9, 'and can still be attached');
  attached.unlink();
  assert.deepEqual(entry(name), []);
});

test('a child that creates blocks and exits normally without unlinking leaves nothing in /dev/shm', async () => {
  const names = [fresh('exit'), fresh('exit'), fresh('exit')];
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    const blocks = JSON.parse(process.argv[1]).map((name) => new processes.SharedMemory({ name, create: true, size: 4096 }));
    blocks[1].close(); // closing is not unlinking: the name stays until exit
    new processes.SharedMemory({ name: blocks[1].name });
    const list = new processes.ShareableList([1, 'two']);
    console.log(JSON.stringify([...blocks.map((block) => block.name), list.shm.name]));
  `, { args: [JSON.stringify(names)] });
  const made = await run.json<string[]>();
  assert.deepEqual(made.slice(0, 3), names);
  names.push(made[3]!);
  assert.equal((await run.exited).code, 0, (await run.exited).stderr);
  // Counted by name: this process's GC may meanwhile let go of earlier tests' segments.
  assert.deepEqual(shmEntries().filter((file) => names.some((name) => file === blockSegment(name))), [], "its named blocks, the ShareableList's too");
  assert.deepEqual(entriesOf(run.pid), [], 'its arena');
});

test('close() keeps the name (Python), unlink() removes it at once while handles keep working', () => {
  const name = fresh('close-unlink');
  const block = new SharedMemory({ name, create: true, size: 16 });
  const other = new SharedMemory({ name });
  block.buf[0] = 42;
  block.close();
  block.close(); // again: nothing
  assert.throws(() => block.buf, /closed/);
  const again = new SharedMemory({ name });
  assert.equal(again.buf[0], 42, 'the name outlives the creator closing its handle');
  again.unlink();
  assert.deepEqual(entry(name), [], 'unlinked: gone from /dev/shm');
  assert.throws(() => new SharedMemory({ name }), SharedMemoryNotFoundError);
  other.buf[1] = 7;
  assert.equal(again.buf[1], 7, 'existing handles keep working after unlink');
  assert.throws(() => other.unlink(), (error: unknown) => error instanceof SharedMemoryNotFoundError && error.blockName === name);
  // The name is free again: a new block may take it, and it is another block.
  const next = new SharedMemory({ name, create: true, size: 16 });
  assert.equal(next.buf[0], 0);
  next.unlink();
});

test('attaching a name nobody made: SharedMemoryNotFoundError naming the block', () => {
  const name = fresh('missing');
  assert.throws(() => new SharedMemory({ name }), (error: unknown) => {
    assert.ok(error instanceof SharedMemoryNotFoundError);
    assert.equal(error.blockName, name);
    assert.match(error.message, new RegExp(`'${name}'`));
    return true;
  });
  assert.throws(() => processes.ShareableList.attach(name), SharedMemoryNotFoundError);
});

test('creating a name that is taken: SharedMemoryExistsError naming it; the first block is untouched', () => {
  const name = fresh('taken');
  const block = new SharedMemory({ name, create: true, size: 8 });
  block.buf[0] = 5;
  assert.throws(() => new SharedMemory({ name, create: true, size: 8 }), (error: unknown) => {
    assert.ok(error instanceof SharedMemoryExistsError);
    assert.equal(error.blockName, name);
    assert.match(error.message, new RegExp(`'${name}'`));
    return true;
  });
  assert.equal(new SharedMemory({ name }).buf[0], 5);
  block.unlink();
});

test('a size given when attaching must match: SegmentMismatchError naming the segment', () => {
  const name = fresh('sized');
  const block = new SharedMemory({ name, create: true, size: 32 });
  assert.equal(new SharedMemory({ name, size: 32 }).size, 32);
  assert.throws(() => new SharedMemory({ name, size: 64 }), (error: unknown) => {
    assert.ok(error instanceof SegmentMismatchError);
    assert.equal(error.segment, blockSegment(name));
    assert.match(error.message, /holds 32 bytes, expected 64/);
    return true;
  });
  assert.throws(() => new SharedMemory({ name, size: -1 }), RangeError);
  block.unlink();
});

test('a segment of another layout under the name: SegmentMismatchError; a foreign or corrupted header: SegmentCorruptError', () => {
  const foreign = fresh('foreign');
  createNamedSegment(blockSegment(foreign), 64, { tag: 0x1234, keep: true });
  try {
    assert.throws(() => new SharedMemory({ name: foreign }), (error: unknown) => {
      assert.ok(error instanceof SegmentMismatchError);
      assert.equal(error.segment, blockSegment(foreign));
      assert.match(error.message, new RegExp(`segment '${blockSegment(foreign).replaceAll('.', '\\.')}' holds layout`));
      return true;
    });
  } finally {
    unlinkSegment(blockSegment(foreign));
  }
  const corrupt = fresh('corrupt');
  // A file under the block's name that no weft process made: ready, but not weft's magic.
  const garbage = new Int32Array(2048).fill(0x0badf00d);
  garbage[2] = 1;
  writeFileSync(`/dev/shm/${blockSegment(corrupt)}`, garbage, { mode: 0o600 });
  try {
    assert.throws(() => new SharedMemory({ name: corrupt }), (error: unknown) => {
      assert.ok(error instanceof SegmentCorruptError);
      assert.equal(error.segment, blockSegment(corrupt));
      assert.match(error.message, /no weft header \(bad magic\)/);
      return true;
    });
    assert.throws(() => new SharedMemory({ name: corrupt, create: true, size: 8 }), SharedMemoryExistsError);
  } finally {
    unlinkSegment(blockSegment(corrupt));
  }
});

test('a block name that cannot be a segment name is a TypeError naming it; blocks are 0600 files', () => {
  assert.throws(() => new SharedMemory({ name: 'a/b', create: true, size: 8 }), /processes-scope block name .* got "a\/b"/);
  assert.throws(() => new SharedMemory({ name: '.hidden' }), TypeError);
  assert.throws(() => new SharedMemory({ name: 'x'.repeat(129) }), TypeError);
  const block = new SharedMemory({ create: true, size: 8 });
  assert.match(block.name, /^wnsm_[0-9a-f]{8}$/);
  assert.match(String(block), /^SharedMemory\('wnsm_[0-9a-f]{8}', size=8\)$/);
  assert.deepEqual(entry(block.name), [blockSegment(block.name)]);
  assert.equal(statSync(`/dev/shm/${blockSegment(block.name)}`).mode & 0o777, 0o600);
  assert.match(blockSegment(block.name), new RegExp(`^weft\\.${process.getuid!()}\\.test-${process.pid}\\.shm\\.wnsm_`));
  block.unlink();
});

test('a block passed to a child Process arrives attached to the same bytes', async () => {
  const block = new SharedMemory({ create: true, size: 8 });
  const fill = (block: InstanceType<typeof ThreadsSharedMemory>): void => {
    block.buf.set([3, 1, 4, 1, 5, 9, 2, 6]);
  };
  const proc = new processes.Process({ target: fill, args: [block] });
  proc.start();
  await proc.join();
  assert.equal(proc.exitCode, 0);
  assert.deepEqual([...block.buf], [3, 1, 4, 1, 5, 9, 2, 6]);
  block.unlink();
});

test('the same name in another WEFT_NAMESPACE is another block', async () => {
  const name = fresh('namespaced');
  const block = new SharedMemory({ name, create: true, size: 8 });
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    try { new processes.SharedMemory({ name: process.argv[1] }); console.log('found'); }
    catch (error) { console.log(error.name); }
  `, { args: [name], env: { WEFT_NAMESPACE: `other-${process.pid}` } });
  assert.equal(await run.line(), 'SharedMemoryNotFoundError');
  assert.equal((await run.exited).code, 0);
  block.unlink();
});
