import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionSource } from '../../src/run/inline.js';
import { compileFunction } from '../../src/run/compile.js';
import { CaptureError } from '../../src/errors.js';

const outer = 41;
const helper = (x: number) => x + 1;

function captured(fn: Function): readonly string[] {
  try {
    functionSource(fn, 'test');
    return [];
  } catch (error) {
    if (error instanceof CaptureError) return error.identifiers;
    throw error;
  }
}

test('a self-contained function is accepted and compiles to the same behaviour', () => {
  const fn = (a: number, b: number) => {
    const sum = a + b;
    return Math.max(sum, 0);
  };
  const sent = functionSource(fn, 'test');
  assert.equal((compileFunction(sent) as typeof fn)(2, 3), 5);
});

test('a captured variable is named, with advice to pass it as an argument', () => {
  assert.throws(
    () => functionSource(() => outer + 1, 'Thread target'),
    (error: unknown) =>
      error instanceof CaptureError &&
      error.identifiers.includes('outer') &&
      /'outer'/.test(error.message) &&
      /pass it as argument/.test(error.message),
  );
});

test('several captures are all named, in order of first use', () => {
  assert.deepEqual(captured(() => helper(outer)), ['helper', 'outer']);
});

test('scoping: parameters, destructuring, var hoisting, blocks, catch, labels and members are not captures', () => {
  const fn = function named(this: unknown, { a, b: [c = 1] }: any, ...rest: any[]) {
    hoisted = a;
    var hoisted: unknown;
    for (const item of rest) {
      label: for (let i = 0; i < 1; i++) continue label;
      try {
        JSON.parse(item);
      } catch ({ message }: any) {
        void message;
      }
    }
    class Inner {
      static make() {
        return new Inner();
      }
    }
    const obj = { key: c, [String(c)]: 1, nested: { deep: named } };
    return [obj.key, obj.nested.deep, Inner.make(), arguments.length, function inner() { return inner; }];
  };
  assert.deepEqual(captured(fn), []);
});

test('a use before a block-scoped declaration in an inner block still resolves', () => {
  const fn = () => {
    {
      const f = () => later;
      const later = 1;
      return f();
    }
  };
  assert.deepEqual(captured(fn), []);
});

test('a shadowed outer name used outside its block is a capture', () => {
  const fn = () => {
    {
      const outer = 1;
      void outer;
    }
    return outer;
  };
  assert.deepEqual(captured(fn), ['outer']);
});

test('globals are not captures', () => {
  assert.deepEqual(captured(() => [Math.PI, console, Atomics, JSON, globalThis, process.pid]), []);
});

test('method shorthand is sent as a function expression', () => {
  const obj = {
    run(x: number) {
      return x * 2;
    },
    async later(x: number) {
      return x;
    },
  };
  assert.equal((compileFunction(functionSource(obj.run, 'test')) as (x: number) => number)(4), 8);
  assert.equal(typeof compileFunction(functionSource(obj.later, 'test')), 'function');
});

test('native and bound functions are refused with a TypeError', () => {
  assert.throws(() => functionSource(Math.max, 'test'), /native or bound/);
  assert.throws(() => functionSource(((x: number) => x).bind(null), 'test'), /native or bound/);
});

test('a class is refused', () => {
  assert.throws(() => functionSource(class A {}, 'test'), /class/);
});

test('dynamic import() works in a compiled function, relative to the main module', async () => {
  const fn = async () => {
    const path = await import('node:path');
    return path.basename('/a/b.txt');
  };
  assert.equal(await (compileFunction(functionSource(fn, 'test')) as typeof fn)(), 'b.txt');
});

test('`using` inside a sent function works: the transpiler\'s helpers are supplied', async () => {
  const fn = (log: string[]) => {
    {
      using _a = { [Symbol.dispose]: () => log.push('a disposed') };
      using _b = { [Symbol.dispose]: () => log.push('b disposed') };
      log.push('body');
    }
    return log;
  };
  assert.deepEqual((compileFunction(functionSource(fn, 'test')) as typeof fn)([]), ['body', 'b disposed', 'a disposed']);
  const asyncFn = async (log: string[]) => {
    {
      await using _a = { [Symbol.asyncDispose]: async () => { log.push('async disposed'); } };
      log.push('body');
    }
    return log;
  };
  assert.deepEqual(await (compileFunction(functionSource(asyncFn, 'test')) as typeof asyncFn)([]), ['body', 'async disposed']);
});

test('an error thrown while disposing after an error is chained as SuppressedError', () => {
  const fn = () => {
    using _a = { [Symbol.dispose]: () => { throw new Error('in dispose'); } };
    throw new Error('in body');
  };
  assert.throws(
    () => (compileFunction(functionSource(fn, 'test')) as typeof fn)(),
    (error: any) => error.name === 'SuppressedError' && error.error.message === 'in dispose' && error.suppressed.message === 'in body',
  );
});
