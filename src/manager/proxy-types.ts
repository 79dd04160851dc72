/**
 * The proxy types of the built-in typeids: the methods of the object in
 * the server, each returning a Promise.
 */

import type { DictKey, DictSource } from '../shared/dict.js';
import type { SortOptions } from '../shared/list.js';
import type { AnyFunction, ModuleTask } from '../run/task.js';
import type { BaseProxy } from './proxy.js';

type P<T> = Promise<T>;

/**
 * `<method>Sync` for every method: the same call, blocking the calling
 * thread until the result is back (for worker threads and child processes
 * that may block; see `BaseProxy.callMethodSync`).
 */
// A method's type (bivariant in its parameters, as methods are), not a function property's.
type Method<A extends unknown[], R> = { method(...args: A): R }['method'];

export type SyncMethods<T> = {
  [K in keyof T as T[K] extends (...args: any[]) => Promise<unknown> ? `${K & string}Sync` : never]: T[K] extends (...args: infer A) => Promise<infer R> ? Method<A, R> : never;
};

/** Blocking options a manager call takes (no signal: the wait happens in the server). */
export interface RemoteBlockingOptions {
  blocking?: boolean;
  /** Milliseconds. */
  timeout?: number;
}

/** A dict or list iterator living in the server (what `iter()` returns). */
export type IteratorProxy<T> = BaseProxy & IteratorMethods<T> & SyncMethods<IteratorMethods<T>>;
export interface IteratorMethods<T> {
  next(): P<IteratorResult<T, undefined>>;
}

/** A proxy for a manager `dict`: a SharedDict's methods, async. `len()` is Python's `len(d)`. */
export type DictProxy<K extends DictKey = DictKey, V = unknown> = BaseProxy & DictMethods<K, V> & SyncMethods<DictMethods<K, V>> & AsyncIterable<[K, V]>;
export interface DictMethods<K extends DictKey = DictKey, V = unknown> {
  /** The value, or `fallback` (default `undefined`) if the key is not there. */
  get<D = undefined>(key: K, fallback?: D): P<V | D>;
  set(key: K, value: V): P<void>;
  has(key: K): P<boolean>;
  delete(key: K): P<boolean>;
  clear(): P<void>;
  update(source: DictSource<K, V>): P<void>;
  setdefault(key: K, fallback: V): P<V>;
  /** Removes the key and resolves with its value, or `fallback` if given; KeyError otherwise. */
  pop<D = never>(key: K, fallback?: D): P<V | D>;
  popitem(): P<[K, V]>;
  keys(): P<K[]>;
  values(): P<V[]>;
  entries(): P<[K, V][]>;
  toMap(): P<Map<K, V>>;
  len(): P<number>;
  iter(): P<IteratorProxy<[K, V]>>;
}

