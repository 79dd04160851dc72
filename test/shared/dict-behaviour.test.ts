// What a shared dict does, whichever implementation: run over every factory
// of test/conformance/containers.ts (SharedDict now, a Manager's dict proxy
// later). Every call is awaited, so a proxy with async methods fits.
// SharedDict's own matters (its arena, lock, sharing) are in dict.test.ts.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { DataCloneError, KeyError } from '../../src/errors.js';
import { all, describeOverContainers } from '../conformance/containers.js';

describeOverContainers('dict behaviour', (factory) => {
  it('keys: 1, "1", 1n and true are four keys; 0 and -0 are one, and so is NaN (as in a Map)', async () => {
    const d = await factory.dict<any, string>();
    for (const [key, value] of [[1, 'number'], ['1', 'string'], [1n, 'bigint'], [true, 'boolean'], [null, 'null'], [undefined, 'undefined']] as const) {
      await d.set(key, value);
    }
    assert.equal(await factory.len(d), 6);
    const read = [];
    for (const key of [1, '1', 1n, true, null, undefined, 1.0]) read.push(await d.get(key));
    assert.deepEqual(read, ['number', 'string', 'bigint', 'boolean', 'null', 'undefined', 'number']);
    await d.set(-0, 'zero');
    assert.equal(await d.get(0), 'zero');
    await d.set(NaN, 'nan');
    assert.equal(await d.get(Number('not a number')), 'nan');
    assert.equal(await factory.len(d), 8);
  });

  it('keys: arrays are compared by value, like Python tuples, and stored as copies', async () => {
    const d = await factory.dict<any, number>();
    const key = [1, 'a', [2n, null]];
    await d.set(key, 1);
    assert.equal(await d.get([1, 'a', [2n, null]]), 1);
    assert.equal(await d.get([1, 'a', [2n, undefined]]), undefined);
    assert.equal(await d.get([1, 'a']), undefined);
    key.push('changed');
    assert.deepEqual(await all(d.keys()), [[1, 'a', [2n, null]]], 'changing the array later changes nothing stored');
    const shared = [7];
    await d.set([shared, shared], 2); // the same array twice is the same key as two equal arrays
    assert.equal(await d.get([[7], [7]]), 2);
    await d.set([-0, NaN], 3);
    assert.equal(await d.get([0, NaN]), 3);
  });

  it('keys: objects, Maps, Dates, functions and symbols are refused with a TypeError; nothing changes', async () => {
    const d = await factory.dict<any, number>({ a: 1 });
    for (const key of [{}, new Map(), new Date(0), () => 1, Symbol('s'), [1, {}], await factory.lock()]) {
      // A function or symbol cannot even be sent to a remote container: the caller refuses it.
      const sent = !factory.remote || (typeof key !== 'function' && typeof key !== 'symbol');
      await assert.rejects(async () => d.set(key, 2), sent ? { name: 'TypeError', message: /a key must be a string, number/ } : { name: 'DataCloneError' });
      await assert.rejects(async () => d.get(key), sent ? TypeError : DataCloneError);
    }
    await assert.rejects(async () => d.set([1, {}], 1), { message: /got an array holding an instance of Object/ });
    await assert.rejects(async () => d.set(new Array(2), 1), { message: /the key is an array with a hole at index 0/ });
    const cycle: unknown[] = [];
    cycle.push(cycle);
    await assert.rejects(async () => d.set(cycle, 1), { message: /nests arrays deeper than 32/ });
    assert.deepEqual(await all(d.entries()), [['a', 1]]);
  });

  it('insertion order is kept: an overwrite keeps the place, a delete and set moves the key last (Python 3.7+)', async () => {
    const d = await factory.dict<string, number>([['a', 1], ['b', 2], ['c', 3]]);
    await d.set('a', 10);
    assert.deepEqual(await all(d.keys()), ['a', 'b', 'c']);
    await d.delete('a');
    await d.set('a', 11);
    assert.deepEqual(await all(d.entries()), [['b', 2], ['c', 3], ['a', 11]]);
  });

  it('.get() with a fallback, .has(), .delete()', async () => {
    const d = await factory.dict<string, number | undefined>({ x: undefined });
    assert.equal(await d.get('x', 5), undefined, 'a stored undefined is a value');
    assert.equal(await d.get('y', 5), 5);
    assert.equal(await d.has('x'), true);
    assert.equal(await d.delete('x'), true);
    assert.equal(await d.delete('x'), false);
    assert.equal(await d.has('x'), false);
  });

  it('.pop() - returns the value, or the fallback; KeyError naming the key otherwise', async () => {
    const d = await factory.dict<any, string>([[[1, 'k'], 'v']]);
    assert.equal(await d.pop('nope', 'fallback'), 'fallback');
    assert.equal(await d.pop('nope', undefined), undefined);
    await assert.rejects(async () => d.pop('nope'), (error: KeyError) => {
      assert.ok(error instanceof KeyError);
      assert.equal(error.code, 'ERR_WEFT_KEY');
      assert.equal(error.key, 'nope');
      assert.match(error.message, /'nope' is not in the dict/);
      return true;
    });
    assert.equal(await d.pop([1, 'k']), 'v');
    assert.equal(await factory.len(d), 0);
  });

  it('.popitem() - the last item inserted (LIFO); KeyError when empty', async () => {
    const d = await factory.dict<number, string>([[1, 'a'], [2, 'b'], [3, 'c']]);
    await d.delete(3);
    assert.deepEqual(await d.popitem(), [2, 'b']);
    await d.set(4, 'd');
    assert.deepEqual(await d.popitem(), [4, 'd']);
    assert.deepEqual(await d.popitem(), [1, 'a']);
    await assert.rejects(async () => d.popitem(), { name: 'KeyError', message: /the dict is empty/ });
  });

  it('.setdefault() - the stored value, or the fallback stored and returned', async () => {
    const d = await factory.dict<string, number[]>();
    assert.deepEqual(await d.setdefault('k', [1]), [1]);
    assert.deepEqual(await d.setdefault('k', [2]), [1]);
    assert.deepEqual(await d.get('k'), [1]);
  });

  it('.update() - from a Map, a plain object, pairs and another dict; later pairs win', async () => {
    const d = await factory.dict<string, number>();
    await d.update(new Map([['a', 1]]));
    await d.update({ b: 2 });
    await d.update([['c', 3], ['a', 4]]);
    await d.update((await factory.dict<string, number>({ d: 5 })) as never);
    assert.deepEqual(await all(d.entries()), [['a', 4], ['b', 2], ['c', 3], ['d', 5]]);
    await assert.rejects(async () => d.update([['e', 1], ['f'] as unknown as [string, number]]), {
      name: 'TypeError',
      message: /element 1 is not a \[key, value\] pair, got an instance of Array/,
    });
    await assert.rejects(async () => d.update(new Date() as never), { message: /expected pairs or a plain object, got an instance of Date/ });
    await assert.rejects(async () => d.update(42 as never), TypeError);
    assert.equal(await factory.len(d), 4);
  });

  it('.update() is all or nothing: one value that cannot be stored, and nothing is', async () => {
    const d = await factory.dict<string, unknown>({ keep: 1 });
    await assert.rejects(
      async () => d.update([['a', 1], ['lock', await factory.lock()], ['b', { handler: () => {} }], ['c', 3]]),
      (error: DataCloneError) =>
        error instanceof DataCloneError && (factory.remote ? /\.handler is a function/ : /'b'.*\.handler is a function/).test(error.message),
    );
    assert.deepEqual(await all(d.entries()), [['keep', 1]]);
  });

  it('a value that cannot be stored is a DataCloneError naming it, and the dict is unchanged', async () => {
    const d = await factory.dict<string, unknown>({ a: { n: 1 } });
    await assert.rejects(async () => d.set('a', { n: 2, f: Math.max }), { name: 'DataCloneError', message: /\.f is a function \(max\)/ });
    await assert.rejects(async () => d.set('b', Symbol('x')), { name: 'DataCloneError', message: /symbol/ });
    class Point {
      constructor(readonly x: number) {}
    }
    await assert.rejects(async () => d.set('c', [new Point(1)]), { name: 'DataCloneError', message: /\[0\] is an instance of Point/ });
    await assert.rejects(async () => d.setdefault('d', () => 1), DataCloneError);
    assert.deepEqual(await all(d.entries()), [['a', { n: 1 }]]);
  });

  it('values round-trip as structured clone does, and reads are copies', async () => {
    const value = {
      date: new Date(5), re: /a+/gi, map: new Map([[1, { x: 1 }]]), set: new Set(['s']), bytes: new Uint8Array([1, 2]),
      big: 2n ** 70n, neg: -0, nan: NaN, none: undefined, error: new RangeError('boom'), nested: [[[1]]],
    };
    const d = await factory.dict<string, any>();
    await d.set('v', value);
    const read = await d.get('v');
    assert.deepEqual({ ...read, error: undefined }, { ...value, error: undefined });
    assert.ok(read.error instanceof RangeError && read.error.message === 'boom');
    assert.ok(Object.is(read.neg, -0));
    const cyclic: any = { name: 'c' };
    cyclic.self = cyclic;
    await d.set('c', cyclic);
    const back = await d.get('c');
    assert.equal(back.self, back);
    read.nested[0][0][0] = 99;
    assert.deepEqual((await d.get('v')).nested, [[[1]]], 'changing a read value changes nothing stored');
  });

  it('.keys(), .values() and .entries() are snapshots taken when called', async () => {
    const d = await factory.dict<string, number>({ a: 1, b: 2 });
    const keys = await d.keys();
    const entries = await d.entries();
    await d.set('c', 3);
    await d.delete('a');
    assert.deepEqual([...keys], ['a', 'b']);
    assert.deepEqual([...entries], [['a', 1], ['b', 2]]);
    assert.deepEqual(await all(d.values()), [2, 3]);
  });

  it('iterating the dict is live: overwritten values are seen, an added or removed key is an error', async () => {
    const d = await factory.dict<string, number>({ a: 1, b: 2, c: 3 });
    const iterator = factory.iter(d);
    assert.deepEqual((await iterator.next()).value, ['a', 1]);
    await d.set('c', 30); // not a change of size
    assert.deepEqual((await iterator.next()).value, ['b', 2]);
    assert.deepEqual((await iterator.next()).value, ['c', 30]);
    assert.equal((await iterator.next()).done, true);
    const changed = factory.iter(d);
    await changed.next();
    await d.set('d', 4);
    await assert.rejects(async () => changed.next(), { name: 'InvalidStateError', message: /changed size during iteration/ });
    const done = factory.iter(d);
    while (!(await done.next()).done);
    await d.delete('a');
    assert.deepEqual(await done.next(), { done: true, value: undefined }, 'an exhausted iterator stays exhausted');
  });
});
