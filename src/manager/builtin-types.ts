/**
 * The typeids every Manager serves (Python's SyncManager): `dict`, `list`,
 * `Namespace`, `Value`, `Array`, `Queue`, `JoinableQueue`, `Lock`, `RLock`, `Condition`,
 * `Semaphore`, `BoundedSemaphore`, `Event`, `Barrier`, `Pool` (pool-type.ts; in
 * {@link serverTypes}, which knows the owner's pool modules), and
 * `Iterator` (what a dict's or list's `iter()` returns).
 *
 * The objects are weft's own threads-scope ones, living in the server
 * process. Their blocking methods are async, so a call waiting on a lock or
 * a queue parks a promise, not the server: other connections' calls go on.
 * Each blocking call is given its connection's signal, so a caller that
 * disconnects stops waiting; what a connection acquired and did not release
 * is released when it closes, as if the holder had let go.
 */

import { JoinableQueue } from '../queue/joinable-queue.js';
import { Queue } from '../queue/queue.js';
import { SharedDict } from '../shared/dict.js';
import { SharedList } from '../shared/list.js';
import { Barrier } from '../sync/barrier.js';
import { BoundedSemaphore } from '../sync/bounded-semaphore.js';
import { Event } from '../sync/event.js';
import { Semaphore } from '../sync/semaphore.js';
import { CountedSemaphore, HeldLock, options, OwnedCondition, OwnedRLock } from './owned-locks.js';
import { poolType } from './pool-type.js';
import { plainResult, type CallContext, type TypeSpec } from './type-spec.js';

type Methods = Record<string, (object: any, args: any[], context: CallContext) => unknown>;

/** A spec whose methods are those of `methods`; others in `passthrough` call the object's own. */
function spec(
  create: (args: any[]) => unknown,
  methods: Methods,
  passthrough: readonly string[] = [],
  methodToTypeid: Record<string, string> = {},
): TypeSpec {
  const exposed = [...Object.keys(methods), ...passthrough];
  const direct = new Set(passthrough);
  return {
    create: (args) => create(args),
    exposed,
    methodToTypeid,
    call(object, method, args, context) {
      if (direct.has(method)) {
        const result = object[method](...args);
        return result instanceof Promise ? result.then((r) => plainResult(object, r)) : plainResult(object, result);
      }
      return methods[method]!(object, args, context);
    },
  };
}

const iterable = {
  iter: (o: Iterable<unknown>) => o[Symbol.iterator](),
};

const lockMethods: Methods = {
  acquire: (l: HeldLock, [raw], c) => l.acquire(raw, c),
  release: (l: HeldLock) => l.release(),
  locked: (l: HeldLock) => l.lock.locked(),
};

const semaphoreMethods: Methods = {
  acquire: (s: CountedSemaphore, [raw], c) => s.acquire(raw, c),
  release: (s: CountedSemaphore, [n], c) => s.release(n, c),
  getValue: (s: CountedSemaphore) => s.semaphore.value,
};

const queueMethods: Methods = {
  put: (q: Queue, [item, raw], c) => q.put(item, options(raw, c)),
  get: (q: Queue, [raw], c) => q.get(options(raw, c)),
};
const queuePassthrough = ['putNowait', 'getNowait', 'qsize', 'empty', 'full'];

/** A Python `types.SimpleNamespace` kept in the server; its proxy reads and writes attributes by name. */
class Namespace {
  readonly attributes = new Map<string, unknown>();
}

function attributeName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`a Namespace attribute name must be a string, got ${typeof name}`);
  return name;
}

