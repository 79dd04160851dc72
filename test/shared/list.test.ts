import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SharedList } from '../../src/shared/list.js';
import { Lock } from '../../src/sync/lock.js';
import { DataCloneError, InvalidStateError } from '../../src/errors.js';
import { arenaOf, below, publishedBuffers, random, sent } from './containers-support.js';

test('.get() / .set() take Python indices: negative from the end, out of range a RangeError', () => {
  const list = new SharedList(['a', 'b', 'c']);
  assert.equal(list.get(0), 'a');
  assert.equal(list.get(-1), 'c');
  assert.equal(list.get(-3), 'a');
  assert.throws(() => list.get(3), { name: 'RangeError', message: 'SharedList.get(): index 3 is out of range for length 3' });
  assert.throws(() => list.get(-4), RangeError);
  assert.throws(() => list.get(1.5), { name: 'TypeError', message: 'SharedList.get(): index must be an integer, got number 1.5' });
  assert.throws(() => new SharedList().get(0), { message: 'SharedList.get(): the list is empty' });
  list.set(-1, 'z');
  assert.throws(() => list.set(3, 'x'), RangeError);
  assert.deepEqual(list.toArray(), ['a', 'b', 'z']);
});

test('.at() is Array.prototype.at: undefined out of range', () => {
  const list = new SharedList([1, 2]);
  assert.deepEqual([list.at(0), list.at(-1), list.at(2), list.at(-3)], [1, 2, undefined, undefined]);
});

test('.append(), .push(), .extend(), .insert() (which clamps, as Python)', () => {
  const list = new SharedList<number | string>();
  list.append(1);
  assert.equal(list.push(2, 3), 3);
  list.extend(new Set([4, 5]));
  list.extend(list); // a list extended by itself doubles, as in Python
  list.insert(0, 'first');
  list.insert(-1, 'before last');
  list.insert(100, 'last');
  list.insert(-100, 'very first');
  assert.deepEqual(list.toArray(), ['very first', 'first', 1, 2, 3, 4, 5, 1, 2, 3, 4, 'before last', 5, 'last']);
  assert.throws(() => list.extend(5 as never), { name: 'TypeError', message: 'SharedList.extend(): expected an iterable, got number 5' });
});

test('.pop() - the last item or item i; RangeError on an empty list or a bad index', () => {
  const list = new SharedList([1, 2, 3, 4]);
  assert.equal(list.pop(), 4);
  assert.equal(list.pop(0), 1);
  assert.equal(list.pop(-1), 3);
  assert.throws(() => list.pop(5), RangeError);
  assert.equal(list.pop(), 2);
  assert.throws(() => list.pop(), { name: 'RangeError', message: 'SharedList.pop(): the list is empty' });
});

test('.remove(), .index(), .indexOf(), .includes(), .count() compare by value', () => {
  const list = new SharedList<unknown>([{ a: 1 }, [1, 2], 'x', 0, { a: 1 }, NaN, -0]);
  assert.equal(list.index({ a: 1 }), 0);
  assert.equal(list.index({ a: 1 }, 1), 4);
  assert.equal(list.index([1, 2], -6, -4), 1);
  assert.throws(() => list.index('x', 3), { name: 'RangeError', message: "SharedList.index(): 'x' is not in the list" });
  assert.equal(list.indexOf('nope'), -1);
  assert.equal(list.indexOf({ a: 1 }, -3), 4);
  assert.equal(list.count({ a: 1 }), 2);
  assert.equal(list.count(0), 2, '0 and -0 are equal, as in Python');
  assert.equal(list.includes(NaN), true);
  assert.equal(list.includes({ a: 2 }), false);
  list.remove({ a: 1 });
  assert.deepEqual(list.toArray(), [[1, 2], 'x', 0, { a: 1 }, NaN, -0]);
  assert.throws(() => list.remove('nope'), { name: 'RangeError', message: "SharedList.remove(): 'nope' is not in the list" });
  const lock = new Lock();
  list.append(lock);
  assert.equal(list.indexOf(lock), -1, 'an item holding a shareable equals nothing');
});

