/**
 * What the container suites run over: `containers-tests.test.ts` (the port
 * of upstream's `_TestContainers`) and the behaviour suites in
 * `test/shared/`. Each implementation of a shared dict and list — weft's
 * SharedDict/SharedList, and later a Manager's proxies — registers a
 * factory in {@link containerFactories}; every case runs once per factory,
 * as upstream's `_TestContainers` runs over a manager's `self.dict` /
 * `self.list`.
 *
 * The cases `await` every call on a container, so one whose methods return
 * Promises (a manager proxy) fits the same cases as SharedDict, whose
 * methods return values. What is not a method call goes through the
 * factory: the length (`size` / `length` are getters that a proxy cannot
 * offer), iteration, and telling a container from a plain value.
 */

import { describe } from 'node:test';
import { Queue } from '../../src/queue/queue.js';
import { Lock } from '../../src/sync/lock.js';
import { SharedDict, type DictKey, type DictSource } from '../../src/shared/dict.js';
import { SharedList } from '../../src/shared/list.js';
import { Manager } from '../../src/manager/manager.js';
import { BaseProxy } from '../../src/manager/proxy.js';
import type { DictProxy, ListProxy } from '../../src/manager/proxy-types.js';

type Awaitable<T> = T | Promise<T>;

/** The dict API the suites use (SharedDict's; a proxy's methods may return Promises). */
export interface TestDict<K = any, V = any> {
  get(key: K): Awaitable<V | undefined>;
  get<D>(key: K, fallback: D): Awaitable<V | D>;
  set(key: K, value: V): Awaitable<unknown>;
  has(key: K): Awaitable<boolean>;
  delete(key: K): Awaitable<boolean>;
  clear(): Awaitable<void>;
  update(source: DictSource<K, V>): Awaitable<unknown>;
  setdefault(key: K, fallback: V): Awaitable<V>;
  pop(key: K): Awaitable<V>;
  pop<D>(key: K, fallback: D): Awaitable<V | D>;
  popitem(): Awaitable<[K, V]>;
  keys(): Awaitable<Iterable<K>>;
  values(): Awaitable<Iterable<V>>;
  entries(): Awaitable<Iterable<[K, V]>>;
}

/** The list API the suites use. */
export interface TestList<T = any> {
  get(index: number): Awaitable<T>;
  at(index: number): Awaitable<T | undefined>;
  set(index: number, value: T): Awaitable<unknown>;
  append(item: T): Awaitable<void>;
  push(...items: T[]): Awaitable<number>;
  extend(items: Iterable<T>): Awaitable<void>;
  insert(index: number, item: T): Awaitable<void>;
  pop(index?: number): Awaitable<T>;
  remove(value: T): Awaitable<void>;
  index(value: T, start?: number, stop?: number): Awaitable<number>;
  indexOf(value: T, fromIndex?: number): Awaitable<number>;
  includes(value: T): Awaitable<boolean>;
  count(value: T): Awaitable<number>;
  slice(start?: number, end?: number): Awaitable<T[]>;
  splice(start: number, deleteCount?: number, ...items: T[]): Awaitable<T[]>;
  reverse(): Awaitable<unknown>;
  sort(how?: ((a: T, b: T) => number) | { key?: (item: T) => unknown; reverse?: boolean }): Awaitable<unknown>;
  clear(): Awaitable<void>;
  toArray(): Awaitable<T[]>;
}

/** The queue API `test_nested_queue` uses. */
export interface TestQueue<T = any> {
  put(item: T): Awaitable<void>;
  get(): Awaitable<T>;
}

/** An iterator whose steps may be awaited (upstream's `it = iter(x); next(it)`). */
export interface TestIterator<T> {
  next(): Awaitable<IteratorResult<T>>;
}

