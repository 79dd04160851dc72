// Threads that die mid-operation — terminated with worker.terminate(),
// process.exit() inside the worker, out of memory under resourceLimits —
// at the worst moments: holding a ring's putLock halfway through writing a
// streamed item, holding its getLock halfway through reading one, holding
// an ordered store's lock between taking a block and committing, and at
// random moments under load. Afterwards the queue still works, nobody
// hangs, nothing is duplicated or corrupted, and every item is accounted
// for.
//
// The parties run in bare Workers started as a pool engine starts its
// workers (recorded with threadStarted(), marked dead with markThreadDead()
// in the 'exit' event), or in a Thread, which does both itself. The moments
// are reached by handshakes, not timing: a writer with no reader parks
// mid-stream; a reader whose writer is driven step by step by the main
// thread parks mid-stream; the ordered store has a hook that stops a thread
// inside its lock. Every wait is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { Queue } from '../../src/queue/queue.js';
import { LifoQueue } from '../../src/queue/lifo-queue.js';
import { PriorityQueue } from '../../src/queue/priority-queue.js';
import { FrameRing } from '../../src/queue/ring.js';
import { PENDING } from '../../src/queue/ordered-store.js';
import { ownerName, threadOwner } from '../../src/queue/side-lock.js';
import {
  CAPACITY, itemCount, TASKS, GET_LOCK, GET_STREAM, HEAD, HEAD_WAITERS, HEADER_WORDS, MAX_CAPACITY, PUT_LOCK, PUT_STREAM, READING, TAIL,
  TAIL_WAITERS, UNFINISHED,
} from '../../src/queue/layout.js';
import { Thread } from '../../src/run/thread.js';
import { workerScript } from '../../src/run/bootstrap.js';
import { isThreadAlive, livenessBuffer, markThreadDead, threadStarted } from '../../src/run/liveness.js';
import { encode } from '../../src/share/marshal.js';
import { describe as describeShareable } from '../../src/share/protocol.js';
import { atomicsWaiter, type WaitOutcome } from '../../src/memory/waiter.js';
import { runSync, type Park, type Procedure } from '../../src/memory/steps.js';
import { QueueEmptyError } from '../../src/errors.js';
import type { PartyStart } from './fixtures/dying-party.js';
import { CTL, FLAG, PHASE, type LoadShared } from './fixtures/load-accounting.js';

const entry = new URL('./fixtures/dying-party.ts', import.meta.url);

interface Party {
  readonly worker: Worker;
  /** Its threadId. */
  readonly id: number;
  readonly ctl: Int32Array;
  /** Resolves with the exit code once the 'exit' event marked it dead. */
  readonly exited: Promise<number>;
  readonly errors: unknown[];
}

/**
 * Starts a party in a bare Worker as a pool engine starts its workers: the
 * liveness table seeded into it, recorded at start, marked dead on 'exit'.
 */
function startParty(role: PartyStart['role'], queue: unknown, extra: unknown[] = [], resourceLimits?: ResourceLimits): Party {
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const data: PartyStart = { role, args: encode([queue, ctl, ...extra], { root: 'args' }), liveness: livenessBuffer() };
  const { script, eval: evaluate, workerData } = workerScript(entry, data);
  const worker = new Worker(script, { eval: evaluate, workerData, resourceLimits });
  const id = worker.threadId;
  threadStarted(id);
  const errors: unknown[] = [];
  worker.on('error', (error) => errors.push(error));
  const exited = new Promise<number>((resolve) => {
    worker.once('exit', (code) => {
      markThreadDead(id);
      resolve(code);
    });
  });
  return { worker, id, ctl, exited, errors };
}

/** Resolves once `condition()` holds; throws after `ms` (polls: the other side is another thread). */
async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** `promise`, or a rejection after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The threadId a lock word names, or undefined if it is free. */
function holder(word: number): number | undefined {
  return word === 0 ? undefined : (word >>> 1) - 1;
}

/** Finishes a procedure the main thread drives, from the park it stopped at, without blocking the event loop. */
async function resume<R>(procedure: Procedure<R>, park: Park, ms: number): Promise<R> {
  const deadline = performance.now() + ms;
  let step: IteratorResult<Park, R> = { done: false, value: park };
  while (!step.done) {
    if (performance.now() > deadline) throw new Error(`the procedure did not finish within ${ms} ms`);
    const { words, index, expected } = step.value;
    const outcome = await atomicsWaiter.waitAsync(words, index, expected, Math.min(step.value.deadline, performance.now() + 100));
    step = procedure.next(outcome as WaitOutcome);
  }
  return step.value;
}

