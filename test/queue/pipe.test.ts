import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipe } from '../../src/queue/pipe.js';
import { Connection } from '../../src/queue/connection.js';
import { Thread } from '../../src/run/thread.js';
import { Lock } from '../../src/sync/lock.js';
import { BrokenPipeError, EOFError, InvalidStateError, QueueEmptyError } from '../../src/errors.js';

test('a duplex pipe carries messages both ways, in order', async () => {
  const [a, b] = Pipe();
  a.send(1);
  a.send({ two: [2] });
  b.send('back');
  assert.equal(await b.recv(), 1);
  assert.deepEqual(b.recvSync(), { two: [2] });
  assert.equal(await a.recv(), 'back');
});

test('a one-way pipe has a read-only and a write-only end', () => {
  const [reader, writer] = Pipe({ duplex: false });
  assert.deepEqual([reader.readable, reader.writable, writer.readable, writer.writable], [true, false, false, true]);
  assert.throws(() => reader.send(1), InvalidStateError);
  assert.throws(() => writer.recvSync({ timeout: 0 }), InvalidStateError);
});

test('recv after the other end closed drains what was sent, then throws EOFError', async () => {
  const [a, b] = Pipe();
  a.send('last words');
  a.close();
  assert.equal(await b.recv(), 'last words');
  await assert.rejects(b.recv(), EOFError);
  assert.throws(() => b.recvSync(), EOFError);
});

test('send after the reading end closed throws BrokenPipeError', () => {
  const [reader, writer] = Pipe({ duplex: false });
  reader.close();
  assert.throws(() => writer.send(1), BrokenPipeError);
});

test('a closed end refuses everything; closing twice is harmless', () => {
  const [a] = Pipe();
  a.close();
  a.close();
  assert.equal(a.closed, true);
  assert.throws(() => a.send(1), InvalidStateError);
});

test('poll() says whether recv would return at once, waiting up to the timeout', async () => {
  const [a, b] = Pipe();
  assert.equal(await b.poll(), false);
  assert.equal(b.pollSync({ timeout: 10 }), false);
  setTimeout(() => a.send('soon'), 20);
  assert.equal(await b.poll({ timeout: 2000 }), true);
  assert.equal(await b.recv(), 'soon');
  a.close();
  assert.equal(await b.poll(), true, 'EOF: recv would not block');
});

test('recv with a timeout throws QueueEmptyError when nothing arrives', async () => {
  const [, b] = Pipe();
  await assert.rejects(b.recv({ timeout: 10 }), QueueEmptyError);
});

test('sendBytes/recvBytes carry raw bytes; offset and size select a slice; maxlength is enforced', async () => {
  const [a, b] = Pipe();
  a.sendBytes(new Uint8Array([1, 2, 3, 4, 5]), 1, 3);
  assert.deepEqual([...(await b.recvBytes())], [2, 3, 4]);
  a.sendBytes(new Uint8Array(100));
  await assert.rejects(b.recvBytes({ maxlength: 10 }), /100 bytes, more than maxlength 10/);
  a.send({ not: 'bytes' });
  await assert.rejects(b.recvBytes(), TypeError);
  assert.throws(() => a.sendBytes(new Uint8Array(3), 2, 5), RangeError);
});

test('an end crosses to a thread live, and shareables in messages arrive live', async () => {
  const [here, there] = Pipe();
  const thread = new Thread({
    target: (conn: Connection) => {
      const { lock, n } = conn.recvSync() as { lock: Lock; n: number };
      lock.acquireSync();
      conn.send(n * 2);
      conn.close();
    },
    args: [there],
  });
  thread.start();
  const lock = new Lock();
  here.send({ lock, n: 21 });
  assert.equal(await here.recv(), 42);
  assert.equal(lock.locked(), true, 'the thread acquired the same lock');
  await assert.rejects(here.recv(), EOFError);
  await thread.join();
  assert.equal(thread.exception, undefined);
});

test('async iteration ends when the other end closes', async () => {
  const [reader, writer] = Pipe({ duplex: false });
  for (const n of [1, 2, 3]) writer.send(n);
  writer.close();
  const got: unknown[] = [];
  for await (const message of reader) got.push(message);
  assert.deepEqual(got, [1, 2, 3]);
});
