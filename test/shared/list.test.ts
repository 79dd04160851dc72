import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { SharedList } from '../../src/shared/list.js';
import { Lock } from '../../src/sync/lock.js';
import { DataCloneError, InvalidStateError } from '../../src/errors.js';
import { arenaOf, below, publishedBuffers, random, sent } from './containers-support.js';

test('.extend() with the list itself doubles it, as in Python', () => {
  const list = new SharedList([1, 2]);
  list.extend(list);
  assert.deepEqual(list.toArray(), [1, 2, 1, 2]);
});

test('.sort() - a compare function that changes the list is an InvalidStateError, and the sort does not happen', () => {
  const list = new SharedList([3, 1, 2]);
  assert.throws(() => list.sort((a, b) => (list.set(0, 9), a - b)), (error: Error) => error instanceof InvalidStateError && /changed during the sort/.test(error.message));
  assert.deepEqual(list.toArray(), [9, 1, 2], 'the change the compare function made stays; the sort did not happen');
  assert.equal(list.getLock().locked(), false);
});

test('.reverse() returns the list; .compute(), .toString() and inspect', () => {
  const list = new SharedList([1, 2, 3]);
  assert.equal(list.reverse(), list);
  assert.deepEqual(list.toArray(), [3, 2, 1]);
  assert.equal(list.compute(-1, (n) => n * 10), 10);
  assert.throws(() => list.compute(5, (n) => n), RangeError);
  assert.throws(() => list.compute(0, (async () => 1) as never), { name: 'TypeError', message: /returned a Promise/ });
  assert.equal(String(list), 'SharedList(3) [ 3, 2, 10 ]');
  assert.equal(inspect(list), 'SharedList(3) [ 3, 2, 10 ]');
});

test('writes that cannot be done change nothing and withdraw what they published: an item that cannot be stored, or maxBytes', () => {
  const list = new SharedList<unknown>([1, 2], { maxBytes: 4096 });
  const before = publishedBuffers();
  assert.throws(() => list.push(3, new Lock(), () => 4), (error: Error) => error instanceof DataCloneError && /items\[2\] is a function/.test(error.message));
  assert.throws(() => list.append({ f: Symbol('s') }), { name: 'DataCloneError', message: /item\.f is a symbol/ });
  assert.throws(() => list.extend(Array.from({ length: 40 }, () => 'x'.repeat(100))), { name: 'RangeError', message: /SharedList\.extend\(\): needs \d+ more bytes/ });
  assert.throws(() => list.set(1, 'y'.repeat(5000)), RangeError);
  assert.deepEqual(list.toArray(), [1, 2]);
  assert.equal(publishedBuffers(), before);
});

test('for...of over a SharedList sees the writes made inside the loop body', () => {
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
