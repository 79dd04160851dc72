import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SharedDict } from '../../src/shared/dict.js';
import { SharedList } from '../../src/shared/list.js';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { DataCloneError, InvalidStateError, KeyError, TimeoutError } from '../../src/errors.js';
import { arenaOf, below, publishedBuffers, random, sent } from './containers-support.js';

test('keys: a NaN with other bits is the one NaN key; a key read back is a new copy', () => {
  const d = new SharedDict<any, string>([[NaN, 'nan'], [[1, [2]], 'array']]);
  assert.equal(d.get(new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0]!), 'nan');
  const [, key] = [...d.keys()];
  key[1].push(3);
  assert.equal(d.get([1, [2]]), 'array');
});

test('a failed .update() withdraws the shared buffers its values published', () => {
  const d = new SharedDict<string, unknown>({ keep: 1 });
  const before = publishedBuffers();
  assert.throws(
    () => d.update([['a', 1], ['lock', new Lock()], ['b', { handler: () => {} }], ['c', 3]]),
    (error: DataCloneError) => error instanceof DataCloneError && /value of key 'b'\.handler is a function/.test(error.message),
  );
  assert.deepEqual(d.toMap(), new Map([['keep', 1]]));
  assert.equal(publishedBuffers(), before, "the Lock's buffer, published while encoding, was withdrawn");
});

test('a write beyond maxBytes is a RangeError and changes nothing; smaller writes still go in', () => {
  const d = new SharedDict<string, string>({ a: 'x' }, { maxBytes: 4096 });
  assert.throws(() => d.set('big', 'y'.repeat(5000)), { name: 'RangeError', message: /SharedDict\.set\(\): needs \d+ more bytes of shared memory, but the container may not grow beyond its maxBytes \(4096/ });
  assert.throws(() => d.set('a', 'y'.repeat(5000)), RangeError);
  assert.throws(() => d.update(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'z'.repeat(60)] as [string, string])), RangeError);
  assert.deepEqual(d.toMap(), new Map([['a', 'x']]));
  d.set('b', 'y'.repeat(1000));
  assert.equal(d.get('b')!.length, 1000);
  assert.ok(arenaOf(d).capacity <= 4096);
});

test('maxBytes must be an integer from 1024 to 2 GiB - 8', () => {
  assert.throws(() => new SharedDict(null, { maxBytes: 100 }), { name: 'RangeError', message: 'SharedDict(): maxBytes must be an integer from 1024 to 2147483640, got 100' });
  assert.throws(() => new SharedList(null, { maxBytes: 2 ** 31 }), RangeError);
  assert.throws(() => new SharedList(null, { maxBytes: 4096.5 }), RangeError);
});

test('a SharedArrayBuffer in a value stays the same memory; its registration lives exactly as long as the value', () => {
  const before = publishedBuffers();
  const d = new SharedDict<string, any>();
  const memory = new Int32Array(new SharedArrayBuffer(8));
  d.set('m', { memory });
  assert.equal(publishedBuffers(), before + 1);
  d.get('m').memory[1] = 42;
  assert.equal(memory[1], 42, 'a read aliases the same memory');
  d.set('m', { memory }); // an overwrite withdraws the old value's and publishes the new one's
  d.set('n', new Lock());
  d.set('o', 1);
  assert.equal(publishedBuffers(), before + 2);
  d.pop('n');
  d.delete('m');
  assert.equal(publishedBuffers(), before);
  d.set('l', new Lock());
  d.set('k', [new Lock(), new Lock()]);
  d.clear();
  assert.equal(publishedBuffers(), before, 'clear() withdraws every value\'s buffers');
});

test('.compute() - replaces atomically, with (current, exists); fn failing or async changes nothing', () => {
  const d = new SharedDict<string, number>();
  assert.equal(d.compute('n', (n = 0) => n + 1), 1);
  assert.equal(d.compute('n', (n = 0) => n + 1), 2);
  const seen: [number | undefined, boolean][] = [];
  d.compute('n', (n, exists) => (seen.push([n, exists]), 5));
  d.compute('m', (n, exists) => (seen.push([n, exists]), 6));
  assert.deepEqual(seen, [[2, true], [undefined, false]]);
  assert.throws(() => d.compute('n', () => {
    throw new Error('no');
  }), { message: 'no' });
  assert.throws(() => d.compute('n', (async () => 1) as never), { name: 'TypeError', message: /returned a Promise/ });
  // The function may use the dict itself (the lock is reentrant), even the same key.
  d.compute('n', (n = 0) => {
    d.set('side', n);
    d.delete('n');
    return n * 10;
  });
  assert.deepEqual([...d.entries()], [['m', 6], ['side', 5], ['n', 50]]);
  assert.equal(d.getLock().locked(), false);
});

