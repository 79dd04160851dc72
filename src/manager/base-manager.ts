/**
 * `BaseManager`: Python's `multiprocessing.managers.BaseManager` — starts a
 * server (in a child process, or in this one), or connects to a running one,
 * and makes objects in it, handing back proxies.
 */

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { forkChild } from '../run/child.js';
import { isModuleTask, type ModuleTask } from '../run/task.js';
import { InvalidStateError } from '../errors.js';
import { arbitraryAddress, checkAddress, type Address } from './address.js';
import { authkeyBytes } from './auth.js';
import { serverTypes } from './builtin-types.js';
import { poolModuleKeys } from './pool-type.js';
import { closeConnections, sharedConnection } from './client.js';
import type { StreamLimits } from './frames.js';
import { makeProxy, type BaseProxy } from './proxy.js';
import { ManagerServer } from './server.js';
import type { TypeRegistration } from './type-spec.js';
import { userType } from './user-types.js';

/** Options of a manager. */
export interface ManagerOptions extends StreamLimits {
  /**
   * Where the server listens (or, for `connect()`, where it is): a Unix
   * socket path, or `{ host, port }` for TCP (port 0: any free port; read
   * the real one from `manager.address` after `start()`). Default for
   * `start()`: a fresh socket path in the temporary directory.
   */
  readonly address?: Address;
  /** The shared secret every connection proves it knows. Default: 32 random bytes (`start()` only). */
  readonly authkey?: Uint8Array | string;
  /**
   * The modules whose exported functions a `Pool` in this manager's server
   * may run (`start()` / `serveForever()`): a client passes tasks as
   * `moduleTask(url, name)`, and a module not listed here is refused. Default:
   * none.
   */
  readonly poolModules?: readonly (string | URL)[];
}

/** Options of `register()`. */
export interface RegisterTypeOptions {
  /** The methods proxies may call. Default: the object's public methods (names not starting with `_`). */
  readonly exposed?: readonly string[];
  /** Methods whose result stays in the server as an object of another typeid, returned as its proxy. */
  readonly methodToTypeid?: Readonly<Record<string, string>>;
}

type Factory = ModuleTask | ((...args: any[]) => unknown);

interface Registered {
  readonly typeid: string;
  readonly factory: Factory | null;
  readonly options: RegisterTypeOptions;
}

// Registrations per manager class; a subclass sees its bases' too, as in Python.
const registries = new WeakMap<Function, Map<string, Registered>>();

type State = 'initial' | 'started' | 'serving' | 'connected' | 'shut down';

/**
 * A manager: a server that owns objects, and this side's handle on it.
 *
 * - `start()` forks a server process and connects to it;
 * - `serveForever()` runs the server in this process until `shutdown()`
 *   (or a client's shutdown request);
 * - `connect()` uses a server started elsewhere (another process or host).
 *
 * Every connection authenticates with `authkey` both ways (HMAC-SHA256
 * challenges); a wrong key fails with `AuthenticationError`. Nothing
 * received is ever evaluated as code: a request can only name a registered
 * typeid and an exposed method, and payloads are plain data (unlike
 * Python's managers, which unpickle what they receive).
 *
 * @see Python's `multiprocessing.managers.BaseManager`
 */
export class BaseManager {
  #address: Address | undefined;
  readonly #authkey: Uint8Array;
  readonly #limits: StreamLimits;
  #state: State = 'initial';
  #child: ChildProcess | undefined;
  #server: ManagerServer | undefined;
  #served: Promise<void> | undefined;
  #stopServing: (() => void) | undefined;
  readonly #poolModules: readonly string[];

  constructor(options: ManagerOptions = {}) {
    this.#address = options.address === undefined ? undefined : checkAddress(options.address);
    this.#authkey = options.authkey === undefined ? randomBytes(32) : authkeyBytes(options.authkey);
    const { maxFrameBytes, frameTimeout, handshakeTimeout, idleTimeout, sharedMemory } = options;
    this.#limits = { maxFrameBytes, frameTimeout, handshakeTimeout, idleTimeout, sharedMemory };
    this.#poolModules = poolModuleKeys(options.poolModules);
  }

