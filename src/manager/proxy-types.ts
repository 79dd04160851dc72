/**
 * The proxy types of the built-in typeids: the methods of the object in
 * the server, each returning a Promise.
 */

import type { DictKey, DictSource } from '../shared/dict.js';
import type { SortOptions } from '../shared/list.js';
import type { BaseProxy } from './proxy.js';

type P<T> = Promise<T>;

/** Blocking options a manager call takes (no signal: the wait happens in the server). */
export interface RemoteBlockingOptions {
  blocking?: boolean;
  /** Milliseconds. */
  timeout?: number;
}

/** A dict or list iterator living in the server (what `iter()` returns). */
export interface IteratorProxy<T> extends BaseProxy {
  next(): P<IteratorResult<T, undefined>>;
}

/** A proxy for a manager `dict`: a SharedDict's methods, async. `len()` is Python's `len(d)`. */
export interface DictProxy<K extends DictKey = DictKey, V = unknown> extends BaseProxy, AsyncIterable<[K, V]> {
  get(key: K): P<V | undefined>;
  get<D>(key: K, fallback: D): P<V | D>;
  set(key: K, value: V): P<void>;
  has(key: K): P<boolean>;
  delete(key: K): P<boolean>;
  clear(): P<void>;
  update(source: DictSource<K, V>): P<void>;
  setdefault(key: K, fallback: V): P<V>;
  pop(key: K): P<V>;
  pop<D>(key: K, fallback: D): P<V | D>;
  popitem(): P<[K, V]>;
  keys(): P<K[]>;
  values(): P<V[]>;
  entries(): P<[K, V][]>;
  toMap(): P<Map<K, V>>;
  len(): P<number>;
  iter(): P<IteratorProxy<[K, V]>>;
}

/** A proxy for a manager `list`: a SharedList's methods, async. `sort` takes no functions (they cannot cross). */
export interface ListProxy<T = unknown> extends BaseProxy, AsyncIterable<T> {
  get(index: number): P<T>;
  at(index: number): P<T | undefined>;
  set(index: number, value: T): P<void>;
  append(item: T): P<void>;
  push(...items: T[]): P<number>;
  extend(items: Iterable<T>): P<void>;
  insert(index: number, item: T): P<void>;
  pop(index?: number): P<T>;
  remove(value: T): P<void>;
  index(value: T, start?: number, stop?: number): P<number>;
  indexOf(value: T, fromIndex?: number): P<number>;
  includes(value: T): P<boolean>;
  count(value: T): P<number>;
  slice(start?: number, end?: number): P<T[]>;
  splice(start: number, deleteCount?: number, ...items: T[]): P<T[]>;
  reverse(): P<void>;
  sort(options?: Omit<SortOptions<T>, 'key'>): P<void>;
  clear(): P<void>;
  toArray(): P<T[]>;
  len(): P<number>;
  iter(): P<IteratorProxy<T>>;
}

/** A proxy for a manager `Namespace`: attributes read and written by name. */
export interface NamespaceProxy extends BaseProxy {
  get(name: string): P<unknown>;
  set(name: string, value: unknown): P<void>;
  delete(name: string): P<boolean>;
  has(name: string): P<boolean>;
  toObject(): P<Record<string, unknown>>;
}

/** A proxy for a manager `Value`. */
export interface ValueProxy<T = unknown> extends BaseProxy {
  get(): P<T>;
  set(value: T): P<void>;
}

/** A proxy for a manager `Array`. */
export interface ArrayProxy<T = unknown> extends BaseProxy {
  get(index: number): P<T>;
  set(index: number, value: T): P<void>;
  len(): P<number>;
  toArray(): P<T[]>;
}

/** A proxy for a manager `Queue` (and, with `taskDone`/`join`, `JoinableQueue`). */
export interface QueueProxy<T = unknown> extends BaseProxy {
  put(item: T, options?: RemoteBlockingOptions): P<void>;
  get(options?: RemoteBlockingOptions): P<T>;
  putNowait(item: T): P<void>;
  getNowait(): P<T>;
  qsize(): P<number>;
  empty(): P<boolean>;
  full(): P<boolean>;
}

export interface JoinableQueueProxy<T = unknown> extends QueueProxy<T> {
  taskDone(): P<void>;
  join(options?: { timeout?: number }): P<boolean>;
}

/** A proxy for a manager `Lock` or `RLock`. A lock held by a connection that closes is released. */
export interface LockProxy extends BaseProxy {
  acquire(options?: RemoteBlockingOptions): P<boolean>;
  release(): P<void>;
  locked(): P<boolean>;
}

/** A proxy for a manager `Semaphore` / `BoundedSemaphore`. */
export interface SemaphoreProxy extends BaseProxy {
  acquire(options?: RemoteBlockingOptions): P<boolean>;
  release(n?: number): P<void>;
  getValue(): P<number>;
}

/** A proxy for a manager `Event`. */
export interface EventProxy extends BaseProxy {
  set(): P<void>;
  clear(): P<void>;
  isSet(): P<boolean>;
  wait(options?: { timeout?: number }): P<boolean>;
}

/** A proxy for a manager `Barrier`. */
export interface BarrierProxy extends BaseProxy {
  wait(options?: { timeout?: number }): P<number>;
  reset(): P<void>;
  abort(): P<void>;
  parties(): P<number>;
  nWaiting(): P<number>;
  broken(): P<boolean>;
}

/** A proxy for a manager `Condition` (its lock is an RLock owned by the connection that acquired it). */
export interface ConditionProxy extends LockProxy {
  /** Releases the lock, waits for a notify (or the timeout: then `false`), takes the lock back. */
  wait(options?: { timeout?: number }): P<boolean>;
  notify(n?: number): P<void>;
  notifyAll(): P<void>;
}
