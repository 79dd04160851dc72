/**
 * Proxies: what a party holds for an object that lives in a manager's
 * server. Every method of a proxy sends the call to the server and returns a
 * Promise of the result; the object's own code runs there.
 *
 * A proxy is a shareable (kind `weft.manager.Proxy`): sent to a child
 * process, a thread, a pool task, or stored in another manager object, it
 * is described by its token — typeid, object id, the server's id, the
 * exposed methods — plus the manager's address and authkey, and revived on
 * the other side as a proxy that connects to the same server on its first
 * call. (The authkey travels in the description, as Python's proxies carry
 * their process's authkey to children.)
 */

import { checkAddress, type Address } from './address.js';
import { sharedConnection, type ClientConnection } from './client.js';
import { requestSync } from './sync-calls.js';
import { describe, registerShareable, revive, SCOPE } from '../share/protocol.js';
import { isToken, PROXY_KIND, type Token } from './wire.js';

/** What a proxy is described by when it crosses. */
export interface ProxyDescription extends Token {
  readonly address: Address;
  readonly authkey: Uint8Array;
}

interface Held {
  readonly connection: ClientConnection;
  readonly id: number;
}

// A proxy holding a reference gives it back when it is garbage-collected,
// on the connection the reference was taken on (references are per connection).
const finalizer = new FinalizationRegistry<Held>(({ connection, id }) => {
  try {
    connection.notify({ op: 'decref', id });
  } catch {
    // the connection is gone, and its references with it
  }
});

/**
 * The base of every manager proxy. Its class per typeid adds one method per
 * exposed name; {@link BaseProxy.callMethod} calls any of them by name.
 *
 * @see Python's `multiprocessing.managers.BaseProxy`
 */
export class BaseProxy {
  readonly #token: Token;
  readonly #address: Address;
  readonly #authkey: Uint8Array;
  /** Revived proxies take their own reference on their first call. */
  #referenced: boolean;
  /** The connection of the last call, while it is open (saves a lookup per call). */
  #connection: ClientConnection | undefined;

  /** @internal Made by a manager or by reviving a description; not by users. */
  constructor(token: Token, address: Address, authkey: Uint8Array, connection: ClientConnection | undefined) {
    this.#token = token;
    this.#address = address;
    this.#authkey = authkey;
    this.#referenced = connection !== undefined;
    this.#connection = connection;
    if (connection !== undefined) finalizer.register(this, { connection, id: token.id });
  }

  /** The typeid the object was registered under (`'dict'`, `'Lock'`…). */
  get typeid(): string {
    return this.#token.typeid;
  }

  /** The object's id in its server. */
  get objectId(): number {
    return this.#token.id;
  }

  /** The methods this proxy may call. */
  get exposed(): readonly string[] {
    return this.#token.exposed;
  }

  /**
   * Calls `method` on the object in the server with `args`; resolves with
   * its result (a proxy, if the method's result is kept in the server as a
   * new object). Rejects with the method's error, rebuilt with its class.
   *
   * @see Python's `BaseProxy._callmethod`
   */
  async callMethod(method: string, args: readonly unknown[] = []): Promise<any> {
    let connection = this.#connection;
    if (connection === undefined || connection.closed) {
      connection = this.#connection = await sharedConnection(this.#address, this.#authkey);
    }
    if (!this.#referenced) {
      this.#referenced = true;
      // Sent before the call, on the same connection, so it is counted first.
      connection.request({ op: 'incref', id: this.#token.id }).catch(() => {});
      finalizer.register(this, { connection, id: this.#token.id });
    }
    const reply = await connection.request({ op: 'call', id: this.#token.id, m: method, a: args });
    return reply.token !== undefined ? makeProxy(reply.token, connection.address, connection.authkey, connection) : reply.value;
  }

  /**
   * {@link callMethod}, blocking the calling thread until the result is
   * back — for worker threads and child processes that may block (Python's
   * proxies block). A helper thread makes the call. A proxy used only this
   * way takes no reference of its own: the object lives while the proxy it
   * came from does.
   */
  callMethodSync(method: string, args: readonly unknown[] = []): any {
    const reply = requestSync(this.#address, this.#authkey, { op: 'call', id: this.#token.id, m: method, a: args });
    return reply.token !== undefined ? makeProxy(reply.token, this.#address, this.#authkey, undefined) : reply.value;
  }

  [describe](): ProxyDescription {
    return { ...this.#token, address: this.#address, authkey: this.#authkey };
  }

  static [revive](data: unknown): BaseProxy {
    if (!isToken(data)) throw new TypeError('a manager proxy description is malformed');
    const { address, authkey } = data as Partial<ProxyDescription>;
    if (!(authkey instanceof Uint8Array)) throw new TypeError('a manager proxy description has no authkey');
    const token: Token = { typeid: data.typeid, id: data.id, server: data.server, exposed: [...data.exposed] };
    return makeProxy(token, checkAddress(address), authkey, undefined);
  }

  toString(): string {
    return `<${this.#token.typeid} proxy of object ${this.#token.id}>`;
  }

  get [Symbol.toStringTag](): string {
    return `${this.#token.typeid}Proxy`;
  }
}

Object.defineProperty(BaseProxy.prototype, SCOPE, { value: 'cluster', enumerable: false });
registerShareable(PROXY_KIND, BaseProxy, { module: import.meta.url });

// Names a proxy method must not take: `then` would make every proxy a thenable.
const RESERVED = new Set(['then', 'constructor', '__proto__', ...Object.getOwnPropertyNames(BaseProxy.prototype)]);
const classes = new Map<string, typeof BaseProxy>();

/** The proxy class for a set of exposed methods (one per distinct set). */
function proxyClass(exposed: readonly string[]): typeof BaseProxy {
  const key = exposed.join('\0');
  let cls = classes.get(key);
  if (cls !== undefined) return cls;
  cls = class Proxy extends BaseProxy {};
  for (const name of exposed) {
    if (RESERVED.has(name)) continue;
    Object.defineProperty(cls.prototype, name, {
      value: function (this: BaseProxy, ...args: unknown[]) {
        return this.callMethod(name, args);
      },
      writable: true,
      configurable: true,
    });
    if (!RESERVED.has(`${name}Sync`)) {
      Object.defineProperty(cls.prototype, `${name}Sync`, {
        value: function (this: BaseProxy, ...args: unknown[]) {
          return this.callMethodSync(name, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }
  if (exposed.includes('iter')) {
    Object.defineProperty(cls.prototype, Symbol.asyncIterator, {
      value: async function* (this: BaseProxy) {
        const iterator = (await this.callMethod('iter')) as BaseProxy;
        for (;;) {
          const step = (await iterator.callMethod('next')) as IteratorResult<unknown>;
          if (step.done) return;
          yield step.value;
        }
      },
      configurable: true,
    });
  }
  classes.set(key, cls);
  return cls;
}

/** A proxy for `token` at `address`; `connection`: the reference it holds was taken on it. */
export function makeProxy(token: Token, address: Address, authkey: Uint8Array, connection: ClientConnection | undefined): BaseProxy {
  const Cls = proxyClass(token.exposed);
  return new Cls(token, address, authkey, connection);
}