/** Nothing held, nothing midway, nothing left in the ring. */
function assertSettled(words: Int32Array): void {
  assert.equal(words[PUT_LOCK], 0, 'putLock free');
  assert.equal(words[GET_LOCK], 0, 'getLock free');
  assert.equal(words[PUT_STREAM], 0, 'no stream being written');
  assert.equal(words[GET_STREAM], 0, 'no stream being read');
  assert.equal(itemCount(words), 0, 'no item counted');
  assert.equal(words[HEAD], words[TAIL], 'no frame left in the ring');
}

// 50,000 bytes through a 1 KiB ring: streamed in ~50 frames.
const BIG = 50_000;
const smallRing = () => new Queue<unknown>({ ringBytes: 1024, maxRingBytes: 1024 });

/** Waits until a writer parks halfway through a streamed item, holding putLock: nobody reads. */
async function writerParkedMidStream(words: Int32Array): Promise<void> {
  await until(() => words[PUT_STREAM] === 1 && words[HEAD_WAITERS]! > 0, 'the writer to park mid-stream');
  assert.equal(itemCount(words), 1, 'a streamed item counts from its first frame');
}

/**
 * After a writer died mid-stream: `recoverer` takes putLock over — a put
 * that was already `parked` on it, if given — the half-written item never
 * arrives, and the queue goes on.
 */
async function checkWriterRecovery(queue: Queue<unknown>, recoverer: 'put' | 'get', parked?: Promise<void>): Promise<void> {
  const { words } = queue[describeShareable]();
  if (parked !== undefined) {
    // It sleeps on the lock word at most CHECK_MS at a time, then looks at the holder again.
    await until(() => words[PUT_STREAM] === 0, 'the parked put to take the lock over and write the ABORT frame', 5000);
  } else if (recoverer === 'get') {
    // The reader takes the item, finds no more frames and the writer dead: it writes the ABORT frame the writer owed, and drops the item.
    await assert.rejects(queue.get({ timeout: 300 }), QueueEmptyError);
    assert.equal(words[PUT_LOCK], 0, 'the reader released the dead writer’s putLock');
  }
  // A put takes the dead writer's putLock over (if the get did not) before it first waits: then it
  // waits for room, until a get drops the aborted item.
  const putting = parked ?? queue.put('after', { timeout: 5000 });
  assert.equal(words[PUT_STREAM], 0, 'the ABORT frame is written');
  assert.equal(await queue.get({ timeout: 5000 }), 'after', 'the half-written item is never delivered; the next one is');
  await putting;
  queue.taskDone();
  assertSettled(words);
  assert.equal(await queue.join({ timeout: 1000 }), true, 'the aborted item left no unfinished task');
}

for (const recoverer of ['put', 'get'] as const) {
  test(`a writer terminated mid-stream, holding putLock: ${recoverer === 'put' ? 'a put parked on the lock' : 'the next get'} takes it over and ends the item with ABORT`, { timeout: 30_000 }, async () => {
    const queue = smallRing();
    const { words } = queue[describeShareable]();
    const writer = startParty('put', queue, [BIG]);
    await writerParkedMidStream(words);
    assert.equal(holder(words[PUT_LOCK]!), writer.id, 'putLock names its holder');
    // The put waits for the lock before the writer dies, without blocking the event loop.
    const parked = recoverer === 'put' ? queue.put('after', { timeout: 10_000 }) : undefined;
    if (parked !== undefined) assert.equal(words[PUT_LOCK]! & 1, 1, 'the put is parked on putLock');
    await writer.worker.terminate();
    await within(writer.exited, 10_000, 'the writer to exit');
    assert.equal(isThreadAlive(writer.id), false);
    await checkWriterRecovery(queue, recoverer, parked);
  });
}

