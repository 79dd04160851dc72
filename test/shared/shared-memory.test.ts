import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedMemory, SharedMemoryExistsError, SharedMemoryNotFoundError } from '../../src/shared/shared-memory.js';
import { snapshot } from '../../src/shared/registry.js';
import { InvalidStateError, WeftError } from '../../src/errors.js';
import { Thread } from '../../src/run/thread.js';
import { decodeAsync, encode } from '../../src/share/marshal.js';
import { inThread } from '../support/threads.js';

// Worker targets cannot capture variables: they get these URLs as arguments.
const REGISTRY = new URL('../../src/shared/registry.ts', import.meta.url).href;
const SHARED_MEMORY = new URL('../../src/shared/shared-memory.ts', import.meta.url).href;

let unique = 0;
const fresh = (): string => `test-${process.pid}-${++unique}`;

test('creating without a name draws a wnsm_ name; buf is zeroed shared bytes of the size', () => {
  const block = new SharedMemory({ create: true, size: 10 });
  assert.match(block.name, /^wnsm_[0-9a-f]{8}$/);
  assert.equal(block.size, 10);
  assert.ok(block.buf instanceof Uint8Array);
  assert.ok(block.buf.buffer instanceof SharedArrayBuffer);
  assert.deepEqual([...block.buf], new Array(10).fill(0));
  const another = new SharedMemory({ create: true, size: 1 });
  assert.notEqual(another.name, block.name);
  another.unlink();
  block.unlink();
});

test('attaching by name gives the same bytes', () => {
  const name = fresh();
  const created = new SharedMemory({ name, create: true, size: 4 });
  const attached = new SharedMemory({ name, size: 999 }); // the size is ignored when attaching, as in Python
  assert.equal(attached.name, name);
  assert.equal(attached.size, 4);
  created.buf[0] = 42;
  attached.buf[3] = 7;
  assert.equal(attached.buf[0], 42);
  assert.equal(created.buf[3], 7);
  created.unlink();
});

test('creating a name that exists throws SharedMemoryExistsError', () => {
  const name = fresh();
  const block = new SharedMemory({ name, create: true, size: 8 });
  assert.throws(() => new SharedMemory({ name, create: true, size: 8 }), (error: unknown) => {
    assert.ok(error instanceof SharedMemoryExistsError);
    assert.ok(error instanceof WeftError);
    assert.equal(error.code, 'ERR_WEFT_SHARED_MEMORY_EXISTS');
    assert.equal(error.blockName, name);
    assert.equal(error.message, `a shared memory block named '${name}' already exists`);
    return true;
  });
  block.unlink();
});

test('attaching to a name nobody created throws SharedMemoryNotFoundError', () => {
  assert.throws(() => new SharedMemory({ name: 'no-such-block' }), (error: unknown) => {
    assert.ok(error instanceof SharedMemoryNotFoundError);
    assert.equal(error.code, 'ERR_WEFT_SHARED_MEMORY_NOT_FOUND');
    assert.equal(error.blockName, 'no-such-block');
    return true;
  });
});

test('bad options are refused: size, name, create', () => {
  for (const size of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => new SharedMemory({ create: true, size }), { name: 'RangeError', message: /size must be a positive integer number of bytes/ });
  }
  assert.throws(() => new SharedMemory({ create: true }), { name: 'TypeError', message: /creating needs a size in bytes/ });
  assert.throws(() => new SharedMemory({ create: true, size: '8' as unknown as number }), TypeError);
  assert.throws(() => new SharedMemory({ name: '', create: true, size: 8 }), { name: 'TypeError', message: /name must be a non-empty string/ });
  assert.throws(() => new SharedMemory({ name: 5 as unknown as string }), TypeError);
  assert.throws(() => new SharedMemory({ create: 'yes' as unknown as boolean, size: 8 }), TypeError);
  assert.throws(() => new SharedMemory(), { name: 'TypeError', message: /attaching needs a name/ });
});

test('.close() - this handle\'s buf throws afterwards; other handles keep working', () => {
  const block = new SharedMemory({ create: true, size: 4 });
  const other = new SharedMemory({ name: block.name });
  block.close();
  assert.throws(() => block.buf, (error: unknown) => error instanceof InvalidStateError && /the handle is closed/.test(error.message));
  block.close(); // again: nothing happens
  other.buf[0] = 1;
  assert.equal(other.buf[0], 1);
  assert.equal(block.size, 4);
  block.unlink(); // a closed handle may still unlink, as in Python
});

test('disposing a handle closes it', () => {
  const block = new SharedMemory({ create: true, size: 4 });
  let seen: SharedMemory;
  {
    using attached = new SharedMemory({ name: block.name });
    seen = attached;
    assert.equal(attached.buf.length, 4);
  }
  assert.throws(() => seen.buf, InvalidStateError);
  block.unlink();
});

test('.unlink() - the name is gone, existing handles keep working, and the name can be reused', () => {
  const name = fresh();
  const block = new SharedMemory({ name, create: true, size: 4 });
  block.buf[0] = 9;
  block.unlink();
  assert.throws(() => new SharedMemory({ name }), SharedMemoryNotFoundError);
  assert.throws(() => block.unlink(), SharedMemoryNotFoundError);
  assert.equal(block.buf[0], 9);
  const again = new SharedMemory({ name, create: true, size: 2 });
  assert.equal(again.buf[0], 0, 'a new block, not the unlinked one');
  assert.equal(new SharedMemory({ name }).size, 2);
  again.unlink();
});

test('String() reads like Python\'s repr', () => {
  const name = fresh();
  const block = new SharedMemory({ name, create: true, size: 16 });
  assert.equal(String(block), `SharedMemory('${name}', size=16)`);
  block.unlink();
});

