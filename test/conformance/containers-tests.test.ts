/**
 * Mirrors CPython's `Lib/test/_test_multiprocessing.py` (3.13),
 * `_TestContainers`: the cases of a manager's shared list and dict, run
 * over every factory of `containers.ts` (weft's SharedDict/SharedList
 * today; a Manager's proxies when they exist).
 *
 * Test names are upstream's. Translation: `a[:]` → `slice()`, `a[i]` →
 * `get(i)`, `a[i] = x` → `set(i, x)`, `len(a)` → the factory's `len`,
 * `iter(a)` / `next(it)` → the factory's `iter` / `it.next()`, `d.items()`
 * → `entries()`, `d.copy()` → `new Map(entries())`, `self.dict(a=1)` →
 * `dict({ a: 1 })`, Python's RuntimeError → InvalidStateError. A dict's
 * iterator yields `[key, value]` pairs (a Map's convention), so the
 * iteration cases compare the keys of those pairs. `b *= 2` is written as
 * `extend` with a copy of `b`, and `b + [5, 6]` as a concatenation of
 * `slice()`; `del x` drops nothing here (JavaScript has no `del` of a
 * variable), so those steps only check that the containers stored inside
 * others are still reachable through them, which is what upstream checks
 * after its `del`.
 *
 * Not ported: test_list_isinstance and test_dict_isinstance (they check
 * Python's collections.abc registrations), test_namespace (a Manager type).
 */

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidStateError } from '../../src/errors.js';
import { all, describeOverContainers, drain, range, type TestDict, type TestList } from './containers.js';

const chr = (code: number) => String.fromCharCode(code);
const byNumber = (a: number, b: number) => a - b;

