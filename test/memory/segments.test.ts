// Processes-scope segments in one process: what allocate() hands out, how
// buffers are described and attached, and the typed errors for names that do
// not exist, names taken, mismatches and damaged headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { child, shmEntries, src } from './processes-support.js';
import { native } from '../../src/memory/native.js';
import { processesMemory } from '../../src/memory/processes-memory.js';
import { segmentPrefix } from '../../src/memory/segment-names.js';
import {
  OWN_SEGMENT_BYTES,
  attachNamedSegment,
  attachShared,
  createNamedSegment,
  describeShared,
  isProcessShared,
  unlinkSegment,
} from '../../src/memory/segments.js';
import { SegmentCorruptError, SegmentExistsError, SegmentMismatchError, SegmentNotFoundError } from '../../src/errors.js';

let names = 0;
/** A fresh segment name in this file's namespace. */
const fresh = () => `${segmentPrefix()}.named.${++names}`;

test('allocate() - zero-filled, 64-byte aligned, separate bytes packed in one arena segment', () => {
  const buffers = Array.from({ length: 100 }, () => processesMemory.allocate(8));
  const slices = buffers.map((buffer) => describeShared(buffer));
  assert.equal(new Set(slices.map((s) => s.segment)).size, 1, 'one arena for 100 small allocations');
  assert.equal(new Set(slices.map((s) => s.offset)).size, 100);
  for (const slice of slices) assert.equal(slice.offset % 64, 0);
  for (const buffer of buffers) assert.deepEqual([...new Int32Array(buffer)], [0, 0]);
  new Int32Array(buffers[0]!).fill(-1);
  assert.deepEqual([...new Int32Array(buffers[1]!)], [0, 0]);
  assert.ok(buffers.every((buffer) => buffer.byteLength === 8 && isProcessShared(buffer)));
});

test('allocate() - a large allocation gets a segment of its own; an arena that fills is followed by a new one', () => {
  const large = processesMemory.allocate(OWN_SEGMENT_BYTES + 1);
  const small = processesMemory.allocate(64);
  assert.notEqual(describeShared(large).segment, describeShared(small).segment);
  const segments = new Set<string>();
  for (let i = 0; i < 1100; i++) segments.add(describeShared(processesMemory.allocate(64)).segment); // 64 KiB arenas hold 1024
  assert.ok(segments.size >= 2);
});

test('allocateGrowable() - a fixed buffer of maxByteLength whose unwritten pages cost nothing', () => {
  const buffer = processesMemory.allocateGrowable(4096, 64 << 20);
  assert.equal(buffer.byteLength, 64 << 20);
  assert.equal(buffer.growable, false);
  new Uint8Array(buffer).fill(7, 0, 4096);
  const file = `/dev/shm/${describeShared(buffer).segment}`;
  const allocated = statSync(file).blocks * 512;
  assert.ok(allocated < 1 << 20, `${allocated} bytes allocated for a 64 MiB buffer with one page written`);
});

test('selfId() is the kernel thread id: the pid on the main thread', () => {
  assert.equal(processesMemory.selfId(), process.pid);
  assert.equal(processesMemory.scope, 'processes');
});

test('describeShared() - a threads-scope buffer cannot be described', () => {
  assert.throws(() => describeShared(new SharedArrayBuffer(8)), TypeError);
  assert.equal(isProcessShared(new SharedArrayBuffer(8)), false);
});

test('describeShared() of a view names just its bytes; attachShared() maps the same memory', () => {
  const buffer = processesMemory.allocate(64);
  const view = new Int32Array(buffer, 16, 4);
  const slice = describeShared(view);
  assert.equal(slice.offset, describeShared(buffer).offset + 16);
  assert.equal(slice.byteLength, 16);
  const again = new Int32Array(attachShared(slice));
  Atomics.store(view, 2, 42);
  assert.equal(Atomics.load(again, 2), 42);
  assert.throws(() => attachShared({ ...slice, byteLength: 1 << 20 }), SegmentMismatchError);
});

test('segment files are mode 0600 and named weft.<uid>.<namespace>.<pid>.<seq>', () => {
  const { segment } = describeShared(processesMemory.allocate(8));
  assert.match(segment, new RegExp(`^weft\\.${process.getuid!()}\\.test-\\d+\\.${process.pid}\\.\\d+$`));
  assert.equal(statSync(`/dev/shm/${segment}`).mode & 0o777, 0o600);
});

test('attaching a name that does not exist throws SegmentNotFoundError naming it', () => {
  const name = fresh();
  assert.throws(() => attachNamedSegment(name), (error: SegmentNotFoundError) => {
    assert.ok(error instanceof SegmentNotFoundError);
    assert.equal(error.segment, name);
    assert.equal(error.code, 'ERR_WEFT_SEGMENT_NOT_FOUND');
    assert.ok(error.message.includes(name));
    return true;
  });
  assert.throws(() => attachShared({ segment: name, offset: 0, byteLength: 4 }), SegmentNotFoundError);
});

test('named segments: create, attach, taken names, size and layout mismatches', () => {
  const name = fresh();
  const created = new Int32Array(createNamedSegment(name, 64, { tag: 7 }));
  assert.throws(() => createNamedSegment(name, 64), SegmentExistsError);
  const attached = new Int32Array(attachNamedSegment(name, { tag: 7, byteLength: 64 }));
  Atomics.store(created, 3, 9);
  assert.equal(Atomics.load(attached, 3), 9);
  assert.throws(() => attachNamedSegment(name, { byteLength: 128 }), (error: SegmentMismatchError) => {
    assert.ok(error instanceof SegmentMismatchError);
    assert.equal(error.segment, name);
    assert.match(error.message, /holds 64 bytes, expected 128/);
    return true;
  });
  assert.throws(() => attachNamedSegment(name, { tag: 8 }), /holds layout 7, expected layout 8/);
  assert.equal(unlinkSegment(name), true);
  assert.equal(unlinkSegment(name), false);
  assert.throws(() => attachNamedSegment(name), SegmentNotFoundError);
  assert.equal(Atomics.load(attached, 3), 9, 'mappings outlive the name');
});

