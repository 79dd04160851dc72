import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ItemWriter, decodeItem, encodeItem } from '../../src/queue/codec.js';
import { DataCloneError } from '../../src/errors.js';

const writer = new ItemWriter();

/** Encodes and decodes `value`, as a queue would between two threads. */
function roundTrip<T>(value: T, buffers: SharedArrayBuffer[] = []): T {
  encodeItem(value, writer, buffers);
  return decodeItem(writer.bytes, 0, writer.length, buffers) as T;
}

/** The same for an array the caller vouches is dense (a task's argument list, a map chunk). */
function roundTripDense(value: unknown[]): unknown[] {
  encodeItem(value, writer, [], false, true);
  return decodeItem(writer.bytes, 0, writer.length, []) as unknown[];
}

/** The bytes of `value`'s encoding, copied out of the shared writer. */
function encoded(value: unknown, buffers: SharedArrayBuffer[] = []): Uint8Array {
  encodeItem(value, writer, buffers);
  return writer.bytes.slice(0, writer.length);
}

/** Asserts the codec gives what structuredClone gives, as far as deepStrictEqual sees. */
function assertClones(value: unknown, message?: string): void {
  assert.deepStrictEqual(roundTrip(value), structuredClone(value), message);
}

function assertCorrupt(bytes: Uint8Array, buffers: SharedArrayBuffer[] = []): void {
  assert.throws(() => decodeItem(bytes, 0, bytes.length, buffers), (error: unknown) => {
    assert.ok(error instanceof RangeError, `expected a RangeError, got ${String(error)}`);
    assert.match(error.message, /^corrupt item: /);
    return true;
  });
}

test('primitives round-trip, including -0, NaN and the int32 edges', () => {
  const numbers = [
    0, -0, 1, 63, 64, 127, 128, -1, -64, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 1.5, -1.5,
    NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, Number.MAX_SAFE_INTEGER, 1e300,
  ];
  for (const value of [undefined, null, true, false, ...numbers]) {
    const got = roundTrip(value);
    assert.ok(Object.is(got, value), `${String(value)} came back as ${String(got)}`);
  }
});

test('small ints take one byte and int32s five', () => {
  assert.equal(encoded(5).length, 1);
  assert.equal(encoded(-5).length, 5);
  assert.equal(encoded(2 ** 31 - 1).length, 5);
  assert.equal(encoded(2 ** 31).length, 9);
  assert.equal(encoded(-0).length, 9);
});

test('bigints of any size and sign round-trip', () => {
  const values = [
    0n, 1n, -1n, 255n, 256n, -256n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n,
    -(2n ** 64n), 2n ** 1000n + 12345n, -(3n ** 500n), 0x0123456789abcdef0123456789abcdefn,
  ];
  for (const value of values) assert.equal(roundTrip(value), value);
});

test('strings round-trip: ASCII, latin1, two-byte, astral and lone surrogates, short and long', () => {
  const values = [
    '', 'x', 'hello', 'a'.repeat(20), 'a'.repeat(21), 'a'.repeat(63), 'a'.repeat(64), 'b'.repeat(100_000),
    'café', 'ÿ\u0080\u00ff', 'é'.repeat(5000), '\0\0nul', '日本語', '€', '😀 emoji', 'x'.repeat(70) + '😀',
    '\ud800', '\udc00x', 'a\ud800b\udfff', 'x'.repeat(100) + '\ud800', '\ud83d'.repeat(1000), 'ab\u0100',
    // two-byte inside V8 but every character fits latin1
    ('日' + 'é'.repeat(80)).slice(1),
  ];
  for (const value of values) assert.equal(roundTrip(value), value, JSON.stringify(value.slice(0, 20)));
});

test('one-byte strings take one byte a character, others two', () => {
  assert.equal(encoded('x').length, 2);
  assert.equal(encoded('é'.repeat(100)).length, 1 + 1 + 100);
  assert.equal(encoded('日'.repeat(100)).length, 1 + 1 + 200);
});