test('.slice() and .splice() as Array.prototype does', () => {
  const list = new SharedList([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(list.slice(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(list.slice(-2), [4, 5]);
  assert.deepEqual(list.slice(1, -1), [1, 2, 3, 4]);
  assert.deepEqual(list.slice(4, 2), []);
  assert.deepEqual(list.splice(1, 2, 10, 11, 12), [1, 2]);
  assert.deepEqual(list.splice(-2), [4, 5]);
  assert.deepEqual(list.splice(0, 0, -1), []);
  assert.deepEqual(list.splice(2, undefined), [], 'an explicit undefined count removes nothing, as for arrays');
  assert.deepEqual(list.toArray(), [-1, 0, 10, 11, 12, 3]);
});

test('.sort() - by default Python\'s order: numbers numerically, strings by code point, arrays element-wise', () => {
  assert.deepEqual(new SharedList([10, 9, 1, 2n, -Infinity]).sort().toArray(), [-Infinity, 1, 2n, 9, 10]);
  assert.deepEqual(new SharedList(['b', 'a', '\u{1F600}', '\uFFFF']).sort().toArray(), ['a', 'b', '\uFFFF', '\u{1F600}']);
  assert.deepEqual(new SharedList([[1, 'b'], [1, 'a'], [0, 'z'], [1]]).sort().toArray(), [[0, 'z'], [1], [1, 'a'], [1, 'b']]);
  const mixed = new SharedList<unknown>([2, 'a', 1]);
  assert.throws(() => mixed.sort(), { name: 'TypeError', message: /SharedList\.sort\(\): cannot order (string "a" and number \d|number \d and string "a")/ });
  assert.deepEqual(mixed.toArray(), [2, 'a', 1], 'unchanged');
  assert.throws(() => new SharedList([{}, {}]).sort(), TypeError);
  assert.throws(() => new SharedList([1, 2]).sort(5 as never), { message: 'SharedList.sort(): expected a compare function or { key, reverse }, got number 5' });
});

test('.sort() - stable, with a compare function or { key, reverse } (reverse keeps equal items in order)', () => {
  const people = [{ n: 'a', age: 30 }, { n: 'b', age: 20 }, { n: 'c', age: 30 }, { n: 'd', age: 20 }];
  const list = new SharedList(people);
  assert.deepEqual(list.sort((x, y) => x.age - y.age).toArray().map((p) => p.n), ['b', 'd', 'a', 'c']);
  assert.deepEqual(list.sort({ key: (p) => p.age, reverse: true }).toArray().map((p) => p.n), ['a', 'c', 'b', 'd']);
  assert.deepEqual(list.sort({ key: (p) => p.n }).toArray().map((p) => p.n), ['a', 'b', 'c', 'd']);
  assert.throws(() => list.sort({ key: 'n' as never }), { message: 'SharedList.sort(): key must be a function, got string "n"' });
});

test('.sort() - a compare function that throws or changes the list leaves it as it was', () => {
  const list = new SharedList([3, 1, 2]);
  assert.throws(() => list.sort(() => {
    throw new Error('compare failed');
  }), { message: 'compare failed' });
  assert.throws(() => list.sort((a, b) => (list.set(0, 9), a - b)), (error: Error) => error instanceof InvalidStateError && /changed during the sort/.test(error.message));
  assert.deepEqual(list.toArray(), [9, 1, 2], 'the change the compare function made stays; the sort did not happen');
  assert.equal(list.getLock().locked(), false);
});

test('.reverse(), .clear(), .compute(), .toString() and inspect', () => {
  const list = new SharedList([1, 2, 3]);
  assert.equal(list.reverse(), list);
  assert.deepEqual(list.toArray(), [3, 2, 1]);
  assert.equal(list.compute(-1, (n) => n * 10), 10);
  assert.throws(() => list.compute(5, (n) => n), RangeError);
  assert.throws(() => list.compute(0, (async () => 1) as never), { name: 'TypeError', message: /returned a Promise/ });
  assert.equal(String(list), 'SharedList(3) [ 3, 2, 10 ]');
  assert.equal(inspect(list), 'SharedList(3) [ 3, 2, 10 ]');
  list.clear();
  assert.equal(list.length, 0);
  list.append(7);
  assert.deepEqual(list.toArray(), [7]);
});

test('writes that cannot be done change nothing: an item that cannot be stored, or maxBytes', () => {
  const list = new SharedList<unknown>([1, 2], { maxBytes: 4096 });
  const before = publishedBuffers();
  assert.throws(() => list.push(3, new Lock(), () => 4), (error: Error) => error instanceof DataCloneError && /items\[2\] is a function/.test(error.message));
  assert.throws(() => list.append({ f: Symbol('s') }), { name: 'DataCloneError', message: /item\.f is a symbol/ });
  assert.throws(() => list.set(0, [Math.min]), DataCloneError);
  assert.throws(() => list.splice(0, 1, 'ok', () => 1), DataCloneError);
  assert.throws(() => list.extend(Array.from({ length: 40 }, () => 'x'.repeat(100))), { name: 'RangeError', message: /SharedList\.extend\(\): needs \d+ more bytes/ });
  assert.throws(() => list.set(1, 'y'.repeat(5000)), RangeError);
  assert.deepEqual(list.toArray(), [1, 2]);
  assert.equal(publishedBuffers(), before);
});

test('iterating is live, as Python\'s list iterator: each step reads the next index as it is then', () => {
  const list = new SharedList([1, 2, 3]);
  const seen: number[] = [];
  for (const item of list) {
    seen.push(item);
    if (item === 1) {
      list.set(1, 20);
      list.append(4);
    }
  }
  assert.deepEqual(seen, [1, 20, 3, 4]);
  const iterator = list[Symbol.iterator]();
  assert.equal(iterator.next().value, 1);
  list.clear();
  assert.deepEqual(iterator.next(), { done: true, value: undefined });
});

test('a sent SharedList is a live handle on the same items', async () => {
  const list = new SharedList<string | number>(['a']);
  const copy = await sent(list);
  assert.ok(copy instanceof SharedList);
  copy.append('b');
  list.extend(Array.from({ length: 3000 }, (_, i) => i));
  assert.equal(copy.length, 3002);
  assert.equal(copy.get(-1), 2999);
});

test('a long churn of appends, pops and rewrites stays within a bounded arena', () => {
  const list = new SharedList<string>();
  const next = random(11);
  for (let round = 0; round < 50_000; round++) {
    const r = next();
    if (list.length < 300 && r < 0.5) list.append('v'.repeat(below(next, 200)));
    else if (list.length > 0 && r < 0.8) list.pop(below(next, list.length));
    else if (list.length > 0) list.set(below(next, list.length), 'w'.repeat(below(next, 400)));
  }
  const { capacity } = arenaOf(list);
  assert.ok(capacity <= 1 << 19, `the arena grew to ${capacity} bytes for at most 300 items of at most ~430 bytes`);
  while (list.length > 0) list.pop();
  list.append('last');
  assert.deepEqual(list.toArray(), ['last']);
});

// A model-based fuzz test: random operations on a SharedList and on a plain
// array (the oracle), compared after every step. A small maxBytes makes the
// arena compact often; values of many sizes make items move.
test('random operations agree with Array (model-based, seeded)', () => {
  for (const seed of [1, 2, 3]) {
    const next = random(seed);
    const list = new SharedList<unknown>(null, { maxBytes: 64 * 1024 });
    const model: unknown[] = [];
    const value = (): unknown => {
      const kind = below(next, 4);
      if (kind === 0) return below(next, 50);
      if (kind === 1) return 's'.repeat(below(next, 120));
      if (kind === 2) return [below(next, 5), 'x'.repeat(below(next, 30))];
      return { n: below(next, 10) };
    };
    const order = (a: unknown, b: unknown) => JSON.stringify(a).length - JSON.stringify(b).length;
    for (let step = 0; step < 3000; step++) {
      const op = below(next, 12);
      const at = model.length === 0 ? 0 : below(next, model.length);
      const what = `seed ${seed} step ${step} op ${op}`;
      switch (op) {
        case 0: case 1: {
          const v = value();
          list.append(v);
          model.push(v);
          break;
        }
        case 2: {
          const items = Array.from({ length: below(next, 4) }, value);
          list.extend(items);
          model.push(...items);
          break;
        }
        case 3: {
          const v = value();
          const i = below(next, model.length + 5) - 2;
          list.insert(i, v);
          model.splice(i < 0 ? Math.max(model.length + i, 0) : Math.min(i, model.length), 0, v);
          break;
        }
        case 4:
          if (model.length > 0) assert.deepEqual(list.pop(at), model.splice(at, 1)[0], what);
          break;
        case 5:
          if (model.length > 0) {
            const v = value();
            list.set(at, v);
            model[at] = v;
          }
          break;
        case 6: {
          const start = below(next, model.length + 4) - 2;
          const count = below(next, 4);
          const items = Array.from({ length: below(next, 4) }, value);
          assert.deepEqual(list.splice(start, count, ...items), model.splice(start, count, ...items), what);
          break;
        }
        case 7:
          list.reverse();
          model.reverse();
          break;
        case 8:
          list.sort(order);
          model.sort(order);
          break;
        case 9: {
          const start = below(next, model.length + 4) - 2;
          const end = below(next, model.length + 4) - 2;
          assert.deepEqual(list.slice(start, end), model.slice(start, end), what);
          break;
        }
        case 10:
          if (model.length > 0) {
            const v = model[at];
            const expected = model.findIndex((item) => JSON.stringify(item) === JSON.stringify(v));
            assert.equal(list.index(v), expected, what);
            list.remove(v);
            model.splice(expected, 1);
          }
          break;
        case 11:
          if (below(next, 20) === 0) {
            list.clear();
            model.length = 0;
          }
          break;
      }
      assert.equal(list.length, model.length, what);
      if (step % 10 === 0) assert.deepEqual(list.toArray(), model, what);
    }
    assert.deepEqual(list.toArray(), model);
    assert.ok(arenaOf(list).capacity <= 64 * 1024);
  }
});
