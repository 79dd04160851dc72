// processes.exportHandles / importHandles: processes-scope objects as text,
// for processes weft does not start (a spawned program, a node:cluster
// worker) — live on the other side, and typed errors for text that is not
// such a text, objects that cannot cross, and memory that is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { child, src } from '../memory/processes-support.js';
import { processes } from '../../src/scope/processes.js';
import { Lock as ThreadsLock } from '../../src/sync/lock.js';
import { DataCloneError, SegmentNotFoundError } from '../../src/errors.js';
import { SCOPE } from '../../src/share/protocol.js';
import type { Value } from '../../src/shared/value.js';
import type { SharedDict } from '../../src/shared/dict.js';

test('a text round-trips to live handles at any depth, plain data beside them copied', () => {
  const hits = new processes.Value('i', 1);
  const lock = new processes.Lock();
  const dict = new processes.SharedDict<string, number>([['a', 1]]);
  const text = processes.exportHandles({ nested: [{ hits }], lock, dict, label: 'x', when: new Date(5) });
  assert.match(text, /^weft1:[A-Za-z0-9+/=]+$/, 'fits an environment variable');
  const back = processes.importHandles<{ nested: [{ hits: Value<'i'> }]; lock: ThreadsLock; dict: SharedDict<string, number>; label: string; when: Date }>(text);
  assert.equal(back.label, 'x');
  assert.deepEqual(back.when, new Date(5));
  assert.equal(back.lock[SCOPE], 'processes');
  back.nested[0].hits.value += 41;
  assert.equal(hits.value, 42);
  lock.acquireSync();
  assert.equal(back.lock.locked(), true);
  lock.release();
  back.dict.set('b', 2);
  assert.deepEqual([...dict.entries()], [['a', 1], ['b', 2]]);
});

test('a program started with spawn, handed the text in its environment, works on the same objects', async () => {
  const counter = new processes.Value('i', 0);
  const list = new processes.SharedList<string>();
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    const { counter, list } = processes.importHandles(process.env.WEFT_SHARED);
    for (let i = 0; i < 1000; i++) {
      counter.getLock().acquireSync();
      counter.value += 1;
      counter.getLock().release();
    }
    list.append('from pid ' + process.pid);
  `, { env: { WEFT_SHARED: processes.exportHandles({ counter, list }) } });
  const exit = await run.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(counter.value, 1000);
  assert.deepEqual(list.toArray(), [`from pid ${run.pid}`]);
});

test('importHandles: text that is not an exported text, or is damaged, is a TypeError', () => {
  assert.throws(() => processes.importHandles('hello'), /expected a text made by exportHandles\(\) \(starting 'weft1:'\), got "hello"/);
  assert.throws(() => processes.importHandles(42 as never), /got number/);
  assert.throws(() => processes.importHandles('weft1:!!!!'), /the text is damaged/);
});

test('exportHandles: a threads-scope object is a DataCloneError naming its path and the processes class', () => {
  assert.throws(() => processes.exportHandles({ guard: { lock: new ThreadsLock() } }), (error: unknown) => {
    assert.ok(error instanceof DataCloneError);
    assert.equal(error.path, 'value.guard.lock');
    assert.match(error.message, /threads-scope Lock.*processes\.Lock/);
    return true;
  });
  assert.throws(() => processes.exportHandles({ fn: () => 1 }), /value\.fn is a function/);
});

test('a text whose exporter has exited (its memory gone) fails with SegmentNotFoundError naming the segment', async () => {
  const run = child(`
    import { processes } from ${src('scope/processes.ts')};
    const value = new processes.Value('i', 7);
    console.log(processes.exportHandles({ value }));
  `);
  const text = await run.line();
  assert.equal((await run.exited).code, 0);
  assert.throws(() => processes.importHandles(text), (error: unknown) => {
    assert.ok(error instanceof SegmentNotFoundError);
    assert.match(error.segment, new RegExp(`\\.${run.pid}\\.\\d+$`), "the exporter's arena");
    assert.match(error.message, new RegExp(error.segment.replaceAll('.', '\\.')));
    return true;
  });
});