test('arrays round-trip with holes, sparse lengths and extra properties, as structuredClone keeps them', () => {
  const holey = [1, , 3];
  const trailing = [1, 2, 3];
  trailing.length = 10;
  const sparse: number[] = [];
  sparse[1_000_000] = 1;
  const extra = Object.assign([1, 2], { name: 'extra', '-1': 'negative', '4294967295': 'not an index' });
  const balanced = Object.assign([, 1], { extra: 2 }); // as many keys as its length
  const match = /b(?<x>c)/.exec('abcd')!;
  for (const value of [[], [1, 2, 3], [[1], [2, [3]]], holey, trailing, sparse, extra, [undefined, null], match, balanced]) {
    assertClones(value);
  }
  const got = roundTrip(holey);
  assert.equal(1 in got, false, 'a hole stays a hole');
  assert.equal(roundTrip(sparse).length, 1_000_001);
  assert.ok(encoded(sparse).length < 32, 'a sparse array is sent by its entries, not its length');
});

test('plain objects keep their own enumerable string keys, in order, integer-like keys first', () => {
  const ordered = { b: 1, 2: 'two', a: 2, 1: 'one', '-1': 3, '01': 4, 4294967295: 5, 4294967294: 6 };
  const withProto = JSON.parse('{"__proto__": {"x": 1}, "a": 1}');
  const nullProto = Object.assign(Object.create(null), { a: 1, b: { c: 2 } });
  const hidden = { visible: 1 };
  Object.defineProperty(hidden, 'hidden', { value: 2, enumerable: false });
  Object.assign(hidden, { [Symbol('s')]: 3 });
  const unicode = { 'ключ': 1, '鍵': 2, '😀': 3, ['k'.repeat(30)]: 4, '': 5 };
  const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, i]));
  for (const value of [{}, { a: 1 }, { a: { b: { c: {} } } }, ordered, withProto, nullProto, hidden, unicode, many]) {
    assertClones(value);
  }
  assert.deepEqual(Object.keys(roundTrip(ordered)), Object.keys(ordered));
  const proto = roundTrip(withProto);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, '__proto__ stays an own key');
  assert.deepEqual(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { x: 1 });
  assert.equal(Object.getPrototypeOf(roundTrip(nullProto)), Object.prototype);
});

test('class instances arrive as plain objects of their own enumerable properties; getters run', () => {
  class Point {
    constructor(public x: number, public y: number) {}
    get length(): number {
      return Math.hypot(this.x, this.y);
    }
  }
  assertClones(new Point(3, 4));
  assert.equal(Object.getPrototypeOf(roundTrip(new Point(3, 4))), Object.prototype);
  let reads = 0;
  const withGetter = {
    get computed() {
      reads++;
      return 'value';
    },
  };
  assert.deepEqual(roundTrip(withGetter), { computed: 'value' });
  assert.equal(reads, 1);
});

test('a key deleted by a getter during encoding is skipped, as structuredClone skips it', () => {
  const make = () => {
    const o: Record<string, unknown> = {};
    Object.defineProperty(o, 'a', { enumerable: true, get: () => (delete o.b, 1) });
    o.b = 2;
    o.c = 3;
    return o;
  };
  assert.deepEqual(roundTrip(make()), structuredClone(make()));
});

test('an enumerable property added to Object.prototype is not sent', () => {
  const key = 'codecTestPolluted';
  (Object.prototype as Record<string, unknown>)[key] = 'inherited';
  try {
    const got = roundTrip({ a: 1, nested: { b: 2 } });
    assert.deepEqual(Object.keys(got), ['a', 'nested']);
    assert.deepEqual(Object.keys(got.nested), ['b']);
  } finally {
    delete (Object.prototype as Record<string, unknown>)[key];
  }
});

test('Maps and Sets round-trip in insertion order, with object keys', () => {
  const key = { k: 1 };
  const map = new Map<unknown, unknown>([[1, 'one'], ['1', 'string one'], [key, [1, 2]], [NaN, -0], [null, undefined]]);
  const set = new Set<unknown>([1, '1', key, NaN, { a: 1 }]);
  for (const value of [new Map(), new Set(), map, set, new Map([[new Set([1]), new Map([[2, 3]])]])]) assertClones(value);
  const got = roundTrip({ map, set });
  assert.equal([...got.map.keys()][2], [...got.set][2], 'the key object is one object on both sides');
  class MyMap extends Map<number, number> {}
  assert.equal(roundTrip(new MyMap([[1, 2]])).constructor, Map);
});

