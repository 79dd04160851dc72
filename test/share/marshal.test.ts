import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeAsync, encode, formatPath } from '../../src/share/marshal.js';
import { describe, registerShareable, revive } from '../../src/share/protocol.js';
import { DataCloneError } from '../../src/errors.js';
import { Lock } from '../../src/sync/lock.js';
import { Condition } from '../../src/sync/condition.js';
import { Thread } from '../../src/run/thread.js';

/** What the other side would see: structured clone, then decode. */
function roundTrip<T>(value: T): T {
  return decode(structuredClone(encode(value, { root: 'value' }))) as T;
}

test('a value without shareables is sent as is, with no patches', () => {
  const value = { a: [1, 'two', { three: 3n }], b: new Map([[1, new Date(0)]]) };
  const envelope = encode(value, { root: 'args' });
  assert.equal(envelope.value, value);
  assert.equal(envelope.patches, undefined);
  assert.deepEqual(roundTrip(value), value);
});

test('a shareable at any depth arrives as a live handle on the same state', () => {
  const lock = new Lock();
  const sent = { top: lock, nested: [{ deep: lock }], map: new Map<string, unknown>([['k', lock]]) };
  const got = roundTrip(sent);
  for (const handle of [got.top, (got.nested[0] as { deep: Lock }).deep, got.map.get('k') as Lock]) {
    assert.ok(handle instanceof Lock);
    assert.notEqual(handle, lock);
    handle.acquireSync();
    assert.equal(lock.locked(), true, 'the original sees the handle acquire');
    lock.release();
    assert.equal(handle.locked(), false, 'the handle sees the original release');
  }
});

test('the containers on the way to a shareable are copied; the caller\'s value is untouched', () => {
  const lock = new Lock();
  const value = { list: [1, lock] };
  const envelope = encode(value, { root: 'args' });
  assert.equal(value.list[1], lock);
  assert.notEqual(envelope.value, value);
  assert.equal((envelope.value as { list: unknown[] }).list[1], null);
});

test('a shareable as a Map key keeps its entry position', () => {
  const lock = new Lock();
  const map = new Map<unknown, number>([['a', 1], [lock, 2], ['c', 3]]);
  const got = roundTrip(map);
  const keys = [...got.keys()];
  assert.equal(keys[0], 'a');
  assert.ok(keys[1] instanceof Lock);
  assert.equal(keys[2], 'c');
  assert.equal(got.get(keys[1]), 2);
});

test('a shareable that describes itself with another shareable (Condition over its lock)', () => {
  const cond = new Condition(new Lock());
  const got = roundTrip(cond);
  assert.ok(got instanceof Condition);
  got.acquireSync();
  assert.equal(cond.acquireSync({ blocking: false }), false, 'the revived condition holds the same lock');
  got.release();
});

test('a function fails before sending, naming its path', () => {
  assert.throws(
    () => encode([1, { handler: () => 1 }], { root: 'args' }),
    (error: unknown) =>
      error instanceof DataCloneError && error.path === 'args[1].handler' && /is a function/.test(error.message),
  );
});

test('a symbol fails, naming its path', () => {
  assert.throws(() => encode({ 'odd key': Symbol('s') }, { root: 'item' }), { path: 'item["odd key"]' });
});

test('an instance of a class that did not opt in fails, naming the class', () => {
  class Point {
    constructor(readonly x: number) {}
  }
  assert.throws(
    () => encode({ p: new Point(1) }, { root: 'args' }),
    (error: unknown) => error instanceof DataCloneError && /instance of Point/.test(error.message) && error.path === 'args.p',
  );
});

test('a shareable inside a Set fails with a clear message', () => {
  assert.throws(() => encode(new Set([new Lock()]), { root: 'args' }), /inside a Set/);
});

test('a threads-scope shareable bound for another process fails, naming the scope to use', () => {
  assert.throws(
    () => encode([0, new Lock()], { root: 'args', destination: 'process' }),
    (error: unknown) =>
      error instanceof DataCloneError && error.path === 'args[1]' && /threads-scope Lock/.test(error.message) &&
      /processes\.Lock/.test(error.message),
  );
});

test('cycles survive', () => {
  const lock = new Lock();
  const node: { self?: unknown; lock: Lock } = { lock };
  node.self = node;
  const got = roundTrip(node);
  assert.equal(got.self, got);
  assert.ok(got.lock instanceof Lock);
});

test('formatPath() writes paths the way a user would', () => {
  assert.equal(formatPath('args', [0, 'a', 'b c', { entry: 2, key: false }]), 'args[0].a["b c"].values()[2]');
});

test('decode() of an unregistered kind names the kind', () => {
  const envelope = { value: null, patches: [{ path: [], kind: 'nobody.Knows', module: undefined, data: { value: 1 } }] };
  assert.throws(() => decode(envelope), /nobody\.Knows/);
});

test('user classes join the protocol and cross to a worker thread live', async () => {
  const url = new URL('./fixtures/tally.ts', import.meta.url);
  const { Tally } = (await import(url.href)) as typeof import('./fixtures/tally.js');
  const tally = new Tally();
  const thread = new Thread({
    target: (t: InstanceType<typeof Tally>) => {
      t.bump(5);
    },
    args: [tally],
  });
  thread.start();
  await thread.join();
  assert.equal(thread.exception, undefined);
  assert.equal(tally.count, 5);
  assert.deepEqual(await decodeAsync(structuredClone(encode(tally, { root: 'x' }))).then((t) => (t as typeof tally).count), 5);
});

test('registerShareable() refuses a class without [describe]/[revive] and a kind taken by another class', () => {
  class Bare {}
  assert.throws(() => registerShareable('x.Bare', Bare as never), TypeError);
  class A {
    [describe]() {
      return 1;
    }
    static [revive]() {
      return new A();
    }
  }
  class B extends A {}
  registerShareable('x.A', A);
  assert.throws(() => registerShareable('x.A', B), /already registered/);
});

test('two shareable Map keys stay two entries', () => {
  const a = new Lock();
  const b = new Lock();
  const got = roundTrip(new Map<unknown, string>([[a, 'a'], [b, 'b']]));
  assert.equal(got.size, 2);
  assert.deepEqual([...got.values()], ['a', 'b']);
  for (const key of got.keys()) assert.ok(key instanceof Lock);
});