describeOverContainers('_TestContainers', (factory) => {
  const list = <T>(items?: Iterable<T>) => factory.list<T>(items);
  const dict = <V>(init?: { [key: string]: V } | Iterable<readonly [any, V]>) => factory.dict<any, V>(init);
  const asList = (value: unknown): TestList => {
    assert.ok(factory.isList(value), `expected a ${factory.name} list, got ${String(value)}`);
    return value;
  };
  const asDict = (value: unknown): TestDict => {
    assert.ok(factory.isDict(value), `expected a ${factory.name} dict, got ${String(value)}`);
    return value;
  };

  it('test_list', async () => {
    const a = await list(range(10));
    assert.deepEqual(await a.slice(), range(10));

    const b = await list<number | string>();
    assert.deepEqual(await b.slice(), []);

    await b.extend(range(5));
    assert.deepEqual(await b.slice(), range(5));

    assert.equal(await b.get(2), 2);
    assert.deepEqual(await b.slice(2, 10), [2, 3, 4]);

    await b.extend(await b.slice()); // b *= 2
    assert.deepEqual(await b.slice(), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);

    assert.deepEqual([...(await b.slice()), 5, 6], [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]);

    assert.deepEqual(await a.slice(), range(10));

    const d = [a, b];
    const e = await list(d);
    const elements: unknown[][] = [];
    for (let i = 0; i < (await factory.len(e)); i++) elements.push(await asList(await e.get(i)).slice());
    assert.deepEqual(elements, [range(10), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]]);

    const f = await list([a]);
    await (a as TestList<number | string>).append('hello');
    assert.deepEqual(await asList(await f.get(0)).slice(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'hello']);
  });

  it('test_list_iter', async () => {
    const a = await list(range(10));
    let iterator = factory.iter(a);
    assert.deepEqual(await drain(iterator), range(10));
    assert.deepEqual(await drain(iterator), []); // exhausted
    // list modified during iteration
    iterator = factory.iter(a);
    await a.set(0, 100);
    assert.deepEqual(await iterator.next(), { done: false, value: 100 });
  });

  it('test_list_proxy_in_list', async () => {
    const a = await list([await list(range(3)), await list(range(3)), await list(range(3))]);
    const inners = async () => Promise.all(range(await factory.len(a)).map(async (i) => asList(await a.get(i)).slice()));
    assert.deepEqual(await inners(), [[0, 1, 2], [0, 1, 2], [0, 1, 2]]);

    await asList(await a.get(0)).set(-1, 55);
    assert.deepEqual(await asList(await a.get(0)).slice(), [0, 1, 55]);
    for (const i of range(1, 3)) assert.deepEqual(await asList(await a.get(i)).slice(), [0, 1, 2]);

    assert.equal(await asList(await a.get(1)).pop(), 2);
    assert.equal(await factory.len(asList(await a.get(1))), 2);
    for (const i of [0, 2]) assert.equal(await factory.len(asList(await a.get(i))), 3);

    const b = await list<unknown>();
    await b.append(b);
    // Upstream only checks that this does not crash or hang; a list inside itself also reads back as itself.
    const inner = asList(await b.get(0));
    assert.equal(await factory.len(inner), 1);
    assert.ok(factory.isList(await inner.get(0)));
  });

  it('test_dict', async () => {
    const d = await dict<string>();
    const indices = range(65, 70);
    for (const i of indices) await d.set(i, chr(i));
    assert.deepEqual(new Map(await d.entries()), new Map(indices.map((i) => [i, chr(i)])));
    assert.deepEqual((await all(d.keys())).sort(byNumber), indices);
    assert.deepEqual((await all(d.values())).sort(), indices.map(chr));
    assert.deepEqual((await all(d.entries())).sort(([x], [y]) => x - y), indices.map((i) => [i, chr(i)]));
  });

  it('test_dict_iter', async () => {
    const d = await dict<string>();
    const indices = range(65, 70);
    for (const i of indices) await d.set(i, chr(i));
    let iterator = factory.iter(d);
    assert.deepEqual((await drain(iterator)).map(([key]) => key), indices);
    assert.deepEqual(await drain(iterator), []); // exhausted
    // dictionary changed size during iteration
    iterator = factory.iter(d);
    await d.clear();
    await assert.rejects(async () => iterator.next(), InvalidStateError);
  });

  it('test_dict_proxy_nested', async () => {
    let pets: TestDict | undefined = await dict({ ferrets: 2, hamsters: 4 });
    let supplies: TestDict | undefined = await dict({ water: 10, feed: 3 });
    const d = await dict({ pets, supplies });

    assert.equal(await supplies.get('water'), 10);
    assert.equal(await asDict(await d.get('supplies')).get('water'), 10);

    await asDict(await d.get('supplies')).set('blankets', 5);
    assert.equal(await supplies.get('blankets'), 5);
    assert.equal(await asDict(await d.get('supplies')).get('blankets'), 5);

    await asDict(await d.get('supplies')).set('water', 7);
    assert.equal(await supplies.get('water'), 7);
    assert.equal(await asDict(await d.get('supplies')).get('water'), 7);

    pets = undefined; // del pets
    supplies = undefined; // del supplies
    assert.equal(await asDict(await d.get('pets')).get('ferrets'), 2);
    await asDict(await d.get('supplies')).set('blankets', 11);
    assert.equal(await asDict(await d.get('supplies')).get('blankets'), 11);

    pets = asDict(await d.get('pets'));
    supplies = asDict(await d.get('supplies'));
    await supplies.set('water', 7);
    assert.equal(await supplies.get('water'), 7);
    assert.equal(await asDict(await d.get('supplies')).get('water'), 7);

    await d.clear();
    assert.equal(await factory.len(d), 0);
    assert.equal(await supplies.get('water'), 7);
    assert.equal(await pets.get('hamsters'), 4);

    const l = await list([pets, supplies]);
    await asDict(await l.get(0)).set('marmots', 1);
    assert.equal(await pets.get('marmots'), 1);
    assert.equal(await asDict(await l.get(0)).get('marmots'), 1);

    pets = undefined;
    supplies = undefined;
    assert.equal(await asDict(await l.get(0)).get('marmots'), 1);

    const outer = await list<unknown>([[88, 99], l]);
    const first = await outer.get(0);
    assert.ok(Array.isArray(first) && !factory.isList(first)); // Not a ListProxy
    assert.equal(await asDict(await asList(await outer.get(-1)).get(-1)).get('feed'), 3);
  });

  it('test_nested_queue', async () => {
    const a = await list<unknown>(); // Test queue inside list
    await a.append(await factory.queue());
    const inList = (await a.get(0)) as Awaited<ReturnType<typeof factory.queue>>;
    await inList.put(123);
    assert.equal(await ((await a.get(0)) as typeof inList).get(), 123);
    const b = await dict<unknown>(); // Test queue inside dict
    await b.set(0, await factory.queue());
    await ((await b.get(0)) as typeof inList).put(456);
    assert.equal(await ((await b.get(0)) as typeof inList).get(), 456);
  });
});