test('Dates, RegExps and primitive wrappers round-trip', () => {
  const sticky = /a+/gy;
  sticky.lastIndex = 3;
  const values = [
    new Date(0), new Date(-1e12), new Date(8.64e15), /x/, /a\/b[c]/dgimsuy, new RegExp('\\p{L}+', 'v'), /(?<name>é+)\1/u, sticky,
    Object(-0), Object(NaN), Object(1.5), Object('é日\ud800'), Object(''), Object(false), Object(true), Object(5n),
    Object(-(2n ** 100n)),
  ];
  for (const value of values) assertClones(value);
  assert.equal(roundTrip(sticky).lastIndex, 0, 'lastIndex is not sent');
  // deepStrictEqual calls two invalid Dates different, so this one is checked by hand.
  const invalid = roundTrip(new Date(NaN));
  assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()));
  assert.equal(roundTrip(/a\/b[c]/dgimsuy).flags, 'dgimsuy');
  assert.ok(Object.is(roundTrip(Object(-0)).valueOf(), -0));
});

test('ArrayBuffers are copied, resizable ones stay resizable', () => {
  const ab = new Uint8Array([1, 2, 3, 4]).buffer;
  const got = roundTrip(ab);
  assert.notEqual(got, ab);
  assert.deepEqual(new Uint8Array(got), new Uint8Array([1, 2, 3, 4]));
  assertClones(new ArrayBuffer(0));
  type Resizable = ArrayBuffer & { resizable: boolean; maxByteLength: number };
  const resizable = new (ArrayBuffer as unknown as new (n: number, o: object) => Resizable)(4, { maxByteLength: 64 });
  new Uint8Array(resizable).set([9, 8, 7, 6]);
  const copy = roundTrip(resizable);
  assert.equal(copy.resizable, true);
  assert.equal(copy.maxByteLength, 64);
  assert.deepEqual(new Uint8Array(copy), new Uint8Array([9, 8, 7, 6]));
});

test('every typed array kind and DataView round-trips with its byteOffset and whole buffer, as structuredClone does', () => {
  const kinds = [
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array,
    Float64Array, BigInt64Array, BigUint64Array,
  ] as const;
  for (const Kind of kinds) {
    const buffer = new ArrayBuffer(64);
    new Uint8Array(buffer).forEach((_, i, a) => (a[i] = i * 7));
    const view = new Kind(buffer, 8, 4);
    const got = roundTrip(view);
    const want = structuredClone(view);
    assert.equal(got.constructor, Kind);
    assert.deepStrictEqual(got, want);
    assert.equal(got.byteOffset, want.byteOffset);
    assert.equal(got.length, want.length);
    assert.equal(got.buffer.byteLength, want.buffer.byteLength, `${Kind.name}: the whole buffer is cloned`);
    assert.deepEqual(new Uint8Array(got.buffer), new Uint8Array(buffer));
  }
  const dataView = new DataView(new ArrayBuffer(16), 3, 5);
  const got = roundTrip(dataView);
  assert.ok(got instanceof DataView);
  assert.deepEqual([got.byteOffset, got.byteLength, got.buffer.byteLength], [3, 5, 16]);
  assertClones(new Float64Array([1.5, -0, NaN, Infinity]));
});

test('views over one ArrayBuffer arrive over one copied buffer', () => {
  const buffer = new ArrayBuffer(16);
  const a = new Uint8Array(buffer);
  const b = new Uint16Array(buffer, 8, 4);
  const [ga, gb, gbuffer, ga2] = roundTrip([a, b, buffer, a]);
  assert.equal(ga.buffer, gb.buffer);
  assert.equal(ga.buffer, gbuffer);
  assert.equal(ga, ga2);
  assert.notEqual(gbuffer, buffer);
  ga[8] = 1;
  assert.equal(gb[0], 1, 'the decoded views alias each other');
  assert.equal(new Uint8Array(buffer)[8], 0, 'but not the original');
});

test('SharedArrayBuffers and views over them go by reference and alias the same memory', () => {
  const sab = new SharedArrayBuffer(32);
  const other = new SharedArrayBuffer(8);
  const view = new Int32Array(sab, 4, 4);
  const buffers: SharedArrayBuffer[] = [];
  const got = roundTrip({ sab, view, again: sab, dv: new DataView(sab, 2, 6), other, bytes: new Uint8Array(other) }, buffers);
  assert.deepEqual(buffers, [sab, other], 'each distinct buffer is listed once');
  assert.equal(got.sab, sab);
  assert.equal(got.again, sab);
  assert.equal(got.view.buffer, sab);
  assert.deepEqual([got.view.byteOffset, got.view.length], [4, 4]);
  assert.deepEqual([got.dv.byteOffset, got.dv.byteLength], [2, 6]);
  got.view[0] = 42;
  assert.equal(view[0], 42, 'a write through the decoded view is seen by the original');
  got.bytes[0] = 7;
  assert.equal(new Uint8Array(other)[0], 7);
});

