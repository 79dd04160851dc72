// The manager's Pool typeid: a process pool in the server that runs module
// tasks from the modules its owner listed (poolModules) — from the parent
// and from a child process — and refuses anything else; a released pool's
// processes go away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Manager } from '../../src/manager/manager.js';
import type { PoolProxy } from '../../src/manager/proxy-types.js';
import { Process } from '../../src/run/process.js';
import { moduleTask } from '../../src/run/task.js';
import { native } from '../../src/memory/native.js';

const processAlive = (pid: number): boolean => native().processAlive(pid);

const tasks = new URL('./fixtures/pool-tasks.ts', import.meta.url);
const square = moduleTask<(x: number) => number>(tasks, 'square');
const power = moduleTask<(base: number, exponent: number) => number>(tasks, 'power');
const pid = moduleTask<() => number>(tasks, 'pid');
const fail = moduleTask<(message: string) => never>(tasks, 'fail');

async function goneWithin(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (pids.every((p) => !processAlive(p))) return true;
    await sleep(20);
  }
  return false;
}

test('a manager Pool runs listed module tasks in its own processes: apply, map, starmap, from the parent and a child', async () => {
  await using manager = new Manager({ poolModules: [tasks] });
  await manager.start();
  const pool = await manager.Pool({ processes: 2 });
  assert.equal(await pool.apply(square, [7]), 49);
  assert.deepEqual(await pool.map(square, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  assert.deepEqual(await pool.map(square, [1, 2, 3], 1), [1, 4, 9]);
  assert.deepEqual(await pool.starmap(power, [[2, 3], [3, 2], [10, 0]]), [8, 9, 1]);
  const worker = await pool.apply(pid);
  assert.notEqual(worker, process.pid, 'the task ran in this process');

  const results = await manager.list<number>();
  const child = new Process({
    target: async (pool: PoolProxy, results: { append(x: number): Promise<void> }, square: unknown) => {
      for (const value of await pool.map(square as never, [5, 6])) await results.append(value as number);
    },
    args: [pool, results, square],
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
  assert.deepEqual(await results.toArray(), [25, 36]);

  await pool.close();
  await pool.join();
  assert.ok(await goneWithin([worker], 5000), 'a closed and joined pool left its process running');
});

test('a manager Pool refuses a module its owner did not list, and a function; a task\'s error comes back; the pool goes on', async () => {
  await using manager = new Manager({ poolModules: [tasks.href] });
  await manager.start();
  const pool = await manager.Pool({ processes: 1 });
  const other = moduleTask<(x: number) => number>(new URL('./fixtures/other-tasks.ts', import.meta.url), 'square');
  await assert.rejects(pool.apply(other, [3]), (error: Error) => {
    assert.equal(error.name, 'TypeError');
    assert.match(error.message, /modules its owner listed only \(new Manager\(\{ poolModules \}\)\); .*other-tasks\.ts is not one/);
    return true;
  });
  await assert.rejects(pool.apply(((x: number) => x) as never, [3]), { name: 'DataCloneError' });
  await assert.rejects(pool.apply({ module: tasks.href } as never, []), /must be a moduleTask\(url, name\)/);
  await assert.rejects(pool.apply(fail, ['bad input']), (error: Error) => error.name === 'RangeError' && /bad input/.test(error.message));
  assert.equal(await pool.apply(square, [12]), 144);

  // The initializer is a task too: from a listed module only.
  await assert.rejects(manager.Pool({ processes: 1, initializer: other }), /other-tasks\.ts is not one/);
  // The owner's list takes URLs only: a relative path would resolve against weft's files.
  assert.throws(() => new Manager({ poolModules: ['./fixtures/pool-tasks.ts'] }), /poolModules\[0\] must be a URL or an absolute URL string/);

  // A manager with no poolModules runs nothing.
  await using bare = new Manager();
  await bare.start();
  const idle = await bare.Pool({ processes: 1 });
  await assert.rejects(idle.apply(square, [2]), /pool-tasks\.ts is not one/);
});

test('a manager Pool whose last proxy goes (its client exited) is terminated: its processes exit', async () => {
  await using manager = new Manager({ poolModules: [tasks] });
  await manager.start();
  const report = await manager.list<number>();
  const child = new Process({
    target: async (address: unknown, authkey: Uint8Array, managerUrl: string, report: { append(x: number): Promise<void> }, pid: unknown) => {
      const { BaseManager } = await import(managerUrl);
      const remote = new BaseManager({ address, authkey });
      await remote.connect();
      const pool = await remote.create('Pool', { processes: 1 });
      await report.append(await pool.apply(pid));
    },
    args: [manager.address, manager.authkey, new URL('../../src/manager/base-manager.ts', import.meta.url).href, report, pid],
  });
  child.start();
  await child.join();
  assert.equal(child.exitCode, 0);
  const [worker] = await report.toArray();
  assert.equal(typeof worker, 'number');
  assert.ok(await goneWithin([worker!], 5000), 'the released pool\'s process is still running');
});