test('.toMap() and .forEach() work on snapshots taken when called', () => {
  const d = new SharedDict<string, number>({ a: 1, b: 2 });
  const map = d.toMap();
  d.set('c', 3);
  d.delete('a');
  assert.deepEqual(map, new Map([['a', 1], ['b', 2]]));
  const visited: string[] = [];
  d.forEach((value, key, dict) => {
    visited.push(`${key}=${value}`);
    dict.set(key + key, value); // safe: a snapshot
  });
  assert.deepEqual(visited, ['b=2', 'c=3']);
  assert.deepEqual([...d.values()], [2, 3, 2, 3]);
});

test('.withLockSync() - one atomic step, reentrant, released on a throw; an async body is refused', () => {
  const d = new SharedDict<string, number>({ n: 1 });
  const result = d.withLockSync((dict) => {
    assert.equal(dict, d);
    dict.set('n', dict.get('n')! + 1);
    return dict.withLockSync((again) => again.get('n'));
  });
  assert.equal(result, 2);
  assert.throws(() => d.withLockSync(() => {
    throw new Error('inside');
  }), { message: 'inside' });
  assert.equal(d.getLock().locked(), false);
  assert.throws(() => d.withLockSync(async () => 1), { name: 'TypeError', message: /SharedDict\.withLockSync\(\): the function returned a Promise/ });
  assert.equal(d.getLock().locked(), false);
  assert.ok(d.getLock() instanceof RLock);
});

test('.withLock() - async bodies of one thread take turns; a nested withLock runs at once', async () => {
  const d = new SharedDict<string, number>({ n: 0 });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const bump = () => d.withLock(async (dict) => {
    const n = dict.get('n')!;
    await tick(); // another body would interleave here if bodies did not take turns
    dict.set('n', n + 1);
  });
  await Promise.all(Array.from({ length: 20 }, bump));
  assert.equal(d.get('n'), 20);
  const nested = await d.withLock(async (outer) => {
    await tick();
    return outer.withLock(async (inner) => inner.get('n')! + 1);
  });
  assert.equal(nested, 21);
  assert.equal(await d.withLock((dict) => dict.size), 1, 'a sync body works too');
  assert.equal(d.getLock().locked(), false);
});

test('.withLock() - a timeout or an abort while another body holds it; nothing stays held', async () => {
  const d = new SharedDict<string, number>();
  let release!: () => void;
  const holding = d.withLock(() => new Promise<void>((resolve) => (release = resolve)));
  await assert.rejects(d.withLock(() => 1, { timeout: 20 }), (error: Error) => error instanceof TimeoutError && /SharedDict\.withLock\(\): not acquired within 20 ms/.test(error.message));
  await assert.rejects(d.withLock(() => 1, { blocking: false }), TimeoutError);
  const controller = new AbortController();
  const aborted = d.withLock(() => 1, { signal: controller.signal });
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, { message: 'stop' });
  release();
  await holding;
  assert.equal(await d.withLock(() => 'free'), 'free');
  assert.equal(d.getLock().locked(), false);
});

test('a sent SharedDict is a live handle on the same items and lock', async () => {
  const d = new SharedDict<string, number>({ a: 1 });
  const copy = await sent(d);
  assert.ok(copy instanceof SharedDict);
  assert.notEqual(copy, d);
  copy.set('b', 2);
  d.set('a', 10);
  assert.deepEqual(copy.toMap(), new Map([['a', 10], ['b', 2]]));
  for (let i = 0; i < 2000; i++) d.set(`k${i}`, i); // grows the arena: the other handle follows
  assert.equal(copy.get('k1999'), 1999);
  d.getLock().acquireSync();
  assert.equal(copy.getLock().locked(), true);
  d.getLock().release();
});

test('SharedDict.fromKeys(), .toString() and inspect', () => {
  const d = SharedDict.fromKeys(['a', 'b'], 0);
  assert.deepEqual(d.toMap(), new Map([['a', 0], ['b', 0]]));
  assert.deepEqual(SharedDict.fromKeys([1]).toMap(), new Map([[1, undefined]]));
  assert.equal(String(d), "SharedDict(2) { 'a' => 0, 'b' => 0 }");
  assert.equal(inspect(d), "SharedDict(2) { 'a' => 0, 'b' => 0 }");
  assert.equal(Object.prototype.toString.call(d), '[object SharedDict]');
});

