import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SharedDict } from '../../src/shared/dict.js';
import { SharedList } from '../../src/shared/list.js';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { DataCloneError, InvalidStateError, KeyError, TimeoutError } from '../../src/errors.js';
import { arenaOf, below, publishedBuffers, random, sent } from './containers-support.js';

test('keys: 1, "1", 1n and true are four keys; 0 and -0 are one, and so is NaN (as in a Map)', () => {
  const d = new SharedDict<any, string>();
  d.set(1, 'number').set('1', 'string').set(1n, 'bigint').set(true, 'boolean').set(null, 'null').set(undefined, 'undefined');
  assert.equal(d.size, 6);
  assert.deepEqual([d.get(1), d.get('1'), d.get(1n), d.get(true), d.get(null), d.get(undefined)], ['number', 'string', 'bigint', 'boolean', 'null', 'undefined']);
  assert.equal(d.get(1.0), 'number');
  d.set(-0, 'zero');
  assert.equal(d.get(0), 'zero');
  d.set(NaN, 'nan');
  assert.equal(d.get(Number('not a number')), 'nan');
  assert.equal(d.get(new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0]!), 'nan', 'a NaN with other bits');
  assert.equal(d.size, 8);
});

test('keys: arrays are compared by value, like Python tuples, and stored as copies', () => {
  const d = new SharedDict<any, number>();
  const key = [1, 'a', [2n, null]];
  d.set(key, 1);
  assert.equal(d.get([1, 'a', [2n, null]]), 1);
  assert.equal(d.get([1, 'a', [2n, undefined]]), undefined);
  assert.equal(d.get([1, 'a']), undefined);
  key.push('changed');
  assert.deepEqual([...d.keys()], [[1, 'a', [2n, null]]], 'changing the array later changes nothing stored');
  const shared = [7];
  d.set([shared, shared], 2); // the same array twice is the same key as two equal arrays
  assert.equal(d.get([[7], [7]]), 2);
  d.set([-0, NaN], 3);
  assert.equal(d.get([0, NaN]), 3);
});

test('keys: objects, Maps, Dates, functions and symbols are refused with a TypeError; nothing changes', () => {
  const d = new SharedDict<any, number>({ a: 1 });
  for (const key of [{}, new Map(), new Date(0), () => 1, Symbol('s'), [1, {}], new Lock()]) {
    assert.throws(() => d.set(key, 2), { name: 'TypeError', message: /SharedDict\.set\(\): a key must be a string, number/ });
    assert.throws(() => d.get(key), TypeError);
  }
  assert.throws(() => d.set([1, {}], 1), { message: /got an array holding an instance of Object/ });
  assert.throws(() => d.set(new Array(2), 1), { message: 'SharedDict.set(): the key is an array with a hole at index 0' });
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.throws(() => d.set(cycle, 1), { message: /nests arrays deeper than 32/ });
  assert.deepEqual(d.toMap(), new Map([['a', 1]]));
});

test('insertion order is kept: an overwrite keeps the place, a delete and set moves the key last (Python 3.7+)', () => {
  const d = new SharedDict<string, number>([['a', 1], ['b', 2], ['c', 3]]);
  d.set('a', 10);
  assert.deepEqual([...d.keys()], ['a', 'b', 'c']);
  d.delete('a');
  d.set('a', 11);
  assert.deepEqual([...d.entries()], [['b', 2], ['c', 3], ['a', 11]]);
});

test('.get() with a fallback, .has(), .delete()', () => {
  const d = new SharedDict<string, number | undefined>({ x: undefined });
  assert.equal(d.get('x', 5), undefined, 'a stored undefined is a value');
  assert.equal(d.get('y', 5), 5);
  assert.equal(d.has('x'), true);
  assert.equal(d.delete('x'), true);
  assert.equal(d.delete('x'), false);
  assert.equal(d.has('x'), false);
});

test('.pop() - returns the value, or the fallback; KeyError naming the key otherwise', () => {
  const d = new SharedDict<any, string>([[[1, 'k'], 'v']]);
  assert.equal(d.pop('nope', 'fallback'), 'fallback');
  assert.equal(d.pop('nope', undefined), undefined);
  assert.throws(() => d.pop('nope'), (error: KeyError) => {
    assert.ok(error instanceof KeyError);
    assert.equal(error.code, 'ERR_WEFT_KEY');
    assert.equal(error.key, 'nope');
    assert.equal(error.message, "SharedDict.pop(): 'nope' is not in the dict");
    return true;
  });
  assert.equal(d.pop([1, 'k']), 'v');
  assert.equal(d.size, 0);
});

test('.popitem() - the last item inserted (LIFO); KeyError when empty', () => {
  const d = new SharedDict<number, string>([[1, 'a'], [2, 'b'], [3, 'c']]);
  d.delete(3);
  assert.deepEqual(d.popitem(), [2, 'b']);
  d.set(4, 'd');
  assert.deepEqual(d.popitem(), [4, 'd']);
  assert.deepEqual(d.popitem(), [1, 'a']);
  assert.throws(() => d.popitem(), { name: 'KeyError', message: 'SharedDict.popitem(): the dict is empty' });
});

