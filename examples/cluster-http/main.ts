// A node:cluster HTTP server (primary + 2 workers) sharing a hit counter and a per-client rate limiter in processes-scope memory; 2,000 requests on loopback, every count exact.
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { getContext, type SharedDict, type Value } from 'weft';

const processes = getContext('processes');

const WORKERS = 2;
const REQUESTS = 2_000;
const CONCURRENCY = 16;
const CLIENTS = 8; // the driver spreads its requests over 8 API keys
const BUDGET = 100; // requests each client may make per window
const WINDOW_MS = 60_000; // one window: the whole run fits in it, so every count below is exact

/** What the primary shares with its workers. */
interface Shared {
  /** Requests served, by any worker. */
  readonly hits: Value<'i'>;
  /** Fixed-window rate limiter: `<client>@<window>` → requests allowed so far in that window. */
  readonly used: SharedDict<string, number>;
  /** When window 0 began (ms since the epoch): one clock for every worker. */
  readonly epoch: Value<'d'>;
}

// This demo's segments under a namespace of their own, so it can count them (workers inherit the environment).
process.env.WEFT_NAMESPACE ??= `cluster-http-${process.pid}`;

if (cluster.isPrimary) {
  await primary();
} else {
  worker();
}

function worker(): void {
  // Forked by cluster, not handed arguments: the shared objects arrive as text in the environment.
  const { hits, used, epoch } = processes.importHandles<Shared>(process.env.WEFT_SHARED!);
  const hitsLock = hits.getLock();

  /** Takes one request from `client`'s budget for the current window; false once it is spent. */
  const allow = (client: string): boolean => {
    const key = `${client}@${Math.floor((Date.now() - epoch.value) / WINDOW_MS)}`;
    // Read, check and write as one step for every process: the dict's own lock.
    return used.withLockSync((dict) => {
      const count = dict.get(key) ?? 0;
      if (count >= BUDGET) return false;
      dict.set(key, count + 1);
      return true;
    });
  };

  http
    .createServer((request, response) => {
      hitsLock.acquireSync(); // a read-modify-write: atomic only under the lock
      hits.value += 1;
      hitsLock.release();
      const ok = allow(String(request.headers['x-api-key']));
      response.writeHead(ok ? 200 : 429, { 'content-type': 'text/plain', 'x-worker': String(cluster.worker!.id) });
      response.end(ok ? 'ok\n' : 'rate limited\n');
    })
    .listen(0, '127.0.0.1'); // port 0: the primary picks one port for every worker
}

async function primary(): Promise<void> {
  const shared: Shared = {
    hits: new processes.Value('i', 0),
    used: new processes.SharedDict<string, number>(),
    epoch: new processes.Value('d', Date.now()),
  };
  const started = performance.now();
  const env = { WEFT_SHARED: processes.exportHandles(shared) };
  const workers = Array.from({ length: WORKERS }, () => cluster.fork(env));
  const port = await new Promise<number>((resolve) => {
    let listening = 0;
    cluster.on('listening', (_worker, address) => {
      if (++listening === WORKERS) resolve(address.port);
    });
  });

  const up = performance.now();

  // The driver: CONCURRENCY keep-alive connections, REQUESTS requests in all, round-robin over the clients.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  const byWorker = new Map<string, number>();
  let next = 0;
  const get = (client: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { 'x-api-key': client } }, (response) => {
        statuses.set(response.statusCode!, (statuses.get(response.statusCode!) ?? 0) + 1);
        const id = String(response.headers['x-worker']);
        byWorker.set(id, (byWorker.get(id) ?? 0) + 1);
        response.resume().on('end', resolve).on('error', reject);
      });
      request.on('error', reject);
    });
  const loop = async (): Promise<void> => {
    while (next < REQUESTS) await get(`client-${next++ % CLIENTS}`);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const startup = Math.round(up - started);
  const elapsed = Math.round(performance.now() - up);
  agent.destroy();

  // Workers disconnect (their servers close) and exit normally, giving their mappings back.
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve).disconnect())));

  const allowed = CLIENTS * BUDGET;
  console.log(`${REQUESTS} requests, ${CONCURRENCY} at a time, to ${WORKERS} workers on 127.0.0.1:${port} in ${elapsed} ms (workers started in ${startup} ms)`);
  console.log(`  served by worker: ${[...byWorker].sort().map(([id, n]) => `#${id} ${n}`).join(', ')}`);
  console.log(`  hits counted in shared memory: ${shared.hits.value} (expected ${REQUESTS})`);
  console.log(`  200 OK: ${statuses.get(200) ?? 0} (${CLIENTS} clients x budget ${BUDGET} = ${allowed}), 429: ${statuses.get(429) ?? 0}`);
  const left = readdirSync('/dev/shm').filter((name) => name.includes(`.${process.env.WEFT_NAMESPACE}.`));
  console.log(`  segments of namespace ${process.env.WEFT_NAMESPACE} left: ${left.length}, all the primary's (${left.every((name) => name.includes(`.${process.pid}.`))}); released at its exit`);

  assert.equal(shared.hits.value, REQUESTS);
  assert.equal(statuses.get(200), allowed);
  assert.equal(statuses.get(429), REQUESTS - allowed);
  for (let c = 0; c < CLIENTS; c++) assert.equal(shared.used.get(`client-${c}@0`), BUDGET);
  assert.equal(byWorker.size, WORKERS, 'both workers served requests');
  assert.ok(left.every((name) => name.includes(`.${process.pid}.`)), 'the workers made no segment of their own');
  assert.ok(workers.every((w) => w.process.exitCode === 0));
}