export interface ContainerFactory {
  /** Names the suite. */
  readonly name: string;
  /** Upstream's `self.dict(...)`. */
  dict<K extends DictKey = any, V = any>(init?: DictSource<K, V>): Awaitable<TestDict<K, V>>;
  /** Upstream's `self.list(...)`. */
  list<T = any>(items?: Iterable<T>): Awaitable<TestList<T>>;
  /** Upstream's `self.Queue()`: a queue that can be stored in this factory's containers. */
  queue<T = any>(): Awaitable<TestQueue<T>>;
  /** Python's `len(x)`. */
  len(container: TestDict | TestList): Awaitable<number>;
  /** Python's `iter(x)`: a dict's iterator yields `[key, value]` pairs, as a Map's does. */
  iter(container: TestDict): TestIterator<[unknown, unknown]>;
  iter(container: TestList): TestIterator<unknown>;
  /** A lock that this factory's containers can hold (a shareable that crosses to where they live). */
  lock(): Awaitable<unknown>;
  /**
   * The containers live in another process (a manager's server): what
   * cannot cross to it at all (a function, a symbol) is refused by the
   * caller with a DataCloneError before the container sees it, and
   * `sort` takes no functions.
   */
  readonly remote: boolean;
  /** Whether `value` is one of this factory's dicts / lists (not a plain copy). */
  isDict(value: unknown): value is TestDict;
  isList(value: unknown): value is TestList;
}

/** The implementations the suites run against. */
export const containerFactories: ContainerFactory[] = [
  {
    name: 'SharedDict/SharedList',
    dict: (init) => new SharedDict(init),
    list: (items) => new SharedList(items),
    queue: () => new Queue(),
    lock: () => new Lock(),
    remote: false,
    len: (container) => (container instanceof SharedDict ? container.size : (container as SharedList).length),
    iter: ((container: SharedDict | SharedList) => container[Symbol.iterator]()) as ContainerFactory['iter'],
    isDict: (value): value is TestDict => value instanceof SharedDict,
    isList: (value): value is TestList => value instanceof SharedList,
  },
  {
    name: 'Manager proxies',
    dict: async (init) => (await sharedManager()).dict(init as DictSource<any, any>) as Promise<TestDict>,
    list: async (items) => (await sharedManager()).list(items) as Promise<TestList>,
    queue: async () => (await sharedManager()).Queue(),
    lock: async () => (await sharedManager()).Lock(),
    remote: true,
    len: (container) => (container as unknown as DictProxy | ListProxy).len(),
    // The server makes the iterator now, before the calls that follow this one.
    iter: ((container: DictProxy | ListProxy) => {
      const iterator = container.iter();
      return { next: async () => (await iterator).next() };
    }) as unknown as ContainerFactory['iter'],
    isDict: (value): value is TestDict => value instanceof BaseProxy && value.typeid === 'dict',
    isList: (value): value is TestList => value instanceof BaseProxy && value.typeid === 'list',
  },
];

// One manager per test process, started on first use; its server process
// ends with this one (the manager does not keep it alive).
let manager: Promise<Manager> | undefined;
function sharedManager(): Promise<Manager> {
  return (manager ??= (async () => {
    const started = new Manager();
    await started.start();
    return started;
  })());
}

/** Declares `cases` once per registered factory, as the suite `<factory> <suite>`. */
export function describeOverContainers(suite: string, cases: (factory: ContainerFactory) => void): void {
  for (const factory of containerFactories) describe(`${factory.name} ${suite}`, () => cases(factory));
}

/** Python's `range(start, stop)` (or `range(stop)`) as an array. */
export function range(start: number, stop?: number): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Python's `list(x)` / `sorted(...)` helper: every item of an iterable that may be awaited. */
export async function all<T>(items: Awaitable<Iterable<T>>): Promise<T[]> {
  return [...(await items)];
}

/** Python's `list(it)` for a {@link TestIterator}: the items left. */
export async function drain<T>(iterator: TestIterator<T>): Promise<T[]> {
  const out: T[] = [];
  for (let step = await iterator.next(); !step.done; step = await iterator.next()) out.push(step.value);
  return out;
}