test('a long churn of sets and deletes stays within a bounded arena, with every item intact', () => {
  const d = new SharedDict<number, string>();
  const next = random(7);
  const model = new Map<number, string>();
  let peak = 0;
  for (let round = 0; round < 60_000; round++) {
    const key = below(next, 500);
    if (next() < 0.5) {
      const value = 'x'.repeat(below(next, 300));
      d.set(key, value);
      model.set(key, value);
    } else {
      assert.equal(d.delete(key), model.delete(key));
    }
    if (round % 5000 === 0) peak = Math.max(peak, arenaOf(d).capacity);
  }
  // 500 keys of at most ~330 bytes each: about 165 KB live at most.
  const { capacity } = arenaOf(d);
  assert.ok(capacity <= 1 << 20, `the arena grew to ${capacity} bytes`);
  assert.ok(peak <= 1 << 20);
  assert.deepEqual(d.toMap(), new Map([...model].sort(([a], [b]) => [...model.keys()].indexOf(a) - [...model.keys()].indexOf(b))));
  d.clear();
  assert.equal(arenaOf(d).top < 1024, true, 'clear() gives the whole arena back');
});

// A model-based fuzz test: random operations on a SharedDict and on a Map
// keyed by each key's JSON (the oracle; Map keeps insertion order as
// Python's dict does), compared after every step. A small maxBytes makes the
// arena compact often, and the key count makes the table grow and shrink.
test('random operations agree with Map (model-based, seeded)', () => {
  for (const seed of [1, 2, 3]) {
    const next = random(seed);
    const dict = new SharedDict<any, unknown>(null, { maxBytes: 64 * 1024 });
    const model = new Map<string, [unknown, unknown]>();
    const key = (): unknown => {
      const n = below(next, 40);
      return [n, `k${n}`, [n % 7, 's']][below(next, 3)];
    };
    const value = (): unknown => (next() < 0.5 ? below(next, 1000) : 'v'.repeat(below(next, 150)));
    const entries = () => [...model.values()];
    for (let step = 0; step < 4000; step++) {
      const k = key();
      const id = JSON.stringify(k);
      const what = `seed ${seed} step ${step}`;
      switch (below(next, 10)) {
        case 0: case 1: case 2: {
          const v = value();
          dict.set(k, v);
          if (model.has(id)) model.get(id)![1] = v;
          else model.set(id, [k, v]);
          break;
        }
        case 3:
          assert.equal(dict.delete(k), model.delete(id), what);
          break;
        case 4:
          assert.deepEqual(dict.pop(k, 'none'), model.get(id)?.[1] ?? 'none', what);
          model.delete(id);
          break;
        case 5:
          if (model.size > 0) {
            const last = entries().at(-1)!;
            assert.deepEqual(dict.popitem(), last, what);
            model.delete(JSON.stringify(last[0]));
          } else {
            assert.throws(() => dict.popitem(), KeyError);
          }
          break;
        case 6: {
          const v = value();
          assert.deepEqual(dict.setdefault(k, v), model.get(id)?.[1] ?? v, what);
          if (!model.has(id)) model.set(id, [k, v]);
          break;
        }
        case 7: {
          const pairs = Array.from({ length: below(next, 5) }, () => [key(), value()] as [unknown, unknown]);
          dict.update(pairs);
          for (const [pk, pv] of pairs) {
            const pid = JSON.stringify(pk);
            if (model.has(pid)) model.get(pid)![1] = pv;
            else model.set(pid, [pk, pv]);
          }
          break;
        }
        case 8: {
          const v = dict.compute(k, (current) => (typeof current === 'number' ? current + 1 : 0));
          if (model.has(id)) model.get(id)![1] = v;
          else model.set(id, [k, v]);
          break;
        }
        case 9:
          if (below(next, 30) === 0) {
            dict.clear();
            model.clear();
          } else {
            assert.deepEqual(dict.get(k), model.get(id)?.[1], what);
            assert.equal(dict.has(k), model.has(id), what);
          }
          break;
      }
      assert.equal(dict.size, model.size, what);
      if (step % 10 === 0) assert.deepEqual([...dict.entries()], entries(), what);
    }
    assert.deepEqual([...dict.entries()], entries());
  }
});