test('a sent handle is attached to the same bytes, even once the name is unlinked', async () => {
  const block = new SharedMemory({ create: true, size: 4 });
  const envelope = structuredClone(encode(block, { root: 'args' }));
  block.unlink();
  const copy = (await decodeAsync(envelope)) as SharedMemory;
  assert.ok(copy instanceof SharedMemory);
  assert.equal(copy.name, block.name);
  copy.buf[2] = 5;
  assert.equal(block.buf[2], 5);
  block.close();
  assert.throws(() => encode(block, { root: 'args' }), InvalidStateError);
});

test('a worker attaches by name to a block created on the main thread, and writes go both ways', async () => {
  const block = new SharedMemory({ create: true, size: 8 });
  block.buf.set([1, 2, 3]);
  await inThread(async (registry: string, module: string, seen: Map<string, SharedArrayBuffer>, name: string) => {
    (await import(registry)).seed(seen);
    const { SharedMemory } = await import(module);
    const attached = new SharedMemory({ name });
    if (attached.buf[2] !== 3) throw new Error(`the worker read ${attached.buf[2]}`);
    attached.buf[7] = 99;
  }, [REGISTRY, SHARED_MEMORY, snapshot(), block.name]);
  assert.equal(block.buf[7], 99);
  block.unlink();
});

test('a block created in a worker can be attached by name on the main thread', async () => {
  const name = fresh();
  await inThread(async (module: string, name: string) => {
    const { SharedMemory } = await import(module);
    new SharedMemory({ name, create: true, size: 3 }).buf.set([7, 8, 9]);
  }, [SHARED_MEMORY, name]);
  const attached = new SharedMemory({ name });
  assert.deepEqual([...attached.buf], [7, 8, 9]);
  attached.unlink();
});

test('a running worker sees blocks created and unlinked after it started, without a snapshot', async () => {
  const name = fresh();
  const steps = new Int32Array(new SharedArrayBuffer(8)); // [0] worker's step, [1] main's step
  const thread = new Thread({
    target: async (module: string, name: string, steps: Int32Array) => {
      const { SharedMemory } = await import(module); // subscribes this thread to the registry
      const step = (n: number) => { Atomics.store(steps, 0, n); Atomics.notify(steps, 0); };
      const await_ = (n: number) => { while (Atomics.load(steps, 1) < n) Atomics.wait(steps, 1, Atomics.load(steps, 1)); };
      step(1);
      await_(1); // main created the block
      const attached = new SharedMemory({ name });
      attached.buf[1] = attached.buf[0]! + 1;
      step(2);
      await_(2); // main unlinked it
      try {
        new SharedMemory({ name });
        step(-1);
      } catch {
        step(3);
      }
    },
    args: [SHARED_MEMORY, name, steps],
  });
  thread.start();
  const reached = async (n: number) => { while (Atomics.load(steps, 0) < n && Atomics.load(steps, 0) >= 0) await Atomics.waitAsync(steps, 0, Atomics.load(steps, 0)).value; };
  const tell = (n: number) => { Atomics.store(steps, 1, n); Atomics.notify(steps, 1); };
  await reached(1);
  const block = new SharedMemory({ name, create: true, size: 2 });
  block.buf[0] = 41;
  tell(1);
  await reached(2);
  assert.equal(block.buf[1], 42);
  block.unlink();
  tell(2);
  await thread.join();
  assert.equal(thread.exception, undefined);
  assert.equal(Atomics.load(steps, 0), 3, 'the worker could no longer attach after the unlink');
});

test('of four threads creating the same name at once, exactly one succeeds', async () => {
  const name = fresh();
  const outcomes = new Int32Array(new SharedArrayBuffer(4 * 5)); // [0] gate, [1..4] 1 created | 2 exists
  const threads = Array.from({ length: 4 }, (_, i) => new Thread({
    target: async (registry: string, module: string, seen: Map<string, SharedArrayBuffer>, name: string, out: Int32Array, slot: number) => {
      (await import(registry)).seed(seen); // shares the registry's lock word
      const { SharedMemory, SharedMemoryExistsError } = await import(module);
      Atomics.add(out, 0, 1);
      Atomics.notify(out, 0);
      for (let seenCount = Atomics.load(out, 0); seenCount < 4; seenCount = Atomics.load(out, 0)) Atomics.wait(out, 0, seenCount);
      try {
        new SharedMemory({ name, create: true, size: 8 });
        out[slot] = 1;
      } catch (error) {
        out[slot] = error instanceof SharedMemoryExistsError ? 2 : 3;
      }
    },
    args: [REGISTRY, SHARED_MEMORY, snapshot(), name, outcomes, i + 1],
  }));
  for (const thread of threads) thread.start();
  await Promise.all(threads.map((thread) => thread.join()));
  assert.deepEqual([...outcomes.slice(1)].sort(), [1, 2, 2, 2]);
  new SharedMemory({ name }).unlink();
});

test('a block created right after a Thread starts is visible to it by name', async () => {
  const { Event } = await import('../../src/sync/event.js');
  const go = new Event();
  const seen = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: async (go: InstanceType<typeof Event>, seen: Int32Array, url: string) => {
      const { SharedMemory } = await import(url);
      go.waitSync();
      const block = new SharedMemory({ name: 'weft-test-after-start' });
      Atomics.store(seen, 0, block.buf[0]);
    },
    args: [go, seen, SHARED_MEMORY],
  });
  thread.start();
  // Created immediately after start(), while the worker is still booting.
  const block = new SharedMemory({ name: 'weft-test-after-start', create: true, size: 8 });
  block.buf[0] = 42;
  go.set();
  await thread.join();
  assert.equal(thread.exception, undefined, String(thread.exception));
  assert.equal(seen[0], 42);
  block.unlink();
});
