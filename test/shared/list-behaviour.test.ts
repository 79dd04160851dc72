// What a shared list does, whichever implementation: run over every factory
// of test/conformance/containers.ts (SharedList now, a Manager's list proxy
// later). Every call is awaited, so a proxy with async methods fits.
// SharedList's own matters (its arena, lock, sharing) are in list.test.ts.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { DataCloneError } from '../../src/errors.js';
import { describeOverContainers, drain } from '../conformance/containers.js';

describeOverContainers('list behaviour', (factory) => {
  const list = <T>(items?: Iterable<T>) => factory.list<T>(items);

  it('.get() / .set() take Python indices: negative from the end, out of range a RangeError', async () => {
    const l = await list(['a', 'b', 'c']);
    assert.deepEqual([await l.get(0), await l.get(-1), await l.get(-3)], ['a', 'c', 'a']);
    await assert.rejects(async () => l.get(3), { name: 'RangeError', message: /index 3 is out of range for length 3/ });
    await assert.rejects(async () => l.get(-4), RangeError);
    await assert.rejects(async () => l.get(1.5), { name: 'TypeError', message: /index must be an integer, got number 1\.5/ });
    await assert.rejects(async () => (await list()).get(0), { message: /the list is empty/ });
    await l.set(-1, 'z');
    await assert.rejects(async () => l.set(3, 'x'), RangeError);
    assert.deepEqual(await l.toArray(), ['a', 'b', 'z']);
  });

  it('.at() is Array.prototype.at: undefined out of range', async () => {
    const l = await list([1, 2]);
    assert.deepEqual([await l.at(0), await l.at(-1), await l.at(2), await l.at(-3)], [1, 2, undefined, undefined]);
  });

  it('.append(), .push(), .extend(), .insert() (which clamps, as Python)', async () => {
    const l = await list<number | string>();
    await l.append(1);
    assert.equal(await l.push(2, 3), 3);
    await l.extend(new Set([4, 5]));
    await l.insert(0, 'first');
    await l.insert(-1, 'before last');
    await l.insert(100, 'last');
    await l.insert(-100, 'very first');
    assert.deepEqual(await l.toArray(), ['very first', 'first', 1, 2, 3, 4, 'before last', 5, 'last']);
    await assert.rejects(async () => l.extend(5 as never), { name: 'TypeError', message: /expected an iterable, got number 5/ });
  });

  it('.pop() - the last item or item i; RangeError on an empty list or a bad index', async () => {
    const l = await list([1, 2, 3, 4]);
    assert.deepEqual([await l.pop(), await l.pop(0), await l.pop(-1)], [4, 1, 3]);
    await assert.rejects(async () => l.pop(5), RangeError);
    assert.equal(await l.pop(), 2);
    await assert.rejects(async () => l.pop(), { name: 'RangeError', message: /the list is empty/ });
  });

  it('.remove(), .index(), .indexOf(), .includes(), .count() compare by value', async () => {
    const l = await list<unknown>([{ a: 1 }, [1, 2], 'x', 0, { a: 1 }, NaN, -0]);
    assert.equal(await l.index({ a: 1 }), 0);
    assert.equal(await l.index({ a: 1 }, 1), 4);
    assert.equal(await l.index([1, 2], -6, -4), 1);
    await assert.rejects(async () => l.index('x', 3), { name: 'RangeError', message: /'x' is not in the list/ });
    assert.equal(await l.indexOf('nope'), -1);
    assert.equal(await l.indexOf({ a: 1 }, -3), 4);
    assert.equal(await l.count({ a: 1 }), 2);
    assert.equal(await l.count(0), 2, '0 and -0 are equal, as in Python');
    assert.equal(await l.includes(NaN), true);
    assert.equal(await l.includes({ a: 2 }), false);
    await l.remove({ a: 1 });
    assert.deepEqual(await l.toArray(), [[1, 2], 'x', 0, { a: 1 }, NaN, -0]);
    await assert.rejects(async () => l.remove('nope'), { name: 'RangeError', message: /'nope' is not in the list/ });
    const lock = await factory.lock();
    await l.append(lock);
    assert.equal(await l.indexOf(lock), -1, 'an item holding a shareable equals nothing');
  });

  it('.slice() and .splice() as Array.prototype does', async () => {
    const l = await list([0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await l.slice(), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(await l.slice(-2), [4, 5]);
    assert.deepEqual(await l.slice(1, -1), [1, 2, 3, 4]);
    assert.deepEqual(await l.slice(4, 2), []);
    assert.deepEqual(await l.splice(1, 2, 10, 11, 12), [1, 2]);
    assert.deepEqual(await l.splice(-2), [4, 5]);
    assert.deepEqual(await l.splice(0, 0, -1), []);
    assert.deepEqual(await l.splice(2, undefined), [], 'an explicit undefined count removes nothing, as for arrays');
    assert.deepEqual(await l.toArray(), [-1, 0, 10, 11, 12, 3]);
  });

  it('.sort() - by default Python\'s order: numbers numerically, strings by code point, arrays element-wise', async () => {
    const sorted = async (items: unknown[]) => {
      const l = await list(items);
      await l.sort();
      return l.toArray();
    };
    assert.deepEqual(await sorted([10, 9, 1, 2n, -Infinity]), [-Infinity, 1, 2n, 9, 10]);
    assert.deepEqual(await sorted(['b', 'a', '\u{1F600}', '\uFFFF']), ['a', 'b', '\uFFFF', '\u{1F600}']);
    assert.deepEqual(await sorted([[1, 'b'], [1, 'a'], [0, 'z'], [1]]), [[0, 'z'], [1], [1, 'a'], [1, 'b']]);
    const mixed = await list<unknown>([2, 'a', 1]);
    await assert.rejects(async () => mixed.sort(), { name: 'TypeError', message: /cannot order (string "a" and number \d|number \d and string "a")/ });
    assert.deepEqual(await mixed.toArray(), [2, 'a', 1], 'unchanged');
    await assert.rejects(async () => (await list([{}, {}])).sort(), TypeError);
    await assert.rejects(async () => (await list([1, 2])).sort(5 as never), { message: /expected a compare function or \{ key, reverse \}, got number 5/ });
  });

  it('.sort() - stable, with a compare function or { key, reverse } (reverse keeps equal items in order)', async () => {
    const l = await list([{ n: 'a', age: 30 }, { n: 'b', age: 20 }, { n: 'c', age: 30 }, { n: 'd', age: 20 }]);
    const names = async () => (await l.toArray()).map((p) => p.n);
    if (factory.remote) {
      // Functions cannot cross to where the list lives: the caller refuses them and nothing changes.
      await assert.rejects(async () => l.sort((x, y) => x.age - y.age), DataCloneError);
      await assert.rejects(async () => l.sort({ key: (p) => p.age }), DataCloneError);
      assert.deepEqual(await names(), ['a', 'b', 'c', 'd']);
      return;
    }
    await l.sort((x, y) => x.age - y.age);
    assert.deepEqual(await names(), ['b', 'd', 'a', 'c']);
    await l.sort({ key: (p) => p.age, reverse: true });
    assert.deepEqual(await names(), ['a', 'c', 'b', 'd']);
    await l.sort({ key: (p) => p.n });
    assert.deepEqual(await names(), ['a', 'b', 'c', 'd']);
    await assert.rejects(async () => l.sort({ key: 'n' as never }), { message: /key must be a function, got string "n"/ });
    await assert.rejects(async () => l.sort(() => {
      throw new Error('compare failed');
    }), { message: 'compare failed' });
    assert.deepEqual(await names(), ['a', 'b', 'c', 'd'], 'a failed sort changes nothing');
  });

  it('.reverse() and .clear()', async () => {
    const l = await list([1, 2, 3]);
    await l.reverse();
    assert.deepEqual(await l.toArray(), [3, 2, 1]);
    await l.clear();
    assert.equal(await factory.len(l), 0);
    await l.append(7);
    assert.deepEqual(await l.toArray(), [7]);
  });

  it('an item that cannot be stored is a DataCloneError naming it, and the list is unchanged', async () => {
    const l = await list<unknown>([1, 2]);
    await assert.rejects(async () => l.push(3, await factory.lock(), () => 4), (error: Error) => error instanceof DataCloneError && /\[2\] is a function/.test(error.message));
    await assert.rejects(async () => l.append({ f: Symbol('s') }), { name: 'DataCloneError', message: /\.f is a symbol/ });
    await assert.rejects(async () => l.set(0, [Math.min]), DataCloneError);
    await assert.rejects(async () => l.splice(0, 1, 'ok', () => 1), DataCloneError);
    assert.deepEqual(await l.toArray(), [1, 2]);
  });

  it('iterating is live, as Python\'s list iterator: each step reads the next index as it is then', async () => {
    const l = await list([1, 2, 3]);
    const iterator = factory.iter(l);
    assert.equal((await iterator.next()).value, 1);
    await l.set(1, 20);
    await l.append(4);
    assert.deepEqual(await drain(iterator), [20, 3, 4]);
    const early = factory.iter(l);
    assert.equal((await early.next()).value, 1);
    await l.clear();
    assert.deepEqual(await early.next(), { done: true, value: undefined });
  });
});