/** A proxy for a manager `list`: a SharedList's methods, async. `sort` takes no functions (they cannot cross). */
export type ListProxy<T = unknown> = BaseProxy & ListMethods<T> & SyncMethods<ListMethods<T>> & AsyncIterable<T>;
export interface ListMethods<T = unknown> {
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
export type NamespaceProxy = BaseProxy & NamespaceMethods & SyncMethods<NamespaceMethods>;
export interface NamespaceMethods {
  get(name: string): P<unknown>;
  set(name: string, value: unknown): P<void>;
  delete(name: string): P<boolean>;
  has(name: string): P<boolean>;
  toObject(): P<Record<string, unknown>>;
}

/** A proxy for a manager `Value`. */
export type ValueProxy<T = unknown> = BaseProxy & ValueMethods<T> & SyncMethods<ValueMethods<T>>;
export interface ValueMethods<T = unknown> {
  get(): P<T>;
  set(value: T): P<void>;
}

/** A proxy for a manager `Array`. */
export type ArrayProxy<T = unknown> = BaseProxy & ArrayMethods<T> & SyncMethods<ArrayMethods<T>>;
export interface ArrayMethods<T = unknown> {
  get(index: number): P<T>;
  set(index: number, value: T): P<void>;
  len(): P<number>;
  toArray(): P<T[]>;
}

/** A proxy for a manager `Queue` (and, with `taskDone`/`join`, `JoinableQueue`). */
export type QueueProxy<T = unknown> = BaseProxy & QueueMethods<T> & SyncMethods<QueueMethods<T>>;
export interface QueueMethods<T = unknown> {
  put(item: T, options?: RemoteBlockingOptions): P<void>;
  get(options?: RemoteBlockingOptions): P<T>;
  putNowait(item: T): P<void>;
  getNowait(): P<T>;
  qsize(): P<number>;
  empty(): P<boolean>;
  full(): P<boolean>;
}

export type JoinableQueueProxy<T = unknown> = BaseProxy & JoinableQueueMethods<T> & SyncMethods<JoinableQueueMethods<T>>;
export interface JoinableQueueMethods<T = unknown> extends QueueMethods<T> {
  taskDone(): P<void>;
  join(options?: { timeout?: number }): P<boolean>;
}

/** A proxy for a manager `Lock` or `RLock`. A lock held by a connection that closes is released. */
export type LockProxy = BaseProxy & LockMethods & SyncMethods<LockMethods>;
export interface LockMethods {
  acquire(options?: RemoteBlockingOptions): P<boolean>;
  release(): P<void>;
  locked(): P<boolean>;
}

/** A proxy for a manager `Semaphore` / `BoundedSemaphore`. */
export type SemaphoreProxy = BaseProxy & SemaphoreMethods & SyncMethods<SemaphoreMethods>;
export interface SemaphoreMethods {
  acquire(options?: RemoteBlockingOptions): P<boolean>;
  release(n?: number): P<void>;
  getValue(): P<number>;
}

/** A proxy for a manager `Event`. */
export type EventProxy = BaseProxy & EventMethods & SyncMethods<EventMethods>;
export interface EventMethods {
  set(): P<void>;
  clear(): P<void>;
  isSet(): P<boolean>;
  wait(options?: { timeout?: number }): P<boolean>;
}

/** A proxy for a manager `Barrier`. */
export type BarrierProxy = BaseProxy & BarrierMethods & SyncMethods<BarrierMethods>;
export interface BarrierMethods {
  wait(options?: { timeout?: number }): P<number>;
  reset(): P<void>;
  abort(): P<void>;
  parties(): P<number>;
  nWaiting(): P<number>;
  broken(): P<boolean>;
}

/** A proxy for a manager `Condition` (its lock is an RLock owned by the connection that acquired it). */
export type ConditionProxy = BaseProxy & ConditionMethods & SyncMethods<ConditionMethods>;
export interface ConditionMethods extends LockMethods {
  /** Releases the lock, waits for a notify (or the timeout: then `false`), takes the lock back. */
  wait(options?: { timeout?: number }): P<boolean>;
  notify(n?: number): P<void>;
  notifyAll(): P<void>;
}

/**
 * A proxy for a manager `Pool`: a process pool in the server. Tasks are
 * module tasks (`moduleTask(url, name)`) from the modules the manager's
 * owner listed in `poolModules`; items and results are plain data.
 */
export type PoolProxy = BaseProxy & PoolMethods & SyncMethods<PoolMethods>;
export interface PoolMethods {
  /** Runs `task(...args)` in one of the server's pool processes (Python's `apply`). */
  apply<F extends AnyFunction>(task: ModuleTask<F>, args?: Parameters<F>): P<Awaited<ReturnType<F>>>;
  /** `task` over `items`, in order, in chunks of `chunksize` (default: about four per process). */
  map<T, R>(task: ModuleTask<(item: T) => R>, items: readonly T[], chunksize?: number): P<Awaited<R>[]>;
  /** Like {@link map}, each item an array of arguments. */
  starmap<A extends unknown[], R>(task: ModuleTask<(...args: A) => R>, items: readonly A[], chunksize?: number): P<Awaited<R>[]>;
  /** No more tasks; the processes exit once the queued ones are done. */
  close(): P<void>;
  /** Stops the processes now; tasks not done fail. */
  terminate(): P<void>;
  /** Waits until the processes have exited (after `close()` or `terminate()`), at most `timeout` ms. */
  join(timeout?: number): P<void>;
}
