import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Process, activeChildren, currentProcess, parentProcess, cpuCount } from '../../src/run/process.js';
import { moduleTask } from '../../src/run/task.js';
import { Lock } from '../../src/sync/lock.js';
import { CaptureError, DataCloneError, InvalidStateError } from '../../src/errors.js';
import { quietly, readRecord, scratchFile, sourceUrl } from '../support/processes.js';

const forever = () => new Promise(() => {});

test('a target runs in a child process; pid, isAlive and exitCode follow its life', async () => {
  const file = scratchFile();
  const p = new Process({
    target: async (file: string) => {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, String(process.pid));
    },
    args: [file],
  });
  assert.equal(p.pid, undefined);
  assert.equal(p.isAlive(), false);
  assert.equal(p.exitCode, undefined);
  assert.match(String(p), /^<Process name='Process-\d+' parent=\d+ initial>$/);
  p.start();
  assert.ok(p.pid! > 0 && p.pid !== process.pid);
  assert.equal(p.ident, p.pid);
  assert.equal(p.isAlive(), true);
  assert.equal(p.exitCode, undefined);
  assert.equal(String(p), `<Process name='${p.name}' pid=${p.pid} parent=${process.pid} started>`);
  await p.join();
  assert.equal(p.isAlive(), false);
  assert.equal(p.exitCode, 0);
  assert.equal(p.exception, undefined);
  assert.equal(readFileSync(file, 'utf8'), String(p.pid), 'the target ran in the child');
  assert.match(String(p), / stopped exitcode=0>$/);
});

test('a target that throws: exitCode 1, the error kept with its class name, code and cause', async () => {
  const seen: string[] = [];
  const previous = Process.excepthook;
  Process.excepthook = ({ exception, process: child }) => seen.push(`${child.name}: ${(exception as Error).message}`);
  try {
    const p = new Process({
      name: 'failing',
      target: () => {
        throw Object.assign(new RangeError('bad range', { cause: new TypeError('inner') }), { code: 'E_TEST' });
      },
    });
    p.start();
    await p.join();
    assert.equal(p.exitCode, 1);
    assert.deepEqual(seen, ['failing: bad range']);
    const error = p.exception as Error & { code: string };
    assert.equal(error.name, 'RangeError');
    assert.equal(error.code, 'E_TEST');
    assert.equal((error.cause as Error).message, 'inner');
    assert.match(error.stack!, /bad range/);
  } finally {
    Process.excepthook = previous;
  }
});

test('the default excepthook prints "Process <name>:" and the stack, as Python\'s child does', async () => {
  const writes: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const p = new Process({ name: 'noisy', target: () => { throw new Error('kaboom'); } });
    p.start();
    await p.join();
    assert.equal(p.exitCode, 1);
  } finally {
    process.stderr.write = write;
  }
  assert.match(writes.join(''), /^Process noisy:\nError: kaboom\n/);
});

test('an error thrown uncaught in the child (a timer the target left) is reported the same way', async () => {
  const p = new Process({
    target: async () => {
      setTimeout(() => { throw new TypeError('late'); }, 0);
      await new Promise(() => {});
    },
  });
  await quietly(async () => {
    p.start();
    await p.join();
  });
  assert.equal(p.exitCode, 1);
  assert.equal((p.exception as Error).name, 'TypeError');
  assert.equal((p.exception as Error).message, 'late');
});

test('process.exit(3) in the target gives exitCode 3 and no exception', async () => {
  const p = new Process({ target: () => { process.exit(3); } });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 3);
  assert.equal(p.exception, undefined);
});

test('terminate() ends a child sleeping forever with exitCode -15; kill() with -9', async () => {
  const terminated = new Process({ target: forever });
  const killed = new Process({ target: forever });
  terminated.start();
  killed.start();
  await terminated.join({ timeout: 50 });
  assert.equal(terminated.isAlive(), true, 'a target that never settles keeps its child alive');
  terminated.terminate();
  killed.kill();
  await Promise.all([terminated.join(), killed.join()]);
  assert.equal(terminated.exitCode, -15);
  assert.equal(killed.exitCode, -9);
  assert.match(String(terminated), / stopped exitcode=SIGTERM>$/);
  assert.match(String(killed), / stopped exitcode=SIGKILL>$/);
  terminated.terminate(); // after exit: nothing to do, as in Python
});

test('join({ timeout }) returns while the child is still alive; join({ signal }) rejects with the reason', async () => {
  const p = new Process({ target: forever });
  p.start();
  const started = performance.now();
  await p.join({ timeout: 100 });
  assert.ok(performance.now() - started >= 95);
  assert.equal(p.isAlive(), true);
  assert.equal(p.exitCode, undefined);
  const controller = new AbortController();
  const joined = p.join({ signal: controller.signal });
  controller.abort(new Error('gave up'));
  await assert.rejects(joined, /gave up/);
  p.kill();
  await p.join();
  assert.equal(p.isAlive(), false);
});

