// An RLock lets the thread that holds it acquire it again: recursive code that locks at every level.
import assert from 'node:assert/strict';
import { RLock, Thread, SharedArray } from 'weft';

const lock = new RLock();
const depthSeen = new SharedArray('i', 1);

function walk(lock: RLock, depthSeen: SharedArray<'i'>, depth: number): void {
  // Each level acquires the lock its caller already holds; a plain Lock would deadlock here.
  const visit = (level: number): void => {
    lock.acquireSync();
    try {
      depthSeen[0] = Math.max(depthSeen[0]!, level);
      if (level < depth) visit(level + 1);
    } finally {
      lock.release();
    }
  };
  visit(1);
}

const thread = new Thread({ target: walk, args: [lock, depthSeen, 5] });
thread.start();
await thread.join();
console.log(`the worker re-entered the lock ${depthSeen[0]} levels deep; held afterwards: ${lock.locked()}`);
assert.equal(depthSeen[0], 5);
assert.equal(lock.locked(), false);

// Another thread cannot release a lock it does not own.
await lock.acquire();
const intruder = new Thread({ target: (lock: RLock) => lock.release(), args: [lock] });
Thread.excepthook = ({ exception }) => console.log(`release from another thread refused: ${(exception as Error).message}`);
intruder.start();
await intruder.join();
assert.match(String(intruder.exception), /un-acquired/);
lock.release();