  /**
   * Registers `typeid` on this manager class: `create(typeid, ...args)` (and
   * a method named `typeid`, as in Python) makes an object with `factory` in
   * the server and returns its proxy. For a server started with `start()`,
   * the factory must be a module task (the server process imports it; a
   * closure cannot cross); a plain function works with `serveForever()`.
   * Without a factory, this side can only connect to a server that has one.
   *
   * @throws TypeError on a bad typeid or factory.
   */
  static register(typeid: string, factory: Factory | null = null, options: RegisterTypeOptions = {}): void {
    if (typeof typeid !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(typeid)) {
      throw new TypeError(`register(): typeid must be an identifier, got ${JSON.stringify(typeid)}`);
    }
    if (factory !== null && !isModuleTask(factory) && typeof factory !== 'function') {
      throw new TypeError(`register('${typeid}'): factory must be a moduleTask() or a function`);
    }
    let own = registries.get(this);
    if (own === undefined) registries.set(this, (own = new Map()));
    own.set(typeid, { typeid, factory, options });
    if (!(typeid in this.prototype)) {
      Object.defineProperty(this.prototype, typeid, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return this.create(typeid, ...args);
        },
        writable: true,
        configurable: true,
      });
    }
  }

  /** The registrations of this manager's class and its bases. */
  #registered(): Map<string, Registered> {
    const chain: Function[] = [];
    for (let cls = this.constructor; cls !== Function.prototype && cls !== null; cls = Object.getPrototypeOf(cls)) chain.unshift(cls);
    const all = new Map<string, Registered>();
    for (const cls of chain) for (const [typeid, registered] of registries.get(cls) ?? []) all.set(typeid, registered);
    return all;
  }

  /** Where the server listens (after `start()`: the real port of a TCP address given port 0). */
  get address(): Address {
    if (this.#address === undefined) throw new InvalidStateError('the manager has no address until it is started');
    return this.#address;
  }

  /** The authkey, as bytes. */
  get authkey(): Uint8Array {
    return this.#authkey;
  }

  /**
   * Starts the server in a child process and waits until it listens. The
   * child ends with `shutdown()`, or when this process ends.
   *
   * @throws InvalidStateError if already started; TypeError for a typeid whose factory is not a module task.
   */
  async start(): Promise<void> {
    this.#expect('initial', 'start');
    const types: TypeRegistration[] = [];
    for (const { typeid, factory, options } of this.#registered().values()) {
      if (typeof factory === 'function') {
        throw new TypeError(
          `typeid '${typeid}': its factory is a function, which cannot reach the server process; ` +
            'register a moduleTask(import.meta.url, name) instead (or run the server here with serveForever())',
        );
      }
      types.push({
        typeid,
        factory: factory === null ? null : { module: factory.module, exportName: factory.exportName },
        exposed: options.exposed,
        methodToTypeid: { ...options.methodToTypeid },
      });
    }
    const address = this.#address ?? arbitraryAddress();
    const entry = new URL(`./server-entry.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
    const child = forkChild(entry);
    this.#state = 'started';
    this.#child = child;
    const ready = await new Promise<{ ready: boolean; address?: Address; message?: string }>((resolve) => {
      child.once('message', resolve);
      child.once('exit', (code) => resolve({ ready: false, message: `the server process exited with code ${code}` }));
      child.send({ address, authkey: this.#authkey, types, limits: this.#limits, poolModules: this.#poolModules });
    });
    if (!ready.ready) {
      this.#state = 'shut down';
      throw new Error(`the manager's server did not start: ${ready.message}`);
    }
    this.#address = ready.address!;
    child.unref(); // a forgotten manager does not keep this process alive; its server ends with us
  }

  /**
   * Runs the server in this process; resolves when it stops (`shutdown()`,
   * or a client's shutdown request). Plain-function factories work here.
   */
  async serveForever(): Promise<void> {
    await this.listen();
    await this.#served;
  }

  /** Starts serving in this process and resolves once listening (`serveForever()` without the wait). */
  async listen(): Promise<Address> {
    this.#expect('initial', 'serve');
    const types = serverTypes(this.#poolModules);
    for (const { typeid, factory, options } of this.#registered().values()) {
      if (factory === null) continue;
      const registration = { exposed: options.exposed, methodToTypeid: { ...options.methodToTypeid } };
      types.set(typeid, isModuleTask(factory)
        ? userType(async () => (await import(factory.module))[factory.exportName], registration, true)
        : userType(factory, registration));
    }
    const server = new ManagerServer({ ...this.#limits, authkey: this.#authkey, types });
    this.#state = 'serving';
    this.#server = server;
    this.#served = new Promise<void>((resolve) => {
      this.#stopServing = resolve;
      server.onShutdown = () => void server.close().then(resolve);
    });
    this.#address = await server.listen(this.#address ?? arbitraryAddress());
    return this.#address;
  }

  /**
   * Connects to a server started elsewhere, authenticating both ways.
   *
   * @throws AuthenticationError if the keys differ.
   */
  async connect(): Promise<void> {
    this.#expect('initial', 'connect');
    if (this.#address === undefined) throw new TypeError('connect(): give the manager an address to connect to');
    await sharedConnection(this.#address, this.#authkey, this.#limits);
    this.#state = 'connected';
  }

  /**
   * Makes an object of `typeid` in the server from `args` and returns its proxy.
   *
   * @throws TypeError (from the server) for an unknown typeid.
   */
  async create<T extends BaseProxy = BaseProxy & Record<string, (...args: any[]) => Promise<any>>>(typeid: string, ...args: unknown[]): Promise<T> {
    if (this.#state === 'initial' || this.#state === 'shut down') {
      throw new InvalidStateError(`the manager is ${this.#state === 'initial' ? 'not started or connected' : 'shut down'}`);
    }
    const connection = await sharedConnection(this.address, this.#authkey, this.#limits);
    const reply = await connection.request({ op: 'create', t: typeid, a: args });
    return makeProxy(reply.token!, connection.address, connection.authkey, connection) as T;
  }

  /**
   * Stops a server this manager started or serves (its objects are gone;
   * proxies to them fail with EOFError), or closes a connected manager's
   * connections (the server goes on). Calling it again does nothing.
   */
  async shutdown(): Promise<void> {
    const state = this.#state;
    this.#state = 'shut down';
    if (this.#address !== undefined) closeConnections(this.#address);
    if (state === 'started' && this.#child !== undefined) {
      const child = this.#child;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.ref();
        child.send({ shutdown: true });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    } else if (state === 'serving') {
      await this.#server?.close();
      this.#stopServing?.();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #expect(state: State, what: string): void {
    if (this.#state !== state) throw new InvalidStateError(`cannot ${what}: the manager is already ${this.#state}`);
  }
}
