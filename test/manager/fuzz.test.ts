// A running manager under attack: random bytes before and after the
// authkey handshake, truncated and oversized frames, stalled peers, wrong
// keys, well-formed requests for what is not there, and a crafted envelope
// aiming at Object.prototype. The server stays up, an honest client working
// all along is unaffected, and no object changes because of a rejected frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthenticationError } from '../../src/errors.js';
import { arbitraryAddress } from '../../src/manager/address.js';
import { builtinTypes } from '../../src/manager/builtin-types.js';
import { Manager } from '../../src/manager/manager.js';
import type { DictProxy } from '../../src/manager/proxy-types.js';
import { ManagerServer } from '../../src/manager/server.js';
import { encodeMessage, PROXY_KIND } from '../../src/manager/wire.js';
import { makeProxy } from '../../src/manager/proxy.js';
import { describe } from '../../src/share/protocol.js';
import { authenticated as raw, closedWithin, honestCalls, open } from './raw-client.js';

// A small seeded generator (mulberry32): a failure can be replayed.
function generator(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100000);
const random = generator(seed);
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

const authkey = Buffer.from('fuzz key');
const MAX_FRAME = 64 * 1024;

function frame(payload: Uint8Array, length = payload.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(length >>> 0, 0);
  return Buffer.concat([header, payload]);
}

const authenticated = (address: string) => raw(address, authkey, MAX_FRAME * 4);

test(`fuzz: the server stays up, an honest client is unaffected, rejected frames change nothing (seed ${seed})`, async () => {
  const server = new ManagerServer({ authkey, types: builtinTypes, maxFrameBytes: MAX_FRAME, frameTimeout: 300, handshakeTimeout: 500 });
  const address = (await server.listen(arbitraryAddress())) as string;
  try {
    const honest = new Manager({ address, authkey });
    await honest.connect();
    const target = await honest.dict<string, unknown>({ keep: 'me', n: 0 });
    const before = await target.entries();

    // The honest client works all through the attack, on its own dict.
    const own = await honest.dict<number, number>();
    const steady = honestCalls(own);

    const targetId = target.objectId;
    const validSet = encodeMessage({ i: 1, op: 'call', id: targetId, m: 'set', a: ['keep', 'changed'] }, 'a', 'args');
    const validClear = encodeMessage({ i: 2, op: 'call', id: targetId, m: 'clear', a: [] }, 'a', 'args');
    const attacks: Promise<void>[] = [];

    // 1. Random bytes before authenticating: refused.
    for (let n = 0; n < 20; n++) {
      attacks.push((async () => {
        const socket = await open(address);
        socket.on('error', () => {});
        socket.write(randomBytes(1 + Math.floor(random() * 200)));
        assert.ok(await closedWithin(socket, 3000), 'a garbage handshake is closed');
      })());
    }
    // 2. Wrong keys: AuthenticationError, the connection closed.
    for (let n = 0; n < 10; n++) {
      attacks.push((async () => {
        const wrong = new Manager({ address, authkey: randomBytes(16) });
        await assert.rejects(wrong.connect(), AuthenticationError);
      })());
    }
    // 3. A peer that connects and says nothing, and one that starts a frame and stalls: timed out.
    attacks.push((async () => {
      const socket = await open(address);
      socket.on('error', () => {});
      assert.ok(await closedWithin(socket, 3000), 'a silent peer is closed after the handshake timeout');
    })());
    attacks.push((async () => {
      const { socket } = await authenticated(address);
      socket.write(frame(validSet).subarray(0, 10)); // the header and part of a real request, then nothing
      assert.ok(await closedWithin(socket, 3000), 'a stalled frame is closed after the frame timeout');
    })());
    // 4. Authenticated, then damage: random frames, truncated real requests, oversized lengths.
    for (let n = 0; n < 40; n++) {
      attacks.push((async () => {
        const { socket } = await authenticated(address);
        const kind = n % 4;
        if (kind === 0) socket.write(frame(randomBytes(1 + Math.floor(random() * 500))));
        else if (kind === 1) {
          const real = random() < 0.5 ? validSet : validClear;
          const cut = real.subarray(0, Math.max(1, Math.floor(random() * (real.length - 1))));
          socket.write(frame(cut)); // a whole frame whose request is cut short
        } else if (kind === 2) socket.write(frame(randomBytes(8), MAX_FRAME + 1 + Math.floor(random() * 1e9)));
        else socket.write(randomBytes(4 + Math.floor(random() * 64)));
        // Whatever the server made of it, the connection ends (closed or timed out), and we close ours.
        await closedWithin(socket, 1000);
        socket.destroy();
      })());
    }
    // 5. Well-formed requests for what is not there: typed errors back, the connection stays.
    attacks.push((async () => {
      const { socket, framed } = await authenticated(address);
      const replies: Record<string, unknown>[] = [];
      const { decodeMessage } = await import('../../src/manager/wire.js');
      framed.onFrame = (f) => replies.push(decodeMessage(f));
      const requests = [
        { i: 1, op: 'call', id: targetId, m: 'constructor', a: [] },
        { i: 2, op: 'call', id: targetId, m: '__proto__', a: [] },
        { i: 3, op: 'call', id: 999_999, m: 'get', a: ['keep'] },
        { i: 4, op: 'create', t: 'process', a: [] },
        { i: 5, op: 'create', t: 'Iterator', a: [] },
        { i: 6, op: 'eval', a: ['1 + 1'] },
        { i: 7, op: 'call', id: targetId, m: 'set', a: 'not an array' },
        // A crafted envelope whose patch path walks into __proto__: refused before anything is revived or set.
        {
          i: 8, op: 'call', id: targetId, m: 'set', x: 1,
          a: { value: ['polluted', {}], patches: [{ path: [1, '__proto__', 'polluted'], kind: PROXY_KIND, data: { value: { typeid: 'dict', id: targetId, server: 'x', exposed: [] } } }] },
        },
        { i: 9, op: 'call', id: targetId, m: 'set', x: 1, a: { value: ['k', 1], patches: [{ path: [], kind: 'weft.Lock', data: { value: {} } }] } },
      ];
      for (const request of requests) framed.send(encodeForTest(request));
      for (let i = 0; i < 100 && replies.length < requests.length; i++) await sleep(10);
      assert.equal(replies.length, requests.length, 'every malformed request got a reply');
      for (const reply of replies) {
        assert.equal(reply.ok, false);
        assert.match(String((reply.e as { name: string }).name), /^(TypeError|ReferenceError)$/);
      }
      assert.equal(socket.destroyed, false, 'a well-formed bad request does not cost the connection');
      socket.destroy();
    })());

    await Promise.all(attacks);
    const steps = await steady.stop();
    assert.ok(steps > 0);
    assert.equal(await own.len(), steps, 'the honest client lost nothing');
    assert.deepEqual(await target.entries(), before, 'no rejected frame changed the object');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    // And the server still takes new clients.
    const late = new Manager({ address, authkey });
    await late.connect();
    const d = (await late.dict({ ok: true })) as DictProxy<string, boolean>;
    assert.equal(await d.get('ok'), true);
    await late.shutdown();
    await honest.shutdown();
  } finally {
    await server.close();
  }
});

