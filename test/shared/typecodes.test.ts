import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPECODES, elementType, type Typecode } from '../../src/shared/typecodes.js';
import { Value } from '../../src/shared/value.js';
import { SharedArray } from '../../src/shared/array.js';

const integers: [Typecode, string, number, number][] = [
  ['b', 'int8', -128, 127],
  ['int8', 'int8', -128, 127],
  ['B', 'uint8', 0, 255],
  ['uint8', 'uint8', 0, 255],
  ['h', 'int16', -32768, 32767],
  ['int16', 'int16', -32768, 32767],
  ['H', 'uint16', 0, 65535],
  ['uint16', 'uint16', 0, 65535],
  ['i', 'int32', -(2 ** 31), 2 ** 31 - 1],
  ['int32', 'int32', -(2 ** 31), 2 ** 31 - 1],
  ['I', 'uint32', 0, 2 ** 32 - 1],
  ['uint32', 'uint32', 0, 2 ** 32 - 1],
];

const bigints: [Typecode, string, bigint, bigint][] = [
  ['l', 'int64', -(2n ** 63n), 2n ** 63n - 1n],
  ['q', 'int64', -(2n ** 63n), 2n ** 63n - 1n],
  ['int64', 'int64', -(2n ** 63n), 2n ** 63n - 1n],
  ['bigint64', 'int64', -(2n ** 63n), 2n ** 63n - 1n],
  ['L', 'uint64', 0n, 2n ** 64n - 1n],
  ['Q', 'uint64', 0n, 2n ** 64n - 1n],
  ['uint64', 'uint64', 0n, 2n ** 64n - 1n],
  ['biguint64', 'uint64', 0n, 2n ** 64n - 1n],
];

test('every typecode of the table is accepted, and only those', () => {
  assert.equal(TYPECODES.length, 25);
  for (const typecode of TYPECODES) assert.doesNotThrow(() => new Value(typecode));
  for (const bad of ['c', 'u', 'x', 'int', 'float', 'I ', '', undefined, 5, null]) {
    assert.throws(() => new Value(bad as Typecode), TypeError);
  }
});

test('an unknown typecode is a TypeError listing the valid ones', () => {
  assert.throws(() => elementType('x', 'Value()'), {
    name: 'TypeError',
    message: /^Value\(\): unknown typecode "x"; valid typecodes are 'b', 'B', .*'float64', 'bool'$/,
  });
  assert.throws(() => new SharedArray('z' as Typecode, 1), { name: 'TypeError', message: /SharedArray\(\): unknown typecode "z"/ });
});

for (const [typecode, name, min, max] of integers) {
  test(`'${typecode}' holds ${name} from ${min} to ${max} and refuses one beyond each end`, () => {
    const value = new Value(typecode, min);
    assert.equal(value.value, min);
    value.value = max;
    assert.equal(value.value, max);
    const array = new SharedArray(typecode, [min, max]);
    assert.deepEqual(array.toArray(), [min, max]);
    assert.throws(() => { value.value = max + 1; }, {
      name: 'RangeError',
      message: `Value('${typecode}'): ${max + 1} does not fit in ${name} (${min}..${max})`,
    });
    assert.throws(() => { value.value = min - 1; }, { name: 'RangeError', message: /does not fit/ });
    assert.throws(() => { array[0] = max + 1; }, { name: 'RangeError', message: `SharedArray('${typecode}')[0]: ${max + 1} does not fit in ${name} (${min}..${max})` });
    assert.equal(value.value, max, 'a refused write changes nothing');
  });

  test(`'${typecode}' refuses non-integers with RangeError and non-numbers with TypeError`, () => {
    const value = new Value(typecode);
    assert.throws(() => { value.value = 1.5; }, { name: 'RangeError', message: `Value('${typecode}'): 1.5 is not an integer` });
    assert.throws(() => { value.value = NaN; }, RangeError);
    assert.throws(() => { value.value = Infinity; }, RangeError);
    assert.throws(() => { value.value = '1' as unknown as number; }, { name: 'TypeError', message: `Value('${typecode}'): expected a number, got string "1"` });
    assert.throws(() => { (value as Value).value = 1n; }, TypeError);
    assert.throws(() => { (value as Value).value = true; }, TypeError);
  });
}

for (const [typecode, name, min, max] of bigints) {
  test(`'${typecode}' holds ${name} bigints from ${min} to ${max} and refuses one beyond each end`, () => {
    const value = new Value(typecode, min);
    assert.equal(value.value, min);
    value.value = max;
    assert.equal(value.value, max);
    assert.deepEqual(new SharedArray(typecode, [min, max]).toArray(), [min, max]);
    assert.throws(() => { value.value = max + 1n; }, {
      name: 'RangeError',
      message: `Value('${typecode}'): ${max + 1n} does not fit in ${name} (${min}..${max})`,
    });
    assert.throws(() => { value.value = min - 1n; }, RangeError);
    assert.equal(value.value, max);
  });

  test(`'${typecode}' converts safe-integer numbers to bigint and refuses other numbers`, () => {
    const value = new Value(typecode, 5);
    assert.equal(value.value, 5n);
    value.value = Number.MAX_SAFE_INTEGER;
    assert.equal(value.value, BigInt(Number.MAX_SAFE_INTEGER));
    assert.throws(() => { value.value = 2 ** 53; }, { name: 'RangeError', message: /is not a safe integer; pass a bigint/ });
    assert.throws(() => { value.value = 0.5; }, { name: 'RangeError', message: /0.5 is not an integer/ });
    assert.throws(() => { value.value = '5' as unknown as number; }, TypeError);
    if (min === 0n) assert.throws(() => { value.value = -1; }, RangeError);
  });
}

test("'f' rounds to float32 and refuses finite numbers beyond its range", () => {
  const value = new Value('f', 0.1);
  assert.equal(value.value, Math.fround(0.1));
  assert.notEqual(value.value, 0.1);
  const largest = 2 ** 128 - 2 ** 104;
  value.value = largest;
  assert.equal(value.value, largest);
  value.value = -largest;
  assert.equal(value.value, -largest);
  assert.throws(() => { value.value = 3.5e38; }, { name: 'RangeError', message: /3.5e\+38 does not fit in float32/ });
  value.value = Infinity;
  assert.equal(value.value, Infinity);
  value.value = NaN;
  assert.ok(Number.isNaN(value.value));
  assert.equal(new Value('float32', 1.5).value, 1.5);
});

test("'d' holds every float64 exactly, including -0, infinities and NaN", () => {
  for (const typecode of ['d', 'float64'] as const) {
    const value = new Value(typecode);
    for (const x of [0.1, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -0, Infinity, -Infinity]) {
      value.value = x;
      assert.ok(Object.is(value.value, x), `${x} round-trips`);
    }
    value.value = NaN;
    assert.ok(Number.isNaN(value.value));
    assert.throws(() => { (value as Value).value = 1n; }, TypeError);
  }
});

test("'bool' holds true and false and refuses other types", () => {
  const flag = new Value('bool');
  assert.equal(flag.value, false);
  flag.value = true;
  assert.equal(flag.value, true);
  assert.throws(() => { (flag as Value).value = 1; }, { name: 'TypeError', message: "Value('bool'): expected a boolean, got number 1" });
  assert.throws(() => { flag.value = null as unknown as boolean; }, TypeError);
  const flags = new SharedArray('bool', [true, false, true]);
  assert.deepEqual(flags.toArray(), [true, false, true]);
  assert.deepEqual([...flags.view], [1, 0, 1], 'stored as one byte each');
});