test('arguments arrive as structured-clone copies: Map, Set, Date, typed arrays, BigInt, nested objects, cycles', async () => {
  const file = scratchFile();
  const cyclic: Record<string, unknown> = { label: 'loop' };
  cyclic.self = cyclic;
  const args = [
    new Map<string, unknown>([['a', 1], ['nested', { deep: [1, 2, { deeper: true }] }]]),
    new Set(['x', 'y']),
    new Date(Date.UTC(2024, 1, 29)),
    new Float64Array([1.5, -2.25]),
    new Uint8Array([0, 255]),
    2n ** 70n,
    { list: [null, undefined, 'text'], when: new Date(0), re: /a+b/gi },
    cyclic,
  ];
  const p = new Process({
    target: async (...received: unknown[]) => {
      const [map, set, date, floats, bytes, big, , cycle] = received as [Map<string, unknown>, Set<string>, Date, Float64Array, Uint8Array, bigint, unknown, { self: unknown }];
      const ok = map instanceof Map && set instanceof Set && date instanceof Date && floats instanceof Float64Array &&
        bytes instanceof Uint8Array && typeof big === 'bigint' && cycle.self === cycle;
      if (!ok) process.exit(2);
      const { writeFileSync } = await import('node:fs');
      const { serialize } = await import('node:v8');
      writeFileSync(received.at(-1) as string, serialize(received.slice(0, -1)));
    },
    args: [...args, file],
  });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 0, 'every argument kept its type in the child');
  assert.deepEqual(readRecord(file), args);
});

test('a module task runs in the child, imported there, with its arguments', async () => {
  const file = scratchFile();
  const record = moduleTask<(file: string, ...rest: unknown[]) => void>(new URL('./fixtures/process-tasks.ts', import.meta.url), 'record');
  const p = new Process({ target: record, args: [file, 'from a module', 42] });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 0);
  assert.deepEqual(readRecord(file), ['from a module', 42]);
});

test('a module task naming a missing export fails in the child with a clear error', async () => {
  const p = new Process({ target: moduleTask(new URL('./fixtures/process-tasks.ts', import.meta.url), 'nope') });
  await quietly(async () => {
    p.start();
    await p.join();
  });
  assert.equal(p.exitCode, 1);
  assert.match((p.exception as Error).message, /no exported function 'nope'/);
});

test('a capturing target fails at start(), naming the identifier, and no child starts', () => {
  const secret = 1;
  const p = new Process({ target: () => secret });
  assert.throws(() => p.start(), (error: unknown) => error instanceof CaptureError && error.identifiers[0] === 'secret');
  assert.equal(p.pid, undefined);
  assert.equal(p.isAlive(), false);
  assert.equal(activeChildren().includes(p), false);
});

test('a threads-scope Lock in the arguments fails at start(), naming args[0], the kind and what to do', () => {
  const p = new Process({ target: (_lock: Lock) => {}, args: [new Lock()] });
  assert.throws(
    () => p.start(),
    (error: unknown) => {
      assert.ok(error instanceof DataCloneError);
      assert.equal(error.path, 'args[0]');
      assert.match(error.message, /^args\[0\] is a threads-scope Lock/);
      assert.match(error.message, /cannot reach another process/);
      assert.match(error.message, /create it from the processes context instead \(processes\.Lock\)/);
      return true;
    },
  );
  assert.equal(p.pid, undefined);
  const nested = new Process({ target: (_options: unknown) => {}, args: [{ guards: [new Lock()] }] });
  assert.throws(() => nested.start(), (error: unknown) => error instanceof DataCloneError && error.path === 'args[0].guards[0]');
});

test('an argument structured clone cannot carry fails at start() with a DataCloneError naming its path', () => {
  const withFunction = new Process({ target: (_options: unknown) => {}, args: [{ onDone: () => {} }] });
  assert.throws(() => withFunction.start(), (error: unknown) => error instanceof DataCloneError && error.path === 'args[0].onDone');
  const withShared = new Process({ target: (_a: number, _b: SharedArrayBuffer) => {}, args: [1, new SharedArrayBuffer(8)] });
  assert.throws(
    () => withShared.start(),
    (error: unknown) => error instanceof DataCloneError && error.path === 'args[1]' && /SharedArrayBuffer/.test(error.message),
  );
  assert.equal(withShared.pid, undefined);
});