/** The built-in typeids, by name. */
export const builtinTypes: ReadonlyMap<string, TypeSpec> = new Map<string, TypeSpec>([
  [
    'dict',
    spec(
      ([init]) => new SharedDict(init as never),
      {
        ...iterable,
        len: (d: SharedDict) => d.size,
        keys: (d: SharedDict) => [...d.keys()],
        values: (d: SharedDict) => [...d.values()],
        entries: (d: SharedDict) => [...d.entries()],
        // A dict proxy of this server updates from the dict itself.
        update: (d: SharedDict, [source], c) => void d.update((c.local(source) ?? source) as never),
      },
      ['get', 'set', 'has', 'delete', 'clear', 'setdefault', 'pop', 'popitem', 'toMap'],
      { iter: 'Iterator' },
    ),
  ],
  [
    'list',
    spec(
      ([items]) => new SharedList(items as never),
      {
        ...iterable,
        len: (l: SharedList) => l.length,
        extend: (l: SharedList, [items], c) => void l.extend((c.local(items) ?? items) as never),
      },
      ['get', 'at', 'set', 'append', 'push', 'insert', 'pop', 'remove', 'index', 'indexOf', 'includes', 'count', 'slice', 'splice', 'reverse', 'sort', 'clear', 'toArray'],
      { iter: 'Iterator' },
    ),
  ],
  ['Iterator', spec(() => {
    throw new TypeError('an Iterator is made by iter(), not created');
  }, {}, ['next'])],
  [
    'Namespace',
    spec(
      ([init]) => {
        const namespace = new Namespace();
        if (init !== undefined && init !== null) {
          if (typeof init !== 'object') throw new TypeError(`Namespace(init): init must be an object, got ${typeof init}`);
          for (const [name, value] of Object.entries(init)) namespace.attributes.set(name, value);
        }
        return namespace;
      },
      {
        get: (n: Namespace, [name]) => n.attributes.get(attributeName(name)),
        set: (n: Namespace, [name, value]) => void n.attributes.set(attributeName(name), value),
        delete: (n: Namespace, [name]) => n.attributes.delete(attributeName(name)),
        has: (n: Namespace, [name]) => n.attributes.has(attributeName(name)),
        toObject: (n: Namespace) => Object.fromEntries(n.attributes),
      },
    ),
  ],
  [
    'Value',
    // Python's manager Value keeps the typecode for show: the value is any plain data.
    spec(([typecode, value]) => ({ typecode, value }), {
      get: (v: { value: unknown }) => v.value,
      set: (v: { value: unknown }, [value]) => void (v.value = value),
    }),
  ],
  [
    'Array',
    spec(([typecode, items]) => ({ typecode, items: [...((items as Iterable<unknown>) ?? [])] }), {
      get: (a: { items: unknown[] }, [i]) => {
        const index = (i as number) < 0 ? a.items.length + (i as number) : (i as number);
        if (!Number.isInteger(index) || index < 0 || index >= a.items.length) throw new RangeError(`array index ${String(i)} out of range`);
        return a.items[index];
      },
      set: (a: { items: unknown[] }, [i, value]) => {
        const index = (i as number) < 0 ? a.items.length + (i as number) : (i as number);
        if (!Number.isInteger(index) || index < 0 || index >= a.items.length) throw new RangeError(`array index ${String(i)} out of range`);
        a.items[index] = value;
      },
      len: (a: { items: unknown[] }) => a.items.length,
      toArray: (a: { items: unknown[] }) => a.items,
    }),
  ],
  ['Queue', spec(([maxsize]) => new Queue({ maxsize: (maxsize as number) ?? 0 }), queueMethods, queuePassthrough)],
  [
    'JoinableQueue',
    spec(([maxsize]) => new JoinableQueue({ maxsize: (maxsize as number) ?? 0 }), {
      ...queueMethods,
      join: (q: JoinableQueue, [raw], c) => q.join({ timeout: options(raw, c).timeout, signal: c.signal }),
    }, [...queuePassthrough, 'taskDone']),
  ],
  ['Lock', spec(() => new HeldLock(), lockMethods)],
  [
    'RLock',
    spec(() => new OwnedRLock(), {
      acquire: (l: OwnedRLock, [raw], c) => l.acquire(raw, c),
      release: (l: OwnedRLock, _, c) => l.release(c),
      locked: (l: OwnedRLock) => l.locked(),
    }),
  ],
  [
    'Condition',
    spec(() => new OwnedCondition(), {
      acquire: (c: OwnedCondition, [raw], context) => c.lock.acquire(raw, context),
      release: (c: OwnedCondition, _, context) => c.lock.release(context),
      wait: (c: OwnedCondition, [raw], context) => c.wait(raw, context),
      notify: (c: OwnedCondition, [n], context) => c.notify(n, context),
      notifyAll: (c: OwnedCondition, _, context) => c.notify(Infinity, context),
    }),
  ],
  ['Semaphore', spec(([value]) => new CountedSemaphore(new Semaphore((value as number) ?? 1)), semaphoreMethods)],
  ['BoundedSemaphore', spec(([value]) => new CountedSemaphore(new BoundedSemaphore((value as number) ?? 1)), semaphoreMethods)],
  [
    'Event',
    spec(() => new Event(), {
      wait: (e: Event, [raw], c) => e.wait({ timeout: options(raw, c).timeout, signal: c.signal }),
    }, ['set', 'clear', 'isSet']),
  ],
  [
    'Barrier',
    spec(([parties]) => new Barrier(parties as number), {
      wait: (b: Barrier, [raw], c) => b.wait({ timeout: options(raw, c).timeout, signal: c.signal }),
      parties: (b: Barrier) => b.parties,
      nWaiting: (b: Barrier) => b.nWaiting,
      broken: (b: Barrier) => b.broken,
    }, ['reset', 'abort']),
  ],
]);

/**
 * Every built-in typeid of a server whose owner lets its pools run tasks
 * from `poolModules` (ManagerOptions.poolModules; by default none).
 */
export function serverTypes(poolModules: readonly string[] = []): Map<string, TypeSpec> {
  return new Map([...builtinTypes, ['Pool', poolType(poolModules)]]);
}