test('a Thread that calls process.exit() while its un-awaited put holds putLock mid-stream: Thread marks it dead, a put takes over', { timeout: 30_000 }, async () => {
  const queue = smallRing();
  const { words } = queue[describeShareable]();
  const go = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Thread({
    target: async (q: Queue<unknown>, go: Int32Array, size: number) => {
      q.put(new Uint8Array(size)).catch(() => {});
      await Atomics.waitAsync(go, 0, 0).value;
      process.exit(7);
    },
    args: [queue, go, BIG],
  });
  thread.start();
  await writerParkedMidStream(words);
  assert.equal(holder(words[PUT_LOCK]!), thread.ident);
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  await within(thread.join(), 10_000, 'the thread to exit');
  assert.equal(thread.exitCode, 7);
  assert.equal(isThreadAlive(thread.ident!), false);
  await checkWriterRecovery(queue, 'put');
});

test('a worker that runs out of memory under resourceLimits while its put holds putLock mid-stream: a get takes over', { timeout: 30_000 }, async () => {
  const queue = smallRing();
  const { words } = queue[describeShareable]();
  const party = startParty('put-then-oom', queue, [BIG], { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 });
  await writerParkedMidStream(words);
  Atomics.store(party.ctl, CTL.go, 1);
  Atomics.notify(party.ctl, CTL.go);
  await within(party.exited, 20_000, 'the worker to run out of memory');
  assert.equal((party.errors[0] as { code?: string } | undefined)?.code, 'ERR_WORKER_OUT_OF_MEMORY');
  await checkWriterRecovery(queue, 'get');
});

test('a reader terminated mid-stream, holding getLock: the writer sees it, ends the item (taken by the dead reader), the queue goes on', { timeout: 30_000 }, async () => {
  const queue = smallRing();
  const { words, data } = queue[describeShareable]();
  const reader = startParty('get', queue);
  await until(() => Atomics.load(reader.ctl, CTL.stage) === 1, 'the reader to start');
  // The main thread writes, step by step: the first frame, then it parks for room.
  const writer = new FrameRing(words, data, atomicsWaiter);
  const put = writer.put(new Uint8Array(BIG).fill(1), BIG, 0, 0, true, Infinity);
  const parked = put.next();
  assert.equal(parked.done, false);
  await until(
    () => words[GET_STREAM] === READING && words[TAIL_WAITERS]! > 0 && words[HEAD] === words[TAIL],
    'the reader to take the item and wait for its next frame',
  );
  assert.equal(holder(words[GET_LOCK]!), reader.id, 'getLock names its holder');
  await reader.worker.terminate();
  await within(reader.exited, 10_000, 'the reader to exit');
  // The writer finds the reader dead: it skips what it wrote since, and the item counts as
  // delivered — taken by the reader that died — instead of filling the ring for nobody.
  assert.equal(await resume(put, parked.value as Park, 10_000), undefined, 'the put returns: the item was delivered');
  await queue.put('after', { timeout: 5000 });
  assert.equal(await queue.get({ timeout: 5000 }), 'after');
  queue.taskDone();
  assertSettled(words);
  // As in Python, an item a consumer took and never marked done stays unfinished.
  assert.equal(words[UNFINISHED]! & TASKS, 1, 'the item the dead reader took is the only unfinished task');
});

// --- step by step, with parties the main thread plays ---------------------

/** Thread ids no real thread of this process reaches, for parties the main thread plays and "kills". */
let fakeThread = 100_000;

function bareRing(capacity: number): { words: Int32Array; as: (thread: number) => FrameRing } {
  const words = new Int32Array(new SharedArrayBuffer(HEADER_WORDS * 4));
  words[CAPACITY] = capacity;
  words[MAX_CAPACITY] = capacity;
  const buffer = new SharedArrayBuffer(capacity, { maxByteLength: capacity });
  return { words, as: (thread) => new FrameRing(words, buffer, atomicsWaiter, threadOwner(ownerName(thread))) };
}

const bytesOf = (raw: { bytes: Uint8Array; offset: number; length: number }) => raw.bytes.slice(raw.offset, raw.offset + raw.length);

/** Drives `procedure` until it parks or ends (every wait answered 'ok'); the value if it ended. */
function step<R>(procedure: Procedure<R>): { done: boolean; value: R | undefined } {
  const first = procedure.next('ok');
  return { done: first.done === true, value: first.done ? first.value : undefined };
}