test('a buffers list given with entries already in it is reused by index', () => {
  const first = new SharedArrayBuffer(4);
  const second = new SharedArrayBuffer(4);
  const buffers = [first];
  const got = roundTrip([second, first, new Uint8Array(second)] as const, buffers);
  assert.deepEqual(buffers, [first, second]);
  assert.equal(got[0], second);
  assert.equal(got[1], first);
  assert.equal(got[2].buffer, second);
});

test('growable SharedArrayBuffers go by reference', () => {
  type Growable = SharedArrayBuffer & { growable: boolean; grow(n: number): void };
  const growable = new (SharedArrayBuffer as unknown as new (n: number, o: object) => Growable)(8, { maxByteLength: 64 });
  const got = roundTrip({ growable, view: new Uint8Array(growable, 0, 4) });
  assert.equal(got.growable, growable);
  assert.equal(got.view.buffer, growable);
});

/** What of an error structured clone keeps: constructor, message, stack, cause and which own properties exist. */
function errorShape(error: Error): unknown {
  const own = Object.getOwnPropertyNames(error).sort();
  return {
    constructor: error.constructor,
    name: error.name,
    message: error.message,
    stack: error.stack,
    cause: (error as { cause?: unknown }).cause,
    own,
    descriptors: own.map((key) => {
      const { value, ...rest } = Object.getOwnPropertyDescriptor(error, key)!;
      return { key, ...rest, type: typeof value };
    }),
  };
}

test('Errors keep their type, message, stack and cause, as structuredClone keeps them', () => {
  class CustomError extends TypeError {
    code = 'E_CUSTOM';
  }
  const renamed = new Error('renamed');
  renamed.name = 'RangeError';
  const unknownName = new Error('unknown name');
  unknownName.name = 'NotAKnownError';
  const noStack = new Error('no stack');
  delete (noStack as { stack?: string }).stack;
  const numberMessage = new Error('x');
  (numberMessage as { message: unknown }).message = 42;
  const messageGetter = new Error('x');
  Object.defineProperty(messageGetter, 'message', { get: () => 'from a getter' });
  const errors: Error[] = [
    new Error('plain'), new EvalError('eval'), new RangeError('range'), new ReferenceError('reference'),
    new SyntaxError('syntax'), new TypeError('type'), new URIError('uri'), new Error(), new Error('with cause', { cause: 42 }),
    new Error('undefined cause', { cause: undefined }), new Error('object cause', { cause: { deep: [1] } }),
    new Error('error cause', { cause: new RangeError('inner') }), new CustomError('custom'), renamed, unknownName,
    noStack, numberMessage, messageGetter, new AggregateError([new Error('a')], 'aggregate'),
    new DataCloneError('item.x', 'a weft error'),
  ];
  for (const error of errors) {
    const got = roundTrip(error);
    const want = structuredClone(error);
    assert.deepStrictEqual(errorShape(got), errorShape(want), error.message);
  }
  const cyclic = new Error('cyclic') as Error & { cause?: unknown };
  cyclic.cause = cyclic;
  const got = roundTrip(cyclic);
  assert.equal(got.cause, got);
});

test('an object met twice arrives as one object, and cycles close', () => {
  const shared = { shared: true };
  const value = { a: shared, b: [shared, shared], c: new Map([[shared, shared]]) };
  const got = roundTrip(value);
  assert.equal(got.a, got.b[0]);
  assert.equal(got.a, got.b[1]);
  assert.equal(got.a, [...got.c.keys()][0]);
  assert.equal(got.a, [...got.c.values()][0]);

  const cycle: Record<string, unknown> = { name: 'root' };
  cycle.self = cycle;
  cycle.list = [cycle, { back: cycle }];
  const gotCycle = roundTrip(cycle);
  assert.equal(gotCycle.self, gotCycle);
  assert.equal((gotCycle.list as unknown[])[0], gotCycle);
  assert.deepStrictEqual(gotCycle, structuredClone(cycle));

  const array: unknown[] = [1];
  array.push(array);
  const selfArray = roundTrip(array);
  assert.equal(selfArray[1], selfArray);

  const map = new Map<unknown, unknown>();
  map.set(map, map);
  const gotMap = roundTrip(map);
  assert.equal(gotMap.get(gotMap), gotMap);
  const set = new Set<unknown>();
  set.add(set);
  const gotSet = roundTrip(set);
  assert.ok(gotSet.has(gotSet));
});

