// Four producer threads and four consumer threads share one Queue, and the
// main thread joins in as a fifth producer and a fifth consumer whose
// Promise-returning puts and gets are randomly aborted. Items run from 1 byte
// to 1 MiB; on a small ring the big ones stream through it in frames, and
// short timeouts make producers give up halfway (an ABORT frame). Partway
// through, the main thread shuts the queue down — amid the traffic, or once
// the consumers have paused and the producers filled it: producers stop at
// their first ShutDownError, consumers drain until theirs.
//
// Every item is accounted for in shared memory. Producers mark each item
// whose put returned and add its id and a hash of its payload to their own
// counters; consumers check each payload byte by byte against what (producer,
// seq) determines, check that ids from one producer arrive increasing (as each
// consumer sees them), count every arrival per item and add to their own
// counters. At the end, per producer: delivered == received, item by item, in
// count, id sum and payload hash. A violation is counted, never just logged.
// Every run is bounded: each party has a time budget, every wait a timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, type QueueOptions } from '../../src/queue/queue.js';
import { Thread } from '../../src/run/thread.js';
import { ShutDownError } from '../../src/errors.js';
import { describe as describeShareable } from '../../src/share/protocol.js';
import { HEAD, TAIL } from '../../src/queue/layout.js';

interface Item {
  producer: number;
  seq: number;
  payload: Uint8Array;
}

type Role = 'producer' | 'consumer';
/** Worker threads use putSync / getSync with timeouts; the main thread put / get with timeouts and aborts. */
type Mode = 'sync' | 'async';

const WORKERS = 4; // producer threads, and as many consumer threads
const PARTIES = WORKERS + 1; // the main thread is producer and consumer number WORKERS
const MAX_ITEMS = 1 << 14; // most items one producer may number (never reached: shutdown comes first)
const BUDGET_MS = 30_000; // how long any party may run before it gives up (and the test fails)
const TEST_TIMEOUT_MS = 45_000; // fails the test if the queue itself hangs a party (threads are daemons, so they cannot keep the process alive)

/** Words of `Shared.events`: handshakes, then counters. */
const EVENT = {
  ready: 0, // parties past the start line
  attempts: 1, // puts the producer threads attempted
  pause: 2, // 1 while consumers must stop before their next get (the 'backlog' shutdown)
  paused: 3, // consumers stopped for it
  putRefused: 4, // puts that timed out or found the queue full
  putAborted: 5, // main-thread puts rejected with the abort reason
  getEmpty: 6, // gets that timed out or found the queue empty
  getAborted: 7, // main-thread gets rejected with the abort reason
  producersShutDown: 8, // producers that stopped at ShutDownError
  consumersShutDown: 9, // consumers that stopped at ShutDownError
  drained: 10, // items taken after the shutdown
  bigDelivered: 11, // delivered items larger than 64 KiB
  bigRefused: 12, // puts of items larger than 64 KiB that timed out or were aborted (on a small ring, often mid-stream)
  corrupt: 13, // items of the wrong shape, length or bytes (torn, mixed, changed after get)
  reordered: 14, // an id not above the last one a consumer had from the same producer
  duplicated: 15, // an item received more than once
  gaveUp: 16, // parties that ran out of their time budget
  firstViolation: 17, // 1 + the event index of the first violation, then its producer, seq and consumer
} as const;

/**
 * How the shutdown meets the traffic. `'racing'`: in the middle of it, with
 * every party running. `'backlog'`: consumers stop first and producers fill
 * the queue, so the consumers must drain exactly what was left in it.
 */
type ShutdownKind = 'racing' | 'backlog';

interface Shared {
  events: Int32Array;
  /** `[producer * maxItems + seq]`: 1 once that put returned. */
  delivered: Int32Array;
  /** `[producer * maxItems + seq]`: how many times a consumer got that item. */
  received: Int32Array;
  /** `[producer * 3 + k]`, written by that producer only: count, id sum, payload hash sum of what it delivered. */
  sent: Float64Array;
  /** `[(consumer * parties + producer) * 3 + k]`, written by that consumer only: the same for what it received. */
  got: Float64Array;
}

