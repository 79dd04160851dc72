/**
 * The manager server process that `BaseManager.start()` forks. It gets its
 * address, authkey and user typeids over the IPC channel from its parent
 * (never from the socket), listens, says where, and serves until told to
 * shut down — by its parent, by a client's `shutdown` request, or by its
 * parent going away.
 */

import { serverTypes } from './builtin-types.js';
import { ManagerServer } from './server.js';
import type { StreamLimits } from './frames.js';
import type { Address } from './address.js';
import type { TypeRegistration } from './type-spec.js';
import { importedType } from './user-types.js';

interface StartMessage {
  readonly address: Address;
  readonly authkey: Uint8Array;
  readonly types: readonly TypeRegistration[];
  readonly limits: StreamLimits;
  /** The modules a Pool here may run tasks of (the owner's `poolModules`). */
  readonly poolModules: readonly string[];
}

let server: ManagerServer | undefined;

async function stop(): Promise<void> {
  await server?.close();
  process.exit(0);
}

process.once('message', async (message: StartMessage) => {
  try {
    const types = serverTypes(message.poolModules);
    for (const registration of message.types) {
      if (registration.factory !== null) types.set(registration.typeid, importedType(registration));
    }
    server = new ManagerServer({ ...message.limits, authkey: message.authkey, types });
    server.onShutdown = () => void stop();
    const address = await server.listen(message.address);
    process.send!({ ready: true, address });
    process.on('message', (next: { shutdown?: boolean }) => {
      if (next?.shutdown) void stop();
    });
  } catch (error) {
    process.send!({ ready: false, message: (error as Error).message });
    process.exit(1);
  }
});
process.on('disconnect', () => void stop());
