// Helpers of the SharedDict / SharedList tests: a seeded random source,
// what another thread would receive, and the containers' shared words.
import { decodeAsync, encode } from '../../src/share/marshal.js';
import { describe as describeShared } from '../../src/share/protocol.js';
import { drain, registry } from '../../src/shared/registry-state.js';
import { CAPACITY, GARBAGE, TOP } from '../../src/shared/container-layout.js';
import type { SharedContainer } from '../../src/shared/container.js';

/** mulberry32: a small seeded generator, so a failing fuzz run can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function below(next: () => number, n: number): number {
  return Math.floor(next() * n);
}

/** What another thread would receive: encoded, structured-cloned, decoded. */
export async function sent<T>(value: T): Promise<T> {
  return (await decodeAsync(structuredClone(encode(value, { root: 'args' })))) as T;
}

/** The arena's figures, read from the container's header words. */
export function arenaOf(container: SharedContainer): { capacity: number; top: number; garbage: number } {
  const { words } = container[describeShared]();
  return { capacity: words[CAPACITY]!, top: words[TOP]!, garbage: words[GARBAGE]! };
}

/** How many shared buffers the process-wide registry holds (values' buffers are published there). */
export function publishedBuffers(): number {
  drain();
  return registry.blocks.size;
}