interface Config {
  parties: number;
  maxItems: number;
  shutdownAfter: number;
  budgetMs: number;
  seed: number;
  event: typeof EVENT;
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * length));
}

function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * length));
}

/**
 * One producer or consumer. Runs in a worker thread (`'sync'`) and on the
 * main thread (`'async'`), so everything it needs is inside it: a Thread
 * target crosses as source and may not capture anything.
 */
async function party(role: Role, id: number, mode: Mode, queue: Queue<Item>, shared: Shared, config: Config): Promise<void> {
  const { events, delivered, received, sent, got } = shared;
  const { parties, maxItems, event } = config;
  const deadline = performance.now() + config.budgetMs;
  const random = Math.random;

  // What (producer, seq) determines: the payload's length and bytes.
  const mix = (x: number): number => {
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    return (x ^ (x >>> 16)) >>> 0;
  };
  const seedOf = (producer: number, seq: number): number => mix(config.seed ^ mix(producer * maxItems + seq + 1));
  const sizeOf = (producer: number, seq: number): number => {
    const h = seedOf(producer, seq);
    const r = h % 1000;
    if (r < 15) return (h & 0x70000) === 0 ? 1 << 20 : (1 << 16) + (mix(h) % ((1 << 20) - (1 << 16))); // 1.5%: 64 KiB .. 1 MiB
    if (r < 80) return 65 + (mix(h) % 70_000); // 6.5%: around the 64 KiB ring
    return 1 + (mix(h) % 64); // mostly 1 .. 64 bytes
  };
  // Fills `bytes` with the stream of (producer, seq), or checks them against
  // it; returns the FNV-1a hash of the bytes, or -1 if a checked byte differs.
  const stream = (producer: number, seq: number, bytes: Uint8Array, check: boolean): number => {
    let x = seedOf(producer, seq) | 0;
    let hash = 0x811c9dc5 | 0;
    let same = true;
    for (let i = 0; i < bytes.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0;
      if (!check) bytes[i] = x >>> 24;
      else if (bytes[i] !== x >>> 24) same = false;
      hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    }
    return same ? hash >>> 0 : -1;
  };

  const violation = (kind: number, producer: number, seq: number): void => {
    Atomics.add(events, kind, 1);
    if (Atomics.compareExchange(events, event.firstViolation, 0, kind + 1) === 0) {
      events[event.firstViolation + 1] = producer;
      events[event.firstViolation + 2] = seq;
      events[event.firstViolation + 3] = role === 'consumer' ? id : -1;
    }
  };
  const outOfTime = (): boolean => {
    if (performance.now() < deadline) return false;
    Atomics.add(events, event.gaveUp, 1);
    return true;
  };

  // Options for one put or get: non-blocking, a short timeout that often
  // expires, or a long one. The main thread also aborts: before the call, or
  // at a random moment during it.
  const options = (): { options: { blocking?: boolean; timeout?: number; signal?: AbortSignal }; done: () => void } => {
    const r = random();
    const options: { blocking?: boolean; timeout?: number; signal?: AbortSignal } =
      r < 0.1 ? { blocking: false } : r < 0.45 ? { timeout: random() * 3 } : { timeout: 1000 };
    if (mode === 'sync') return { options, done: () => {} };
    const controller = new AbortController();
    options.signal = controller.signal;
    const a = random();
    if (a < 0.1) controller.abort();
    const timer = a < 0.1 || a >= 0.4 ? undefined : setTimeout(() => controller.abort(), random() * 4);
    return { options, done: () => clearTimeout(timer) };
  };
  // Lets the main thread's timers and waits run between calls that resolved at once.
  const breathe = (): Promise<void> | undefined => (mode === 'async' ? new Promise((resolve) => setImmediate(resolve)) : undefined);

  // Waits while events[index] holds a value `until` rejects; false if the time budget ran out.
  const waitUntil = async (index: number, until: (value: number) => boolean): Promise<boolean> => {
    for (let value = Atomics.load(events, index); !until(value); value = Atomics.load(events, index)) {
      if (outOfTime()) return false;
      const left = Math.min(100, deadline - performance.now());
      if (mode === 'sync') Atomics.wait(events, index, value, left);
      else await Atomics.waitAsync(events, index, value, left).value;
    }
    return true;
  };

  // Start line: every party waits here, so no thread races ahead while others are still starting.
  Atomics.add(events, event.ready, 1);
  Atomics.notify(events, event.ready);
  if (!(await waitUntil(event.ready, (ready) => ready === 2 * parties))) return;

  if (role === 'producer') {
    const producer = id;
    for (let seq = 0; seq < maxItems; seq++) {
      if (outOfTime()) return;
      await breathe();
      const payload = new Uint8Array(sizeOf(producer, seq));
      const hash = stream(producer, seq, payload, false);
      const item: Item = { producer, seq, payload };
      if (mode === 'sync' && Atomics.add(events, event.attempts, 1) + 1 >= config.shutdownAfter) {
        Atomics.notify(events, event.attempts);
      }
      const { options: opts, done } = options();
      try {
        if (mode === 'sync') queue.putSync(item, opts);
        else await queue.put(item, opts);
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ShutDownError') {
          Atomics.add(events, event.producersShutDown, 1);
          return;
        }
        if (name === 'QueueFullError') Atomics.add(events, event.putRefused, 1);
        else if (name === 'AbortError' && opts.signal?.aborted) Atomics.add(events, event.putAborted, 1);
        else throw error;
        if (payload.length > 1 << 16) Atomics.add(events, event.bigRefused, 1);
        continue; // not delivered: this seq must never arrive
      } finally {
        done();
      }
      delivered[producer * maxItems + seq] = 1;
      sent[producer * 3] += 1;
      sent[producer * 3 + 1] += seq;
      sent[producer * 3 + 2] += hash;
      if (payload.length > 1 << 16) Atomics.add(events, event.bigDelivered, 1);
    }
    return;
  }

  // Consumer.
  const consumer = id;
  const last = new Array<number>(parties).fill(-1);
  let previous: { item: Item; hash: number } | undefined;
  for (;;) {
    if (outOfTime()) return;
    if (Atomics.load(events, event.pause) === 1) {
      Atomics.add(events, event.paused, 1);
      Atomics.notify(events, event.paused);
      if (!(await waitUntil(event.pause, (pause) => pause === 0))) return;
    }
    const { options: opts, done } = options();
    let item: Item;
    try {
      item = mode === 'sync' ? queue.getSync(opts) : await queue.get(opts);
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ShutDownError') {
        Atomics.add(events, event.consumersShutDown, 1);
        return;
      }
      if (name === 'QueueEmptyError') Atomics.add(events, event.getEmpty, 1);
      else if (name === 'AbortError' && opts.signal?.aborted) Atomics.add(events, event.getAborted, 1);
      else throw error;
      await breathe();
      continue;
    } finally {
      done();
    }
    queue.taskDone();
    if (queue.isShutdown) Atomics.add(events, event.drained, 1);
    // The item we had before must not have changed since (no view into the ring).
    if (previous !== undefined && stream(previous.item.producer, previous.item.seq, previous.item.payload, true) !== previous.hash) {
      violation(event.corrupt, previous.item.producer, previous.item.seq);
    }
    previous = undefined;
    const { producer, seq, payload } = (typeof item === 'object' && item !== null ? item : {}) as Partial<Item>;
    if (
      typeof item !== 'object' || item === null || Object.keys(item).length !== 3 ||
      typeof producer !== 'number' || !Number.isInteger(producer) || producer < 0 || producer >= parties ||
      typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq >= maxItems
    ) {
      violation(event.corrupt, -1, -1);
      continue;
    }
    if (Atomics.add(received, producer * maxItems + seq, 1) !== 0) violation(event.duplicated, producer, seq);
    if (seq <= last[producer]!) violation(event.reordered, producer, seq);
    last[producer] = seq;
    const hash =
      payload instanceof Uint8Array && !(payload.buffer instanceof SharedArrayBuffer) && payload.length === sizeOf(producer, seq)
        ? stream(producer, seq, payload, true)
        : -1;
    if (hash === -1) {
      violation(event.corrupt, producer, seq);
      continue;
    }
    const at = (consumer * parties + producer) * 3;
    got[at] += 1;
    got[at + 1] += seq;
    got[at + 2] += hash;
    previous = { item, hash };
    await breathe();
  }
}