test('a segment of another kind is a mismatch', () => {
  const { segment } = describeShared(processesMemory.allocate(8));
  assert.throws(() => attachNamedSegment(segment), /is an arena segment, not a named segment/);
});

test('segment names are checked', () => {
  assert.throws(() => attachNamedSegment('a/b'), TypeError);
  assert.throws(() => createNamedSegment('', 8), TypeError);
  assert.throws(() => createNamedSegment(fresh(), -1), RangeError);
});

/** Writes a file into /dev/shm as a creator would have left it: header words, then `data` bytes. */
function forge(name: string, header: Record<number, number>, data = 64, fileBytes?: number): void {
  const layout = native().segmentLayout;
  const bytes = Buffer.alloc(fileBytes ?? layout.headerBytes + data);
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, layout.headerBytes) >> 2);
  const complete: Record<number, number> = {
    [layout.magicWord]: layout.magic | 0,
    [layout.versionWord]: layout.version,
    [layout.readyWord]: 1,
    [layout.kindWord]: layout.kindNamed,
    [layout.dataLowWord]: data,
    ...header,
  };
  for (const [word, value] of Object.entries(complete)) if (Number(word) < words.length) words[Number(word)] = value;
  writeFileSync(`/dev/shm/${name}`, bytes, { mode: 0o600 });
}

test('damaged headers throw SegmentCorruptError naming the segment', () => {
  const layout = native().segmentLayout;
  const cases: [string, Record<number, number>, RegExp, number?][] = [
    ['not a weft segment', { [layout.magicWord]: 0x12345678 }, /no weft header \(bad magic\)/],
    ['another header version', { [layout.versionWord]: 99 }, /header version 99; this weft reads version 1/],
    ['a size the file does not have', { [layout.dataLowWord]: 4096 }, /header gives 4096 data bytes but the file holds 64/],
    ['an unknown kind', { [layout.kindWord]: 9 }, /unknown kind 9/],
    ['a garbage ready word', { [layout.readyWord]: 0x0badf00d }, /bad ready word/],
    ['a header never completed', { [layout.readyWord]: 0 }, /was not ready in time/],
    ['an empty file', {}, /has no header \(0 bytes\)/, 0],
  ];
  for (const [what, header, message, fileBytes] of cases) {
    const name = fresh();
    forge(name, header, 64, fileBytes);
    assert.throws(
      () => attachNamedSegment(name, { timeout: 50 }),
      (error: SegmentCorruptError) => error instanceof SegmentCorruptError && error.segment === name && message.test(error.message),
      what,
    );
    unlinkSegment(name);
  }
});

test('an attacher waits for a creator still writing the header', async () => {
  const layout = native().segmentLayout;
  const name = fresh();
  forge(name, { [layout.readyWord]: 0 });
  const attacher = child(`
    import { attachNamedSegment } from ${src('memory/segments.ts')};
    console.log('attaching');
    const started = performance.now();
    const words = new Int32Array(attachNamedSegment(${JSON.stringify(name)}, { timeout: 10_000 }));
    console.log(JSON.stringify({ word: words[0], waited: performance.now() - started }));
  `);
  assert.equal(await attacher.line(), 'attaching');
  await new Promise((resolve) => setTimeout(resolve, 200));
  // Finish the "creator's" work in the file: the data, then the ready word.
  const fd = openSync(`/dev/shm/${name}`, 'r+');
  writeSync(fd, new Int32Array([5]), 0, 4, layout.headerBytes);
  writeSync(fd, new Int32Array([1]), 0, 4, layout.readyWord * 4);
  closeSync(fd);
  const { word, waited } = await attacher.json<{ word: number; waited: number }>();
  assert.equal(word, 5);
  assert.ok(waited >= 150 && waited < 2000, `attached after ${waited.toFixed(0)} ms`);
  assert.equal((await attacher.exited).code, 0);
  unlinkSegment(name);
});

test('views let go of their segment when garbage-collected; the last one unlinks it', async () => {
  const run = child(`
    import { existsSync } from 'node:fs';
    import { native } from ${src('memory/native.ts')};
    import { processesMemory, describeShared } from ${src('memory/processes-memory.ts')};
    let buffer = processesMemory.allocate(${OWN_SEGMENT_BYTES * 2});
    const file = '/dev/shm/' + describeShared(buffer).segment;
    const before = native().mappingCount();
    console.log(JSON.stringify({ exists: existsSync(file) }));
    buffer = undefined;
    for (let i = 0; i < 200 && native().mappingCount() === before; i++) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    console.log(JSON.stringify({ exists: existsSync(file), unmapped: native().mappingCount() === before - 1 }));
  `, { node: ['--expose-gc'] });
  assert.deepEqual(await run.json(), { exists: true });
  assert.deepEqual(await run.json(), { exists: false, unmapped: true });
  assert.equal((await run.exited).code, 0);
});

test('the named segments of this file are gone', () => {
  assert.deepEqual(shmEntries(`${segmentPrefix()}.named.`).filter((name) => existsSync(`/dev/shm/${name}`)), []);
});