/** A reader dies after part of a streamed item that is written to the end, and an item follows it. */
function readerDiesAfterAFullStream(): { words: Int32Array; as: (thread: number) => FrameRing; next: Uint8Array } {
  const ring = bareRing(1024);
  const writerId = fakeThread++;
  const readerId = fakeThread++;
  const writer = ring.as(writerId);
  const reader = ring.as(readerId);
  // 2,500 bytes: FIRST and MORE frames of 992 bytes fill the ring in turn, LAST has the rest.
  const put = writer.put(new Uint8Array(2500).fill(9), 2500, 0, 0, true, Infinity);
  const get = reader.get(true, Infinity, () => new Uint8Array(0), bytesOf);
  assert.equal(step(put).done, false, 'FIRST written; the writer waits for room');
  assert.equal(step(get).done, false, 'the reader took the item, read FIRST, waits for the next frame');
  assert.equal(step(put).done, false, 'MORE written');
  assert.equal(step(get).done, false, 'the reader read MORE');
  assert.deepEqual(step(put), { done: true, value: undefined }, 'LAST written: the put is done');
  const next = new Uint8Array(100).fill(5);
  assert.equal(writer.tryPut(next, 100, 0, 0), undefined, 'an item after it');
  markThreadDead(readerId); // the reader never reads LAST: it died
  return { ...ring, next };
}

test('step by step: a reader dies midway through a fully written stream; the next get skips the rest of it and takes the item after', () => {
  const { words, as } = readerDiesAfterAFullStream();
  const got = runSync(as(fakeThread++).get(true, performance.now() + 5000, () => new Uint8Array(0), bytesOf), atomicsWaiter);
  assert.deepEqual(got, new Uint8Array(100).fill(5));
  assertSettled(words);
});

test('step by step: a reader dies midway through a fully written stream; a put short of room skips its frames to make room', () => {
  const { words, as, next } = readerDiesAfterAFullStream();
  const party = as(fakeThread++);
  const big = new Uint8Array(700).fill(6); // no room behind the orphan LAST frame and the item already there
  assert.equal(runSync(party.put(big, 700, 0, 0, true, performance.now() + 5000), atomicsWaiter), undefined);
  const take = () => runSync(party.get(true, performance.now() + 5000, () => new Uint8Array(0), bytesOf), atomicsWaiter);
  assert.deepEqual(take(), next);
  assert.deepEqual(take(), big);
  assertSettled(words);
});

// --- the ordered store (LifoQueue, PriorityQueue) --------------------------

for (const kind of ['priority', 'lifo'] as const) {
  for (const at of ['put', 'take'] as const) {
    test(`${kind === 'priority' ? 'PriorityQueue' : 'LifoQueue'}: a thread terminated inside the lock (${at === 'put' ? 'its entry placed, not committed' : 'its entry picked, not removed'}): the next party repairs the store`, { timeout: 30_000 }, async () => {
      const queue = kind === 'priority' ? new PriorityQueue<[number, string]>() : new LifoQueue<[number, string]>();
      const { words } = queue[describeShareable]();
      const keys = [5, 3, 8, 1, 9, 2, 7, 4, 6];
      for (const key of keys) await queue.put([key, `item ${key}`]);
      // Key 0 sorts first: its entry is sifted to the root of the heap before the commit.
      const party = startParty('stop-in-store', queue, [at, [0, 'dying']]);
      await until(() => Atomics.load(party.ctl, CTL.stage) === 1, `the thread to stop inside the lock at '${at}'`);
      assert.equal(holder(words[PUT_LOCK]!), party.id);
      await party.worker.terminate();
      await within(party.exited, 10_000, 'the thread to exit');
      const expected = kind === 'priority' ? [...keys].sort((a, b) => a - b) : [...keys].reverse();
      const got: number[] = [];
      for (let i = 0; i < keys.length; i++) got.push((await queue.get({ timeout: 5000 }))[0]);
      // A put that never committed is never delivered; an item a take never removed is still there.
      assert.deepEqual(got, expected);
      assert.equal(queue.qsize(), 0);
      assert.throws(() => queue.getNowait(), QueueEmptyError);
      assert.equal(words[PENDING], 0, 'the dead put’s block was given back');
      await queue.put([1, 'again']);
      assert.deepEqual(await queue.get({ timeout: 1000 }), [1, 'again']);
      for (let i = 0; i <= keys.length; i++) queue.taskDone();
      assert.equal(await queue.join({ timeout: 1000 }), true, 'no task left unfinished');
      assert.equal(words[PUT_LOCK], 0);
    });
  }
}