/** Waits (without blocking the event loop) until `events[index] >= target`, or throws after `ms`. Wakes on a notify of the word. */
async function waitForCount(events: Int32Array, index: number, target: number, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  for (let value = Atomics.load(events, index); value < target; value = Atomics.load(events, index)) {
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what} (${value} of ${target})`);
    await Atomics.waitAsync(events, index, value, Math.min(left, 100)).value;
  }
}

/**
 * Runs one stress round on a queue made with `options`, shutting it down
 * once the producer threads have attempted `shutdownAfter` puts, and checks it. The
 * threads are daemons, so a party the queue hangs cannot keep the process
 * alive once the test has timed out (`signal`).
 */
async function stress(options: QueueOptions, shutdown: ShutdownKind, shutdownAfter: number, signal: AbortSignal): Promise<{ events: Record<string, number>; ms: number }> {
  // A pending Atomics.waitAsync does not keep the event loop alive (nodejs/node#44729), and the threads
  // are daemons: hold it open until the round ends or the test times out.
  const alive = setInterval(() => {}, 1 << 30);
  signal.addEventListener('abort', () => clearInterval(alive), { once: true });
  try {
    return await round(options, shutdown, shutdownAfter);
  } finally {
    clearInterval(alive);
  }
}

async function round(options: QueueOptions, shutdown: ShutdownKind, shutdownAfter: number): Promise<{ events: Record<string, number>; ms: number }> {
  const started = performance.now();
  const seed = (Math.random() * 0x7fffffff) | 0;
  const queue = new Queue<Item>(options);
  const shared: Shared = {
    events: sharedInt32(EVENT.firstViolation + 4),
    delivered: sharedInt32(PARTIES * MAX_ITEMS),
    received: sharedInt32(PARTIES * MAX_ITEMS),
    sent: sharedFloat64(PARTIES * 3),
    got: sharedFloat64(PARTIES * PARTIES * 3),
  };
  const config: Config = { parties: PARTIES, maxItems: MAX_ITEMS, shutdownAfter, budgetMs: BUDGET_MS, seed, event: EVENT };
  const { events } = shared;
  const context = `(seed ${seed}, options ${JSON.stringify(options)}, ${shutdown} shutdown)`;

  const threads = (['producer', 'consumer'] as const).flatMap((role) =>
    Array.from({ length: WORKERS }, (_, i) => new Thread({ target: party, args: [role, i, 'sync', queue, shared, config], daemon: true })),
  );
  for (const thread of threads) thread.start();
  const main = [party('producer', WORKERS, 'async', queue, shared, config), party('consumer', WORKERS, 'async', queue, shared, config)];
  // Shut down in the middle: once the producer threads have attempted `shutdownAfter` puts.
  await waitForCount(events, EVENT.attempts, shutdownAfter, BUDGET_MS, `${shutdownAfter} put attempts ${context}`);
  let backlog = 0;
  if (shutdown === 'backlog') {
    Atomics.store(events, EVENT.pause, 1);
    await waitForCount(events, EVENT.paused, PARTIES, BUDGET_MS, `the consumers to pause ${context}`);
    // Producers keep attempting (each attempt notifies `attempts`) until the queue is full.
    while (!queue.full()) {
      await waitForCount(events, EVENT.attempts, Atomics.load(events, EVENT.attempts) + 1, BUDGET_MS, `a put attempt ${context}`);
    }
    queue.shutdown();
    backlog = queue.qsize(); // nothing can be added after the shutdown: these are what the consumers must drain
    Atomics.store(events, EVENT.pause, 0);
    Atomics.notify(events, EVENT.pause);
  } else {
    queue.shutdown();
  }
  await Promise.all(main);
  for (const thread of threads) await thread.join({ timeout: BUDGET_MS });
  for (const thread of threads) {
    assert.equal(thread.isAlive(), false, `${thread.name} still running ${context}`);
    assert.equal(thread.exception, undefined, `${thread.name} threw ${String(thread.exception)} ${context}`);
  }

  const counts = Object.fromEntries(Object.entries(EVENT).map(([name, index]) => [name, events[index]!]));
  const [kind, producer, seq, consumer] = events.subarray(EVENT.firstViolation, EVENT.firstViolation + 4);
  const first = kind === 0 ? '' : `first: ${Object.keys(EVENT)[kind! - 1]} producer ${producer} seq ${seq} consumer ${consumer}`;
  assert.equal(counts.gaveUp, 0, `a party ran out of its time budget ${context}`);
  assert.equal(counts.corrupt, 0, `corrupt items ${first} ${context}`);
  assert.equal(counts.duplicated, 0, `duplicated items ${first} ${context}`);
  assert.equal(counts.reordered, 0, `a producer's items arrived out of order ${first} ${context}`);
  assert.equal(counts.producersShutDown, PARTIES, `every producer stops at ShutDownError ${context}`);
  assert.equal(counts.consumersShutDown, PARTIES, `every consumer drains until ShutDownError ${context}`);

  // Item by item: delivered exactly when received once.
  for (let p = 0; p < PARTIES; p++) {
    for (let s = 0; s < MAX_ITEMS; s++) {
      const at = p * MAX_ITEMS + s;
      if (shared.delivered[at] !== shared.received[at]) {
        assert.fail(`producer ${p} item ${s}: delivered ${shared.delivered[at]}, received ${shared.received[at]} times ${context}`);
      }
    }
  }
  // Per producer: count, id sum and payload hash sum agree.
  for (let p = 0; p < PARTIES; p++) {
    const receivedTotals = [0, 0, 0];
    for (let c = 0; c < PARTIES; c++) for (let k = 0; k < 3; k++) receivedTotals[k]! += shared.got[(c * PARTIES + p) * 3 + k]!;
    assert.deepEqual(receivedTotals, Array.from(shared.sent.subarray(p * 3, p * 3 + 3)), `producer ${p}: [count, id sum, hash sum] ${context}`);
    assert.ok(shared.sent[p * 3]! > 0, `producer ${p} delivered nothing ${context}`);
  }
  if (shutdown === 'backlog') {
    assert.ok(backlog > 0);
    assert.equal(counts.drained, backlog, `the consumers drained ${counts.drained} of the ${backlog} items left at the shutdown ${context}`);
  }
  // The run exercised what it claims to.
  assert.ok(counts.putRefused! > 0, `no put timed out ${context}`);
  assert.ok(counts.putAborted! > 0 && counts.getAborted! > 0, `no put or get was aborted ${context}`);

  // The queue is empty and stays shut: nothing left in the ring, every task done.
  assert.equal(queue.qsize(), 0);
  const { words } = queue[describeShareable]();
  assert.equal(Atomics.load(words, HEAD), Atomics.load(words, TAIL), `bytes left in the ring ${context}`);
  assert.equal(await queue.join({ timeout: 1000 }), true, `unfinished tasks left ${context}`);
  assert.throws(() => queue.getNowait(), ShutDownError);
  await assert.rejects(queue.put({ producer: 0, seq: 0, payload: new Uint8Array(1) }), ShutDownError);
  return { events: counts, ms: Math.round(performance.now() - started) };
}

test('a 64 KiB ring (big items stream through it), shut down mid-traffic: every item delivered is received once, whole and in order', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { events, ms } = await stress({ maxRingBytes: 1 << 16 }, 'racing', 3000, t.signal);
  t.diagnostic(`${ms} ms ${JSON.stringify(events)}`);
});

test('a 1 KiB ring with maxsize 4 (most items stream, in many frames), shut down mid-traffic: every item delivered is received once, whole and in order', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { events, ms } = await stress({ maxsize: 4, ringBytes: 1 << 10, maxRingBytes: 1 << 10 }, 'racing', 1500, t.signal);
  t.diagnostic(`${ms} ms ${JSON.stringify(events)}`);
});

test('the default growable ring with maxsize 16, shut down full: consumers drain exactly what was left; every item delivered is received once, whole and in order', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { events, ms } = await stress({ maxsize: 16 }, 'backlog', 3000, t.signal);
  t.diagnostic(`${ms} ms ${JSON.stringify(events)}`);
});