function encodeForTest(message: Record<string, unknown>): Uint8Array {
  // Plain data, encoded as is (the codec encodes whatever shape we give it).
  return encodeMessage(message, 'a', 'args');
}

test('idleTimeout: a quiet connection is closed, one with a call parked in the server is not', async () => {
  const server = new ManagerServer({ authkey, types: builtinTypes, idleTimeout: 200 });
  const address = (await server.listen(arbitraryAddress())) as string;
  try {
    const quiet = await authenticated(address);
    const busy = await authenticated(address);
    const { decodeMessage } = await import('../../src/manager/wire.js');
    const replies: Record<string, unknown>[] = [];
    busy.framed.onFrame = (f) => replies.push(decodeMessage(f));
    busy.framed.send(encodeMessage({ i: 1, op: 'create', t: 'Event', a: [] }, 'a', 'args'));
    for (let i = 0; i < 100 && replies.length === 0; i++) await sleep(10);
    const event = (replies[0]!.t as { id: number }).id;
    busy.framed.send(encodeMessage({ i: 2, op: 'call', id: event, m: 'wait', a: [] }, 'a', 'args')); // parks
    assert.ok(await closedWithin(quiet.socket, 3000), 'the quiet connection was closed');
    await sleep(400);
    assert.equal(busy.socket.destroyed, false, 'the connection waiting on a call stays');
    busy.socket.destroy();
  } finally {
    await server.close();
  }
});

test('a proxy crossing the socket carries no authkey: the receiver uses the key of its own connection', async () => {
  const { decodeMessage, valueOf } = await import('../../src/manager/wire.js');
  const secret = Buffer.from('the other manager key');
  const proxy = makeProxy({ typeid: 'dict', id: 7, server: 'abc', exposed: ['get'] }, '/tmp/elsewhere.sock', secret, undefined);
  const bytes = Buffer.from(encodeMessage({ i: 1, op: 'call', id: 1, m: 'set', a: ['k', proxy] }, 'a', 'args'));
  assert.equal(bytes.includes(secret), false, 'the key is not in the frame');
  const mine = Buffer.from('this connection key');
  const [, revived] = valueOf(decodeMessage(bytes), 'a', mine) as [string, typeof proxy];
  const description = revived[describe]();
  assert.deepEqual(Buffer.from(description.authkey), mine);
  assert.equal(description.address, '/tmp/elsewhere.sock');
  assert.equal(description.id, 7);
});
