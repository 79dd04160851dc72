/**
 * `Manager`: Python's `SyncManager` — a BaseManager with the built-in
 * typeids (dict, list, Namespace, Value, Array, Queue, JoinableQueue, Lock,
 * RLock, Condition, Semaphore, BoundedSemaphore, Event, Barrier, Pool) as typed methods.
 */

import type { DictKey, DictSource } from '../shared/dict.js';
import { BaseManager } from './base-manager.js';
import type {
  ArrayProxy, BarrierProxy, ConditionProxy, DictProxy, EventProxy, JoinableQueueProxy, ListProxy, LockProxy, NamespaceProxy, QueueProxy,
  PoolProxy, SemaphoreProxy, ValueProxy,
} from './proxy-types.js';
import type { ManagerPoolOptions } from './pool-type.js';

/**
 * A manager whose server holds Python's SyncManager types. Its methods make
 * an object in the server and resolve with a proxy; every proxy method is
 * async and runs in the server.
 *
 * @example
 * ```ts
 * import { Manager } from 'weft';
 * await using manager = new Manager();
 * await manager.start();
 * const d = await manager.dict<number, string>();
 * await d.set(1, 'one');
 * console.log(await d.get(1), await d.len()); // one 1
 * ```
 * @see Python's `multiprocessing.Manager()` / `SyncManager`
 */
export class Manager extends BaseManager {
  /** A dict in the server (a SharedDict there: the same keys, order and errors). */
  dict<K extends DictKey = DictKey, V = unknown>(init?: DictSource<K, V>): Promise<DictProxy<K, V>> {
    return this.create('dict', init);
  }

  /** A list in the server. */
  list<T = unknown>(items?: Iterable<T>): Promise<ListProxy<T>> {
    return this.create('list', items === undefined ? undefined : [...items]);
  }

  /** A namespace: attributes by name (`get`/`set`). */
  Namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    return this.create('Namespace', init);
  }

  /** A value of any plain data; `typecode` is kept for Python parity only. */
  Value<T = unknown>(typecode: string, value: T): Promise<ValueProxy<T>> {
    return this.create('Value', typecode, value);
  }

  /** An array of plain data; `typecode` is kept for Python parity only. */
  Array<T = unknown>(typecode: string, items: Iterable<T>): Promise<ArrayProxy<T>> {
    return this.create('Array', typecode, [...items]);
  }

  Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    return this.create('Queue', maxsize);
  }

  JoinableQueue<T = unknown>(maxsize = 0): Promise<JoinableQueueProxy<T>> {
    return this.create('JoinableQueue', maxsize);
  }

  /** A lock; one held by a client whose connection closes is released. */
  Lock(): Promise<LockProxy> {
    return this.create('Lock');
  }

  /** A reentrant lock, owned by the connection (the process) that acquired it. */
  RLock(): Promise<LockProxy> {
    return this.create('RLock');
  }

  /** A condition variable; its lock is reentrant and owned by the connection that acquired it. */
  Condition(): Promise<ConditionProxy> {
    return this.create('Condition');
  }

  Semaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create('Semaphore', value);
  }

  BoundedSemaphore(value = 1): Promise<SemaphoreProxy> {
    return this.create('BoundedSemaphore', value);
  }

  Event(): Promise<EventProxy> {
    return this.create('Event');
  }

  Barrier(parties: number): Promise<BarrierProxy> {
    return this.create('Barrier', parties);
  }

  /**
   * A process pool in the server. It runs module tasks
   * (`moduleTask(url, name)`) from the modules listed in this manager's
   * `poolModules`, and refuses any other.
   */
  Pool(options: ManagerPoolOptions = {}): Promise<PoolProxy> {
    return this.create('Pool', options);
  }
}
