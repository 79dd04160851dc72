/**
 * The element types of `Value` and `SharedArray`, in one table: Python's
 * `array` / `ctypes` typecodes and readable names, each with its typed-array
 * constructor, byte size, range check and coercion.
 *
 * C `long` is 64 bits, as CPython has it on Linux, so `'l'`/`'L'` hold
 * bigints like `'q'`/`'Q'`. Integer and bool elements are read and written
 * with `Atomics` (each access is atomic by itself); floats cannot be, so they
 * use plain typed-array access.
 */

/** Typecodes whose elements are 8–32-bit integers, held as `number`. */
export type IntegerTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32';
/** Typecodes whose elements are 64-bit integers, held as `bigint`. */
export type BigIntTypecode = 'l' | 'L' | 'q' | 'Q' | 'int64' | 'uint64' | 'bigint64' | 'biguint64';
/** Typecodes whose elements are IEEE floats, held as `number`. */
export type FloatTypecode = 'f' | 'd' | 'float32' | 'float64';
/** Every element type a `Value` or `SharedArray` can hold. */
export type Typecode = IntegerTypecode | BigIntTypecode | FloatTypecode | 'bool';

/** What reading an element of typecode `T` gives. */
export type ValueOf<T extends Typecode> = T extends BigIntTypecode ? bigint : T extends 'bool' ? boolean : number;
/** What an element of typecode `T` accepts: 64-bit types also take safe-integer numbers. */
export type InputOf<T extends Typecode> = T extends BigIntTypecode ? bigint | number : ValueOf<T>;

/** The typed array holding elements of typecode `T` (`'bool'`: a `Uint8Array` of 0 and 1). */
export type ViewOf<T extends Typecode> =
  T extends 'b' | 'int8' ? Int8Array
  : T extends 'B' | 'uint8' | 'bool' ? Uint8Array
  : T extends 'h' | 'int16' ? Int16Array
  : T extends 'H' | 'uint16' ? Uint16Array
  : T extends 'i' | 'int32' ? Int32Array
  : T extends 'I' | 'uint32' ? Uint32Array
  : T extends 'l' | 'q' | 'int64' | 'bigint64' ? BigInt64Array
  : T extends 'L' | 'Q' | 'uint64' | 'biguint64' ? BigUint64Array
  : T extends 'f' | 'float32' ? Float32Array
  : Float64Array;

/** A typed array of any element type in the table. */
export type ElementArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

type ElementArrayConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ElementArray;

type Kind = 'integer' | 'bigint' | 'float' | 'bool';

/** One row of the table. */
export interface ElementType {
  /** The readable name used in messages: `uint8`, `float64`, `bool`. */
  readonly name: string;
  readonly kind: Kind;
  readonly array: ElementArrayConstructor;
  readonly bytes: number;
  /** Checks `value` and returns what to store; `where` opens the error message. */
  coerce(value: unknown, where: string): number | bigint;
  /** Reads element `index` of `view` (atomically for integers and bools). */
  load(view: ElementArray, index: number): number | bigint | boolean;
  /** Checks `value`, then writes it to element `index` of `view`. */
  store(view: ElementArray, index: number, value: unknown, where: string): void;
}

/** How a value looks in a message: strings quoted, bigints with `n`, objects by class. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object' && value !== null) return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return String(value);
}

/** How a value of the wrong type looks in a message: `string "1"`, `bigint 5n`, `null`, `an instance of Map`. */
export function showTyped(value: unknown): string {
  const shown = show(value);
  return value === null || value === undefined || typeof value === 'object' || typeof value === 'function' ? shown : `${typeof value} ${shown}`;
}

function expected(what: string, value: unknown, where: string): TypeError {
  return new TypeError(`${where}: expected ${what}, got ${showTyped(value)}`);
}

function integer(name: string, array: ElementArrayConstructor, bytes: number, min: number, max: number): ElementType {
  return row(name, 'integer', array, bytes, (value, where) => {
    if (typeof value !== 'number') throw expected('a number', value, where);
    if (!Number.isInteger(value)) throw new RangeError(`${where}: ${value} is not an integer`);
    if (value < min || value > max) throw new RangeError(`${where}: ${value} does not fit in ${name} (${min}..${max})`);
    return value;
  });
}