test('identity holds across many objects (past the few looked up without a map)', () => {
  const objects = Array.from({ length: 50 }, (_, i) => ({ i }));
  const value = [...objects, ...objects.slice().reverse(), objects[3], objects[40]];
  const got = roundTrip(value);
  for (let i = 0; i < 50; i++) {
    assert.equal(got[i], got[99 - i]);
    assert.deepEqual(got[i], { i });
  }
  assert.equal(got[100], got[3]);
  assert.equal(got[101], got[40]);
  assert.equal(new Set(got).size, 50);
});

test('what structuredClone refuses is refused with a DataCloneError naming where it sits', () => {
  const cases: [unknown, string][] = [
    [{ a: [1, { f() {} }] }, 'item.a[1].f'],
    [{ s: Symbol('q') }, 'item.s'],
    [new Map([['k', () => 1]]), 'item.values()[0]'],
    [{ p: new Proxy({}, {}) }, 'item.p'],
    [[new Proxy([], {})], 'item[0]'],
    [{ w: new WeakMap() }, 'item.w'],
    [{ promise: Promise.resolve() }, 'item.promise'],
    [() => 1, 'item'],
  ];
  for (const [value, path] of cases) {
    assert.throws(() => structuredClone(value), { name: 'DataCloneError' }, `structuredClone refuses ${path} too`);
    writer.reset();
    encodeItem({ earlier: 'content' }, writer, []);
    assert.throws(() => encodeItem(value, writer, []), (error: unknown) => {
      assert.ok(error instanceof DataCloneError, String(error));
      assert.equal(error.path, path);
      assert.ok(error.message.startsWith(path), error.message);
      return true;
    });
    assert.equal(writer.length, 0, 'a failed encoding leaves the writer empty');
  }
  assert.throws(() => encodeItem(new Blob(['x']), writer, []), /Blob/);
  const detached = new ArrayBuffer(8);
  structuredClone(detached, { transfer: [detached] });
  assert.throws(() => encodeItem({ detached }, writer, []), (error: unknown) => error instanceof DataCloneError && /detached/.test(error.message));
});

test('the writer grows for a 5 MiB item and keeps its buffer for the next ones', () => {
  const own = new ItemWriter(64);
  assert.equal(own.bytes.length, 64);
  const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => i % 251);
  encodeItem(big, own, []);
  assert.ok(own.length > big.length);
  const grown = own.bytes;
  assert.ok(grown.length >= own.length);
  assert.deepEqual(decodeItem(own.bytes, 0, own.length, []), big);
  encodeItem({ i: 1000, s: 'x' }, own, []);
  assert.equal(own.bytes, grown, 'the grown buffer is reused');
  assert.equal(own.length, 13);
  assert.deepEqual(decodeItem(own.bytes, 0, own.length, []), { i: 1000, s: 'x' });
  own.reset();
  assert.equal(own.length, 0);
  assert.equal(own.bytes, grown);
});

test('an item decodes from any offset, also out of shared memory', () => {
  const value = { i: 1, s: 'x', f: 1.5, list: [1n, 'é'.repeat(30)] };
  const bytes = encoded(value);
  const ring = new Uint8Array(new SharedArrayBuffer(bytes.length + 20));
  ring.set(bytes, 7);
  assert.deepStrictEqual(decodeItem(ring, 7, bytes.length, []), value);
  assert.throws(() => decodeItem(ring, 7, ring.length, []), /outside the/);
});

test('encoding inside a getter, while another item is being encoded, works', () => {
  const inner = new ItemWriter();
  const value = {
    get nested() {
      encodeItem({ inner: [1, 2, 3] }, inner, []);
      return 'outer';
    },
    after: { x: 1 },
  };
  assert.deepEqual(roundTrip(value), { nested: 'outer', after: { x: 1 } });
  assert.deepEqual(decodeItem(inner.bytes, 0, inner.length, []), { inner: [1, 2, 3] });
});

test('a decoded item encodes to the same bytes again', () => {
  const shared = { s: 1 };
  const value = { a: [shared, shared, new Map([[1, new Set(['x'])]])], d: new Date(5), n: -0, b: 2n ** 70n };
  const bytes = encoded(value);
  assert.deepEqual(encoded(roundTrip(value)), bytes);
});

