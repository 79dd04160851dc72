// An I/O-bound downloader: pool threads fetch URLs from a local server through one lock-protected cache in shared memory, so each URL is fetched once however often it is asked for.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Condition, Lock, ShareableList, ThreadPoolExecutor } from 'weft';

// The server: a few pages, two of them slow, counting the requests it serves.
const served = new Map<string, number>();
const server = createServer((request, response) => {
  const path = request.url!;
  served.set(path, (served.get(path) ?? 0) + 1);
  const delay = path.startsWith('/slow') ? 300 : 20;
  setTimeout(() => response.end(`page ${path} (${'x'.repeat(path.length * 10)})`), delay);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// The cache: a ShareableList of [url, body] pairs, in shared memory so every worker sees it. Its slots have
// fixed sizes (as in Python), so it is made with placeholders that size them, then emptied: url '' is a free
// pair, body null means "being fetched". The Condition's Lock guards it; waiting on it lets the lock go.
const SLOTS = 16;
const cache = new ShareableList(Array.from({ length: 2 * SLOTS }, (_, i) => ' '.repeat(i % 2 === 0 ? 128 : 1024)));
for (let i = 0; i < cache.length; i++) cache.set(i, i % 2 === 0 ? '' : null);
const changed = new Condition(new Lock());

// Runs in a pool thread: the cache and the condition arrive as live handles on the same shared memory.
async function download(url: string, cache: ShareableList, changed: Condition): Promise<{ body: string; how: string }> {
  let waited = false;
  await changed.acquire();
  try {
    for (;;) {
      let free = -1;
      let found = -1;
      for (let i = 0; i < cache.length && found < 0; i += 2) {
        if (cache.get(i) === url) found = i;
        else if (free < 0 && cache.get(i) === '') free = i;
      }
      if (found >= 0) {
        const body = cache.get(found + 1);
        if (body !== null) return { body: body as string, how: waited ? 'waited for another task' : 'cached' };
        waited = true;
        await changed.wait(); // another task is fetching it: wait for a change, then look again
        continue;
      }
      if (free < 0) throw new RangeError('download(): the cache is full');
      cache.set(free, url); // claim the pair before letting the lock go, so nobody else fetches this URL
      changed.release();
      let body: string | undefined;
      try {
        body = await (await fetch(url)).text();
      } finally {
        await changed.acquire();
        if (body === undefined) cache.set(free, ''); // failed: free the pair, a waiter will try again
        else cache.set(free + 1, body);
        changed.notifyAll();
      }
      return { body, how: 'fetched' };
    }
  } finally {
    changed.release();
  }
}

const paths = ['/a', '/slow1', '/a', '/b', '/slow1', '/slow1', '/c', '/b', '/slow2', '/a', '/slow2', '/slow1'];
const started = performance.now();
{
  await using pool = new ThreadPoolExecutor({ maxWorkers: 4 });
  const futures = paths.map((path) => pool.submit(download, `${base}${path}`, cache, changed));
  const results = await Promise.all(futures);
  console.log(`${paths.length} downloads of ${new Set(paths).size} distinct URLs in ${Math.round(performance.now() - started)} ms (4 threads)`);
  const how = new Map<string, number>();
  for (const [i, { body, how: way }] of results.entries()) {
    assert.ok(body.startsWith(`page ${paths[i]} `));
    how.set(way, (how.get(way) ?? 0) + 1);
  }
  for (const [way, count] of [...how].sort()) console.log(`  ${count} ${way}`);
  assert.equal(how.get('fetched'), new Set(paths).size);
}
server.closeAllConnections();
server.close();

const requests = [...served.values()].reduce((a, b) => a + b, 0);
for (const [path, count] of [...served].sort()) console.log(`  server: ${path} served ${count}x`);
console.log(`requests served: ${requests} === distinct URLs: ${new Set(paths).size}`);
assert.equal(requests, new Set(paths).size);
assert.deepEqual([...served.values()], Array(served.size).fill(1));
const cached = cache.toArray().filter((item, i) => i % 2 === 0 && item !== '');
console.log(`cache holds ${cached.length} pages`);
assert.equal(cached.length, new Set(paths).size);