// --- random terminations under load -----------------------------------------

const LOAD = {
  producers: 4,
  consumers: 4,
  kills: 12,
  maxSeq: 1 << 17, // more than a producer puts in a run
  parties: 20, // party ids of each role a run may use (replacements get new ids)
  budgetMs: 60_000,
};

for (const kind of ['Queue', 'PriorityQueue'] as const) {
test(`${kind}: 4 producers and 4 consumers, some terminated at random moments: nothing is lost, duplicated or corrupted, nobody hangs`, { timeout: LOAD.budgetMs + 30_000 }, async (t) => {
  // Queue: a 4 KiB ring with maxsize 8, so a tenth of the items (5 to 20 KB) stream through it.
  // PriorityQueue: its arena, with few distinct priorities (many ties to keep FIFO among).
  const queue = kind === 'Queue'
    ? new Queue<unknown>({ maxsize: 8, ringBytes: 4096, maxRingBytes: 4096 })
    : new PriorityQueue<unknown>({ maxsize: 8, key: (item) => (item as { seq: number }).seq % 5 });
  const { words } = queue[describeShareable]();
  const int32 = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));
  const shared: LoadShared = {
    items: int32(LOAD.parties * LOAD.maxSeq),
    received: int32(LOAD.parties * LOAD.maxSeq),
    phase: int32(2 * LOAD.parties),
    progress: int32(2 * LOAD.parties),
    events: int32(2),
    control: int32(2),
    maxSeq: LOAD.maxSeq,
    parties: LOAD.parties,
  };
  const started = performance.now();
  type Role = 'producer' | 'consumer';
  const live: { role: Role; id: number; party: Party }[] = [];
  const all: Party[] = [];
  const nextId: Record<Role, number> = { producer: 0, consumer: 0 };
  const start = (role: Role): void => {
    const id = nextId[role]++;
    assert.ok(id < LOAD.parties, 'more parties than the bookkeeping has room for');
    const party = startParty(role, queue, [shared, id]);
    live.push({ role, id, party });
    all.push(party);
  };
  const slot = (role: Role, id: number) => (role === 'producer' ? id : LOAD.parties + id);
  for (let i = 0; i < LOAD.producers; i++) start('producer');
  for (let i = 0; i < LOAD.consumers; i++) start('consumer');
  // Whatever fails, no party outlives the test.
  t.after(() => Promise.all(all.map((party) => party.worker.terminate())));
  const state = () => {
    const lock = (index: number) => `${holder(words[index]!) ?? 'free'}${words[index] ? (isThreadAlive(holder(words[index]!)!) ? '' : ' (dead)') : ''}`;
    return `putLock ${lock(PUT_LOCK)}, getLock ${lock(GET_LOCK)}, count ${itemCount(words)}, putStream ${words[PUT_STREAM]}, ` +
      `getStream ${words[GET_STREAM]}, ring ${(words[TAIL]! - words[HEAD]!) >>> 0} bytes; live ${live.map((p) => `${p.role} ${p.id} (thread ${p.party.id}) phase ${shared.phase[slot(p.role, p.id)]} done ${shared.progress[slot(p.role, p.id)]}`).join(', ')}; errors ${all.flatMap((p) => p.errors).map(String).join('; ')}`;
  };

  // Kill a random party at a random moment once it is under way, and start another in its place.
  const killed: { role: Role; id: number; phase: number; held: string }[] = [];
  for (let k = 0; k < LOAD.kills; k++) {
    const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
    const at = slot(victim.role, victim.id);
    const before = Atomics.load(shared.progress, at);
    const more = Math.floor(Math.random() * 20);
    await until(() => Atomics.load(shared.progress, at) > before + more, `${victim.role} ${victim.id} to make progress`).catch((error) => {
      throw new Error(`${(error as Error).message}: ${state()}`);
    });
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
    await victim.party.worker.terminate();
    await within(victim.party.exited, 10_000, `${victim.role} ${victim.id} to exit`);
    // What it died holding, as far as a look right after its exit shows (the others may have taken over already).
    const held = [PUT_LOCK, GET_LOCK].filter((index) => holder(words[index]!) === victim.party.id).map((index) => (index === PUT_LOCK ? ' holding putLock' : ' holding getLock'));
    killed.push({ role: victim.role, id: victim.id, phase: Atomics.load(shared.phase, at), held: held.join('') });
    start(victim.role);
  }

  // Stop the producers; let the consumers drain; stop them. Every wait is bounded, so a hang fails here.
  Atomics.store(shared.control, 0, 1);
  for (const { party, role } of live) if (role === 'producer') await within(party.exited, 10_000, 'a producer to stop');
  await until(() => queue.qsize() === 0, 'the consumers to drain the queue');
  Atomics.store(shared.control, 1, 1);
  for (const { party } of live) await within(party.exited, 10_000, 'a consumer to stop');
  for (const party of all) assert.deepEqual(party.errors, [], 'a party threw');

  // The queue still works, and nothing is held or midway — even a stream a
  // dead reader left is skipped by the next get.
  const getting = queue.get({ timeout: 5000 });
  await queue.put({ producer: -1, seq: 0, payload: new Uint8Array(10_000).fill(3) }, { timeout: 5000 }); // streamed
  assert.deepEqual(await getting, { producer: -1, seq: 0, payload: new Uint8Array(10_000).fill(3) });
  queue.taskDone();
  assertSettled(words);
  if (kind === 'PriorityQueue') assert.equal(words[PENDING], 0, 'no block taken and not committed');

  // Accounting, item by item.
  const [duplicated, corrupt] = [shared.events[0], shared.events[1]];
  assert.equal(duplicated, 0, 'an item was received twice');
  assert.equal(corrupt, 0, 'an item arrived corrupted');
  const killedIn = (role: Role, phase: number) => killed.filter((k) => k.role === role && k.phase === phase).length;
  const inFlight = new Set(killed.filter((k) => k.role === 'producer' && k.phase === PHASE.inPut).map((k) => k.id));
  let returned = 0;
  let missing = 0; // put returned, never received: taken by a consumer that died before recording it
  let unreturnedReceived = 0; // received though its put never returned: a killed producer's item in flight
  let receivedNotDone = 0;
  for (let p = 0; p < nextId.producer; p++) {
    for (let s = 0; s < LOAD.maxSeq; s++) {
      const at = p * LOAD.maxSeq + s;
      const flags = shared.items[at]!;
      const got = shared.received[at]!;
      if (flags & FLAG.returned) returned++;
      if (got === 0 && flags & FLAG.returned) missing++;
      if (got > 0) {
        assert.ok(flags & FLAG.attempted, `producer ${p} item ${s} received but never put`);
        assert.ok(!(flags & FLAG.refused), `producer ${p} item ${s} received though its put timed out`);
        if (!(flags & FLAG.returned)) {
          unreturnedReceived++;
          assert.ok(inFlight.has(p), `producer ${p} item ${s} received, its put never returned, and its producer was not killed in put`);
        }
        if (!(flags & FLAG.done)) receivedNotDone++;
      }
    }
  }
  // Each consumer killed inside get() may have taken one item with it, and no other consumer took any.
  const consumersKilledInGet = killedIn('consumer', PHASE.inGet);
  assert.ok(missing <= consumersKilledInGet, `${missing} items were lost, but only ${consumersKilledInGet} consumers died inside get()`);
  assert.ok(unreturnedReceived <= inFlight.size);
  // Unfinished tasks: items received and not marked done, plus the items dead consumers took
  // (at least the missing ones; at most one per consumer killed in get, or in taskDone).
  const unfinished = (words[UNFINISHED]! & TASKS) - receivedNotDone;
  assert.ok(
    unfinished >= missing && unfinished <= consumersKilledInGet + killedIn('consumer', PHASE.inTaskDone),
    `unfinished tasks ${words[UNFINISHED]! & TASKS}: ${receivedNotDone} received and not done, ${missing} missing, ${consumersKilledInGet} consumers killed in get`,
  );
  assert.ok(returned > 1000, `only ${returned} items went through`);
  t.diagnostic(
    `${Math.round(performance.now() - started)} ms, ${returned} items put, ${killed.length} kills ` +
      `(${killed.map((k) => `${k.role} ${['idle', 'in put', 'in get', 'in taskDone'][k.phase]}${k.held}`).join(', ')}); ` +
      `${missing} taken by dead consumers, ${unreturnedReceived} delivered by dead producers`,
  );
});
}
