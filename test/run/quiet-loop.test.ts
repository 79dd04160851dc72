// loopIsQuiet: whether a thread's event loop has nothing pending but the
// handles that never need it (the IPC channel, stdout/stderr pipes, and
// those the caller names) — the condition for blocking in a futex wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `code` in a child process with an IPC channel and stdout a pipe; resolves to what it printed, parsed. */
function inChild(code: string): Promise<unknown> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the child exited with ${code}: ${out}`))));
  });
}

test('loopIsQuiet - true with only the IPC channel and stdout open; false with a timer, an immediate or a socket the caller did not name', async () => {
  const report = await inChild(`
    import { createServer, connect } from 'node:net';
    import { loopIsQuiet } from './src/run/quiet-loop.ts';
    const seen = { bare: loopIsQuiet() };
    const timer = setTimeout(() => {}, 10_000);
    seen.timer = loopIsQuiet();
    clearTimeout(timer);
    seen.cleared = loopIsQuiet();
    const immediate = setImmediate(() => {});
    seen.immediate = loopIsQuiet();
    clearImmediate(immediate);
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    seen.listening = loopIsQuiet();
    server.unref();
    seen.unrefListening = loopIsQuiet();
    const socket = connect(server.address().port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await new Promise((resolve) => setImmediate(resolve)); // the connect request is done
    // Both ends of the connection are in this process: two sockets.
    seen.socket = loopIsQuiet(new Map([['TCPSocketWrap', 1]]));
    seen.socketNamed = loopIsQuiet(new Map([['TCPSocketWrap', 2]]));
    socket.destroy();
    server.close();
    process.channel.unref();
    console.log(JSON.stringify(seen));
  `);
  assert.deepEqual(report, {
    bare: true, timer: false, cleared: true, immediate: false, listening: false, unrefListening: true, socket: false, socketNamed: true,
  });
});