test('a dense root array of numbers goes as one typed run: int32s at four bytes each, other numbers at eight', () => {
  const dense = (value: unknown[]): Uint8Array => {
    encodeItem(value, writer, [], false, true);
    return writer.bytes.slice(0, writer.length);
  };
  const ints = Array.from({ length: 1000 }, (_, i) => (i % 2 ? -i : i * 1_000_003) | 0);
  const intBytes = dense(ints);
  assert.equal(intBytes.length, 1 + 2 + 4 * 1000, 'tag, varint length, 4 bytes a number');
  assert.deepEqual(decodeItem(intBytes, 0, intBytes.length, []), ints);
  const floats = [...Array.from({ length: 30 }, (_, i) => i / 7), -0, NaN, Infinity, -Infinity, 2 ** 31, Number.MIN_VALUE];
  const floatBytes = dense(floats);
  assert.equal(floatBytes.length, 1 + 1 + 8 * floats.length);
  const back = decodeItem(floatBytes, 0, floatBytes.length, []) as number[];
  assert.equal(back.length, floats.length);
  for (let i = 0; i < floats.length; i++) assert.ok(Object.is(back[i], floats[i]), `${floats[i]} came back as ${back[i]}`);
  // -0 alone keeps a list of integers out of the int32 run.
  const withNegativeZero = [...Array.from({ length: 20 }, (_, i) => i), -0];
  assert.ok(Object.is((roundTripDense(withNegativeZero) as number[])[20], -0));
  // Decoded out of shared memory at every alignment (a ring's body can start anywhere).
  for (let offset = 0; offset < 8; offset++) {
    const ring = new Uint8Array(new SharedArrayBuffer(floatBytes.length + 8));
    ring.set(floatBytes, offset);
    assert.deepEqual(decodeItem(ring, offset, floatBytes.length, []), floats, `at offset ${offset}`);
  }
  // The run starts after the tag and length: 1,000 ints start at byte 3 (copied through an aligned
  // array), 20,000 at byte 4 (written in place).
  const many = Array.from({ length: 20_000 }, (_, i) => i - 10_000);
  assert.deepEqual(roundTripDense(many), many);
});

test('a dense root array that is not all numbers, or is short, or any other array, goes value by value as before', () => {
  const mixed = [...Array.from({ length: 40 }, (_, i) => i), 'forty'];
  assert.deepEqual(roundTripDense(mixed), mixed);
  const holes = Array.from({ length: 40 }, (_, i) => i);
  delete holes[39];
  assert.deepEqual(roundTripDense(holes), [...holes.slice(0, 39), undefined], 'a dense root reads a hole as undefined');
  const short = [1.5, 2.5];
  encodeItem(short, writer, [], false, true);
  assert.equal(writer.length, 1 + 1 + 2 * 9, 'under 16 numbers: a value each');
  const extra = Object.assign(Array.from({ length: 40 }, (_, i) => i), { note: 'kept' });
  assert.deepStrictEqual(roundTrip(extra), structuredClone(extra), 'not a dense root: its extra property is kept');
  const nested = { list: Array.from({ length: 40 }, (_, i) => i / 2) };
  assert.deepStrictEqual(roundTrip(nested), nested);
});

test('a number run decodes from a Buffer (whose slice is a view) at any offset', () => {
  const ints = Array.from({ length: 20 }, (_, i) => i * 100_003);
  encodeItem(ints, writer, [], false, true);
  const bytes = writer.bytes.slice(0, writer.length);
  for (let offset = 0; offset < 8; offset++) {
    const buffer = Buffer.allocUnsafe(bytes.length + 8); // from Node's shared pool: byteOffset is not 0
    buffer.fill(0xee);
    buffer.set(bytes, offset);
    assert.deepEqual(decodeItem(buffer, offset, bytes.length, []), ints, `at offset ${offset} of a Buffer at ${buffer.byteOffset}`);
  }
});

test('a number run whose bytes are cut short is a corrupt item', () => {
  encodeItem(Array.from({ length: 20 }, (_, i) => i * 100_000), writer, [], false, true);
  const bytes = writer.bytes.slice(0, writer.length);
  for (const n of [1, 2, 3, 10, bytes.length - 1]) assertCorrupt(bytes.subarray(0, n));
  const lying = bytes.slice();
  lying[1] = 0x7f; // claims 127 numbers
  assertCorrupt(lying);
});

// ---- damaged bytes ----