test('.setdefault() - the stored value, or the fallback stored and returned', () => {
  const d = new SharedDict<string, number[]>();
  const list = d.setdefault('k', [1]);
  assert.deepEqual(list, [1]);
  assert.deepEqual(d.setdefault('k', [2]), [1]);
  assert.deepEqual(d.get('k'), [1]);
});

test('.update() - from a Map, a plain object, pairs and another SharedDict; later pairs win', () => {
  const d = new SharedDict<string, number>();
  d.update(new Map([['a', 1]]));
  d.update({ b: 2 });
  d.update([['c', 3], ['a', 4]]);
  d.update(new SharedDict<string, number>({ d: 5 }));
  assert.deepEqual([...d.entries()], [['a', 4], ['b', 2], ['c', 3], ['d', 5]]);
  assert.throws(() => d.update([['e', 1], ['f'] as unknown as [string, number]]), {
    name: 'TypeError',
    message: 'SharedDict.update(): element 1 is not a [key, value] pair, got an instance of Array',
  });
  assert.throws(() => d.update(new Date() as never), { message: 'SharedDict.update(): expected pairs or a plain object, got an instance of Date' });
  assert.throws(() => d.update(42 as never), TypeError);
  assert.equal(d.size, 4);
});

test('.update() is all or nothing: one value that cannot be stored, and nothing is', () => {
  const d = new SharedDict<string, unknown>({ keep: 1 });
  const before = publishedBuffers();
  assert.throws(
    () => d.update([['a', 1], ['lock', new Lock()], ['b', { handler: () => {} }], ['c', 3]]),
    (error: DataCloneError) => error instanceof DataCloneError && /value of key 'b'\.handler is a function/.test(error.message),
  );
  assert.deepEqual(d.toMap(), new Map([['keep', 1]]));
  assert.equal(publishedBuffers(), before, "the Lock's buffer, published while encoding, was withdrawn");
});

test('a value that cannot be stored is a DataCloneError naming it, and the dict is unchanged', () => {
  const d = new SharedDict<string, unknown>({ a: { n: 1 } });
  assert.throws(() => d.set('a', { n: 2, f: Math.max }), { name: 'DataCloneError', message: /value\.f is a function \(max\)/ });
  assert.throws(() => d.set('b', Symbol('x')), { name: 'DataCloneError', message: /symbol/ });
  class Point {
    constructor(readonly x: number) {}
  }
  assert.throws(() => d.set('c', [new Point(1)]), { name: 'DataCloneError', message: /value\[0\] is an instance of Point/ });
  assert.throws(() => d.setdefault('d', () => 1), DataCloneError);
  assert.throws(() => d.compute('a', () => ({ f() {} })), DataCloneError);
  assert.deepEqual(d.toMap(), new Map([['a', { n: 1 }]]));
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

test('values round-trip as structured clone does, and reads are copies', () => {
  const value = {
    date: new Date(5), re: /a+/gi, map: new Map([[1, { x: 1 }]]), set: new Set(['s']), bytes: new Uint8Array([1, 2]),
    big: 2n ** 70n, neg: -0, nan: NaN, none: undefined, error: new RangeError('boom'), nested: [[[1]]],
  };
  const d = new SharedDict<string, any>();
  d.set('v', value);
  const read = d.get('v');
  assert.deepEqual({ ...read, error: undefined }, { ...value, error: undefined });
  assert.ok(read.error instanceof RangeError && read.error.message === 'boom');
  assert.ok(Object.is(read.neg, -0));
  const cyclic: any = { name: 'c' };
  cyclic.self = cyclic;
  d.set('c', cyclic);
  const back = d.get('c');
  assert.equal(back.self, back);
  read.nested[0][0][0] = 99;
  assert.deepEqual(d.get('v').nested, [[[1]]], 'changing a read value changes nothing stored');
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

test('.keys(), .values(), .entries(), .toMap() and .forEach() are snapshots taken when called', () => {
  const d = new SharedDict<string, number>({ a: 1, b: 2 });
  const keys = d.keys();
  const entries = d.entries();
  d.set('c', 3);
  d.delete('a');
  assert.deepEqual([...keys], ['a', 'b']);
  assert.deepEqual([...entries], [['a', 1], ['b', 2]]);
  const visited: string[] = [];
  d.forEach((value, key, dict) => {
    visited.push(`${key}=${value}`);
    dict.set(key + key, value); // safe: a snapshot
  });
  assert.deepEqual(visited, ['b=2', 'c=3']);
  assert.deepEqual([...d.values()], [2, 3, 2, 3]);
});

test('iterating the dict is live: overwritten values are seen, an added or removed key throws InvalidStateError', () => {
  const d = new SharedDict<string, number>({ a: 1, b: 2, c: 3 });
  const seen: [string, number][] = [];
  for (const entry of d) {
    seen.push(entry);
    d.set('c', 30); // not a change of size
  }
  assert.deepEqual(seen, [['a', 1], ['b', 2], ['c', 30]]);
  const iterator = d[Symbol.iterator]();
  assert.deepEqual(iterator.next().value, ['a', 1]);
  d.set('d', 4);
  assert.throws(() => iterator.next(), (error: Error) => error instanceof InvalidStateError && /SharedDict changed size during iteration/.test(error.message));
  const done = d[Symbol.iterator]();
  assert.equal([...done].length, 4);
  d.delete('a');
  assert.deepEqual(done.next(), { done: true, value: undefined }, 'an exhausted iterator stays exhausted');
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
