// Three child processes count primes below their limit and report the count as their exit code; the array each one was passed is a copy.
import assert from 'node:assert/strict';
import { Process, activeChildren, cpuCount } from 'weft';

function countPrimes(limit: number, seen: number[]): void {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (prime) count++;
  }
  seen.push(limit); // changes the child's copy only
  console.log(`  child ${process.pid}: ${count} primes below ${limit}, seen is now [${seen}]`);
  process.exit(count); // like Python's sys.exit(count)
}

const seen: number[] = [];
const limits = [100, 500, 1000];
const processes = limits.map((limit) => new Process({ target: countPrimes, args: [limit, seen] }));

console.log(`${cpuCount()} CPUs; starting ${processes.length} processes`);
for (const p of processes) p.start();
console.log(`active children: ${activeChildren().map((p) => p.name).join(', ')}`);
for (const p of processes) await p.join();

for (const [i, p] of processes.entries()) console.log(`${p.name} (pid ${p.pid}): exitCode ${p.exitCode} = primes below ${limits[i]}`);
console.log(`seen in the parent: [${seen}] (each child pushed to its own copy)`);

assert.deepEqual(processes.map((p) => p.exitCode), [25, 95, 168]);
assert.deepEqual(seen, []);
assert.equal(activeChildren().length, 0);