test('start() twice, join before start, joining the current process and close() while running throw InvalidStateError', async () => {
  const p = new Process({ target: forever });
  await assert.rejects(p.join(), InvalidStateError);
  p.start();
  assert.throws(() => p.start(), InvalidStateError);
  assert.throws(() => p.close(), /still running/);
  assert.throws(() => { p.daemon = true; }, InvalidStateError);
  await assert.rejects(currentProcess().join(), InvalidStateError);
  assert.throws(() => currentProcess().start(), InvalidStateError);
  p.kill();
  await p.join();
  p.close();
  p.close();
  assert.throws(() => p.pid, /closed/);
  assert.throws(() => p.exitCode, /closed/);
  assert.throws(() => p.isAlive(), /closed/);
  assert.throws(() => p.start(), /closed/);
  await assert.rejects(p.join(), /closed/);
  assert.match(String(p), / closed>$/);
  assert.throws(() => new Process().terminate(), /not been started/);
});

test('activeChildren() lists started children until they exit', async () => {
  const p = new Process({ target: forever });
  const q = new Process({ target: () => {} });
  assert.equal(activeChildren().includes(p), false);
  p.start();
  q.start();
  assert.deepEqual(activeChildren().filter((c) => c === p || c === q), [p, q]);
  await q.join();
  assert.deepEqual(activeChildren().filter((c) => c === p || c === q), [p]);
  p.terminate();
  await p.join();
  assert.equal(activeChildren().includes(p), false);
});

test('currentProcess() is MainProcess here; in a child it is the child, and parentProcess() is this process', async () => {
  const me = currentProcess();
  assert.equal(me.name, 'MainProcess');
  assert.equal(me.pid, process.pid);
  assert.equal(me.daemon, false);
  assert.equal(me.isAlive(), true);
  assert.equal(currentProcess(), me);
  assert.equal(parentProcess(), undefined);
  assert.equal(String(me), `<MainProcess name='MainProcess' pid=${process.pid} parent=None started>`);
  assert.equal(cpuCount() >= 1, true);

  const file = scratchFile();
  // A daemon child does not keep this process alive, except while joined.
  const p = new Process({
    name: 'reporter',
    daemon: true,
    target: async (file: string, url: string) => {
      const { currentProcess, parentProcess } = await import(url);
      const { writeFileSync } = await import('node:fs');
      const { serialize } = await import('node:v8');
      const me = currentProcess();
      const parent = parentProcess();
      writeFileSync(file, serialize({
        name: me.name, pid: me.pid, daemon: me.daemon, alive: me.isAlive(), repr: String(me),
        parent: { name: parent.name, pid: parent.pid, alive: parent.isAlive() },
      }));
    },
    args: [file, sourceUrl('run/process.ts')],
  });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 0);
  assert.deepEqual(readRecord(file), {
    name: 'reporter',
    pid: p.pid,
    daemon: true,
    alive: true,
    repr: `<Process name='reporter' pid=${p.pid} parent=${process.pid} started daemon>`,
    parent: { name: 'MainProcess', pid: process.pid, alive: true },
  });
});

test('currentProcess() in a thread of a child is that child', async () => {
  const file = scratchFile();
  const p = new Process({
    name: 'host',
    target: async (file: string, threadUrl: string, processUrl: string) => {
      const { Thread } = await import(threadUrl);
      const thread = new Thread({
        target: async (file: string, processUrl: string) => {
          const { currentProcess } = await import(processUrl);
          (await import('node:fs')).writeFileSync(file, `${currentProcess().name} ${currentProcess().pid}`);
        },
        args: [file, processUrl],
      });
      thread.start();
      await thread.join();
    },
    args: [file, sourceUrl('run/thread.ts'), sourceUrl('run/process.ts')],
  });
  p.start();
  await p.join();
  assert.equal(p.exitCode, 0);
  assert.equal(readFileSync(file, 'utf8'), `host ${p.pid}`);
});

test('a subclass overriding run() runs it in the child with its own fields as this', async () => {
  class Writer extends Process {
    constructor(readonly file: string, readonly text: string) {
      super();
    }
    override async run() {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(this.file, `${this.text} from ${process.pid}`);
    }
  }
  const writer = new Writer(scratchFile(), 'hello');
  assert.match(writer.name, /^Writer-\d+$/);
  writer.start();
  await writer.join();
  assert.equal(writer.exitCode, 0);
  assert.equal(readFileSync(writer.file, 'utf8'), `hello from ${writer.pid}`);
});

test('Process options are validated', () => {
  assert.throws(() => new Process({ target: 5 as never }), TypeError);
  assert.throws(() => new Process({ target: () => {}, args: 'x' as never }), TypeError);
  assert.throws(() => new Process({ name: 7 as never }), TypeError);
});
