// Four threads count the words of a text into one SharedDict, each updating it in place, while the main thread watches without blocking.
import assert from 'node:assert/strict';
import { SharedDict, SharedList, Thread } from 'weft';

const text = `
  It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of
  foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light,
  it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had
  everything before us, we had nothing before us, we were all going direct to Heaven, we were all
  going direct the other way.
`.repeat(200);
const lines = text.split('\n');

// One dict of counts and one list of what each thread did, both shared: every
// thread reads and writes the same memory, under the containers' own locks.
const counts = new SharedDict<string, number>();
const log = new SharedList<string>();

function countWords(counts: SharedDict<string, number>, log: SharedList<string>, lines: string[], id: number): void {
  let words = 0;
  for (const line of lines) {
    for (const word of line.toLowerCase().match(/[a-z]+/g) ?? []) {
      counts.compute(word, (n = 0) => n + 1); // read, add one, write back: one atomic step
      words++;
    }
  }
  log.append(`thread ${id} counted ${words} words`);
}

const parts = 4;
const share = Math.ceil(lines.length / parts);
const threads = Array.from({ length: parts }, (_, id) => new Thread({
  target: countWords,
  args: [counts, log, lines.slice(id * share, (id + 1) * share), id],
}));
const started = performance.now();
for (const thread of threads) thread.start();

// The main thread reads the same dict while the workers write it. withLock
// waits for the lock without blocking the event loop.
let looks = 0;
const running = Promise.all(threads.map((thread) => thread.join()));
for (let done = false; !done; looks++) {
  done = await Promise.race([running.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20))]);
  await counts.withLock((dict) => dict.get('was', 0));
}
const elapsed = Math.round(performance.now() - started);

// The same count in one thread with a plain Map: the shared dict must agree.
const expected = new Map<string, number>();
for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) expected.set(word, (expected.get(word) ?? 0) + 1);
assert.equal(counts.size, expected.size);
for (const [word, n] of expected) assert.equal(counts.get(word), n, word);

const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
console.log(`${counts.size} distinct words, ${[...counts.values()].reduce((a, b) => a + b, 0)} in all, counted by ${parts} threads in ${elapsed} ms`);
console.log(`top five: ${top.map(([word, n]) => `${word} ${n}`).join(', ')}`);
console.log(`the main thread looked ${looks} times while they ran, without blocking its event loop`);
console.log(log.toArray().sort().join('\n'));
assert.equal(log.length, parts);
