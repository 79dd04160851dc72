// A manager on TCP with an authkey: a second process connects with the key and uses it; a wrong key is refused with AuthenticationError.
import assert from 'node:assert/strict';
import { Manager, Process } from 'weft';

await using manager = new Manager({ address: { host: '127.0.0.1', port: 0 }, authkey: 'a shared secret' });
await manager.start();
const address = manager.address as { host: string; port: number }; // port 0: the real port is known now
const visits = await manager.Value('i', 0);
console.log(`manager listening on tcp ${address.host}:${address.port}`);

// Another process reaches the manager by address and key only, as a process on another host would.
async function client(where: { host: string; port: number }, key: string): Promise<void> {
  const { BaseManager, AuthenticationError } = await import('weft');
  const remote = new BaseManager({ address: where, authkey: key });
  try {
    await remote.connect(); // both sides prove they know the key (HMAC challenge), or the connection closes
  } catch (error) {
    console.log(`  key ${JSON.stringify(key)}: refused (${(error as Error).name})`);
    process.exit(error instanceof AuthenticationError ? 7 : 1);
  }
  const list = await remote.create('list', [3, 1, 2]); // made in the manager's server, used from here
  await list.sort();
  console.log(`  key ${JSON.stringify(key)}: connected; a list made in the server, sorted there: ${JSON.stringify(await list.toArray())}`);
  await remote.shutdown(); // a connected manager closes only its own connection
}

for (const key of ['a shared secret', 'a wrong guess']) {
  const child = new Process({ target: client, args: [address, key] });
  child.start();
  await child.join();
  assert.equal(child.exitCode, key === 'a wrong guess' ? 7 : 0);
}

// The refused connection changed nothing: the server and its objects are as they were.
await visits.set(1);
console.log(`after the refusal the server still serves: value = ${await visits.get()}`);
assert.equal(await visits.get(), 1);