test('every truncation of a valid item throws a corrupt-item RangeError', () => {
  const sab = new SharedArrayBuffer(8);
  const values = [
    { i: 1, s: 'x' }, [1, 2.5, 'é'.repeat(30), '日本', 2n ** 80n, -5n], new Map([[1, new Set([true])]]),
    { d: new Date(1), r: /x/g, e: new Error('m', { cause: 1 }) }, new Float64Array([1, 2]), [new Uint8Array(sab)],
    Object(5), 'x'.repeat(100), [1, , 3],
  ];
  for (const value of values) {
    const buffers: SharedArrayBuffer[] = [];
    const bytes = encoded(value, buffers);
    for (let n = 0; n < bytes.length; n++) assertCorrupt(bytes.subarray(0, n), buffers);
  }
});

test('damaged bytes throw a corrupt-item RangeError that says what is wrong', () => {
  const cases: [number[], RegExp][] = [
    [[0x00], /unknown tag 0x0 at byte 0/],
    [[0x0e], /unknown tag/],
    [[0x01, 0x01], /1 bytes after the value/],
    [[0x0c, 0x00], /reference to object 0, only 0 so far/],
    [[0x11, 0x02, 0x01, 0x0c, 0x05], /reference to object 5/],
    [[0x1e, 0x00], /SharedArrayBuffer 0 of 0/],
    [[0x10, 0x01, 0x01, 0x0d], /a key has tag 0x1, not a string/],
    [[0x11, 0x7f, 0x01], /an array length 127 exceeds/],
    [[0x11, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 5 bytes/],
    [[0x1f, 0x08, 0x01, 0x01, 0x1c, 0x08, 0, 0, 0, 0, 0, 0, 0, 0], /Float64Array at 1 of length 1 does not fit/],
    [[0x1f, 0x0c, 0x00, 0x00, 0x1c, 0x00], /view kind 12/],
    [[0x1f, 0x01, 0x00, 0x00, 0x10, 0x0d], /where a view's buffer belongs/],
    [[0x1f, 0x01, 0x00, 0x00, 0x0c, 0x00], /reference to object 0 before it is made/],
    [[0x16, 0x81, 0x28, 0x00], /does not compile/],
    [[0x20, 0x09, 0x00], /error header/],
    [[0x08, 0x02, 0x00], /bigint sign 2/],
    [[0x0a, 0x01, 0x41], /runs past the end/],
    [[0x13], /a Map is not closed by END/],
    [[0x10, 0x81, 0x61, 0x01], /entries are not closed by END/],
    [[0x1b, 0x01], /tag 0x1 in a BigInt object/],
    [[0x12, 0x02, 0x81, 0x35, 0x01, 0x0d], /array of length 2 has an entry at 5/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => decodeItem(new Uint8Array(bytes), 0, bytes.length, []), (error: unknown) => {
      assert.ok(error instanceof RangeError, `${bytes}: ${String(error)}`);
      assert.match(error.message, /^corrupt item: /);
      assert.match(error.message, message);
      return true;
    });
  }
});

// ---- random values, compared with structuredClone ----

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHARED = [new SharedArrayBuffer(16), new SharedArrayBuffer(64)];

class Generator {
  readonly #random: () => number;
  readonly #pool: object[] = [];

  constructor(seed: number) {
    this.#random = prng(seed);
  }

  int(n: number): number {
    return Math.floor(this.#random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  string(): string {
    const alphabets = ['abcxyz', 'aé\u00ff\u0080', 'a日€', 'a\ud800\udc00\ud83d', 'k0123456789'];
    const alphabet = this.pick(alphabets);
    const length = this.pick([0, 1, 2, 5, 20, 21, 63, 64, 200]);
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  primitive(): unknown {
    switch (this.int(10)) {
      case 0: return this.pick([undefined, null, true, false]);
      case 1: return this.int(64);
      case 2: return this.int(2 ** 32) - 2 ** 31;
      case 3: return this.pick([-0, NaN, Infinity, -Infinity, 0.1, 1e300, -5e-324, 2 ** 53]);
      case 4: return (this.#random() - 0.5) * 10 ** this.int(20);
      case 5: return BigInt(this.int(2 ** 32)) ** BigInt(this.int(5)) * this.pick([1n, -1n]);
      default: return this.string();
    }
  }

  value(depth: number): unknown {
    if (depth <= 0 || this.int(10) < 4) return this.primitive();
    if (this.#pool.length > 0 && this.int(10) === 0) return this.pick(this.#pool); // shared substructure, maybe a cycle
    const kind = this.int(16);
    let made: object;
    switch (kind) {
      case 0: case 1: case 2: {
        const o: Record<string, unknown> = {};
        this.#pool.push(o);
        for (let n = this.int(6); n > 0; n--) {
          const key = this.pick([this.string(), String(this.int(100)), '__proto__', 'k' + this.int(5)]);
          Object.defineProperty(o, key, { value: this.value(depth - 1), enumerable: true, writable: true, configurable: true });
        }
        return o;
      }
      case 3: case 4: {
        const a: unknown[] = [];
        this.#pool.push(a);
        for (let n = this.int(6); n > 0; n--) a.push(this.value(depth - 1));
        if (this.int(4) === 0) delete a[this.int(a.length + 1)];
        if (this.int(6) === 0) a.length += this.int(3);
        if (this.int(6) === 0) (a as unknown as Record<string, unknown>)['extra' + this.int(3)] = this.value(depth - 1);
        return a;
      }
      case 5: {
        const m = new Map<unknown, unknown>();
        this.#pool.push(m);
        for (let n = this.int(4); n > 0; n--) m.set(this.value(depth - 1), this.value(depth - 1));
        return m;
      }
      case 6: {
        const s = new Set<unknown>();
        this.#pool.push(s);
        for (let n = this.int(4); n > 0; n--) s.add(this.value(depth - 1));
        return s;
      }
      case 7: made = new Date(this.pick([0, -1e12, 1.7e12 + this.int(1e9)])); break; // not NaN: deepStrictEqual calls two invalid Dates different
      case 8: made = new RegExp(this.pick(['a+', '\\d{2}', 'é|日', '(?<n>x)\\k<n>']), this.pick(['', 'g', 'gimsuy', 'dy', 'v'])); break;
      case 9: made = Object(this.pick([this.primitive(), this.string(), 5n, true])); break;
      case 10: {
        const buffer = new ArrayBuffer(this.pick([0, 8, 24]));
        new Uint8Array(buffer).forEach((_, i, b) => (b[i] = this.int(256)));
        made = this.int(3) === 0 ? buffer : new (this.pick([Uint8Array, Int16Array, Float64Array, BigInt64Array]))(buffer, 0, buffer.byteLength >> 3);
        break;
      }
      case 11: {
        const sab = this.pick(SHARED);
        made = this.pick([sab, new Uint8Array(sab, this.int(4), 4), new DataView(sab, 1, 3), new Int32Array(sab, 8)]);
        break;
      }
      case 12: {
        const Type = this.pick([Error, TypeError, RangeError, SyntaxError]);
        made = this.int(2) === 0 ? new Type(this.string()) : new Type(this.string(), { cause: this.value(depth - 1) });
        break;
      }
      default: {
        const o = Object.create(null) as Record<string, unknown>;
        o.nullProto = this.value(depth - 1);
        made = o;
      }
    }
    if (made !== null && typeof made === 'object') this.#pool.push(made);
    return made;
  }
}

test('2,000 random nested values decode as structuredClone clones them', () => {
  const generate = new Generator(20260101);
  for (let i = 0; i < 2000; i++) {
    const value = generate.value(4);
    const buffers: SharedArrayBuffer[] = [];
    encodeItem(value, writer, buffers);
    const got = decodeItem(writer.bytes, 0, writer.length, buffers);
    assert.deepStrictEqual(got, structuredClone(value), `random value #${i}`);
  }
});

test('random byte flips, truncations and insertions either decode or throw an Error, never hang or crash', () => {
  const generate = new Generator(7);
  const random = prng(99);
  let threw = 0;
  let decoded = 0;
  for (let i = 0; i < 400; i++) {
    const buffers: SharedArrayBuffer[] = [];
    const bytes = encoded(generate.value(3), buffers);
    for (let j = 0; j < 25; j++) {
      let damaged = bytes.slice();
      const at = Math.floor(random() * damaged.length);
      switch (j % 4) {
        case 0: damaged[at] = Math.floor(random() * 256); break;
        case 1: damaged[at]! ^= 1 << Math.floor(random() * 8); break;
        case 2: damaged = damaged.subarray(0, at); break;
        default: damaged = Uint8Array.from([...damaged.subarray(0, at), Math.floor(random() * 256), ...damaged.subarray(at)]);
      }
      try {
        decodeItem(damaged, 0, damaged.length, buffers);
        decoded++;
      } catch (error) {
        assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
        threw++;
      }
    }
  }
  assert.ok(threw > 1000, `most damage is detected (${threw} thrown, ${decoded} decoded)`);
});