function bigInteger(name: string, array: ElementArrayConstructor, min: bigint, max: bigint): ElementType {
  return row(name, 'bigint', array, 8, (value, where) => {
    let big: bigint;
    if (typeof value === 'bigint') big = value;
    else if (typeof value === 'number') {
      if (!Number.isInteger(value)) throw new RangeError(`${where}: ${value} is not an integer`);
      // Beyond 2**53 the number is already rounded: refuse rather than store a value nobody wrote.
      if (!Number.isSafeInteger(value)) throw new RangeError(`${where}: ${value} is not a safe integer; pass a bigint`);
      big = BigInt(value);
    } else throw expected('a bigint or an integer number', value, where);
    if (big < min || big > max) throw new RangeError(`${where}: ${big} does not fit in ${name} (${min}..${max})`);
    return big;
  });
}

function float(name: string, array: ElementArrayConstructor, bytes: number): ElementType {
  return row(name, 'float', array, bytes, (value, where) => {
    if (typeof value !== 'number') throw expected('a number', value, where);
    // A finite number that would round to ±Infinity in float32 does not fit (Python's struct says the same).
    if (bytes === 4 && Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
      throw new RangeError(`${where}: ${value} does not fit in ${name} (magnitude up to ${2 ** 128 - 2 ** 104})`);
    }
    return value;
  });
}

const bool = row('bool', 'bool', Uint8Array, 1, (value, where) => {
  if (typeof value !== 'boolean') throw expected('a boolean', value, where);
  return value ? 1 : 0;
});

function row(name: string, kind: Kind, array: ElementArrayConstructor, bytes: number, coerce: ElementType['coerce']): ElementType {
  const atomic = kind !== 'float';
  return {
    name, kind, array, bytes, coerce,
    load(view, index) {
      const stored = atomic ? Atomics.load(view as Int32Array, index) : view[index]!;
      return kind === 'bool' ? stored !== 0 : stored;
    },
    store(view, index, value, where) {
      const stored = coerce(value, where);
      if (atomic) Atomics.store(view as Int32Array, index, stored as number);
      else view[index] = stored as number;
    },
  };
}

const int8 = integer('int8', Int8Array, 1, -(2 ** 7), 2 ** 7 - 1);
const uint8 = integer('uint8', Uint8Array, 1, 0, 2 ** 8 - 1);
const int16 = integer('int16', Int16Array, 2, -(2 ** 15), 2 ** 15 - 1);
const uint16 = integer('uint16', Uint16Array, 2, 0, 2 ** 16 - 1);
const int32 = integer('int32', Int32Array, 4, -(2 ** 31), 2 ** 31 - 1);
const uint32 = integer('uint32', Uint32Array, 4, 0, 2 ** 32 - 1);
const int64 = bigInteger('int64', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n);
const uint64 = bigInteger('uint64', BigUint64Array, 0n, 2n ** 64n - 1n);
const float32 = float('float32', Float32Array, 4);
const float64 = float('float64', Float64Array, 8);

const TABLE: Readonly<Record<Typecode, ElementType>> = {
  b: int8, B: uint8, h: int16, H: uint16, i: int32, I: uint32,
  l: int64, L: uint64, q: int64, Q: uint64, f: float32, d: float64,
  int8, uint8, int16, uint16, int32, uint32,
  int64, uint64, bigint64: int64, biguint64: uint64, float32, float64, bool,
};

/** Every valid typecode, in table order. */
export const TYPECODES = Object.keys(TABLE) as readonly Typecode[];

/**
 * The table row of `typecode`.
 *
 * @throws TypeError naming the valid typecodes if `typecode` is not one.
 */
export function elementType(typecode: unknown, where: string): ElementType {
  if (typeof typecode === 'string' && Object.hasOwn(TABLE, typecode)) return TABLE[typecode as Typecode];
  throw new TypeError(
    `${where}: unknown typecode ${show(typecode)}; valid typecodes are ${TYPECODES.map((t) => `'${t}'`).join(', ')}`,
  );
}
