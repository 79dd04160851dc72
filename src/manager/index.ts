// The manager's public names (re-exported by src/index.ts).
export { BaseManager, type ManagerOptions, type RegisterTypeOptions } from './base-manager.js';
export { Manager } from './manager.js';
export type { ManagerPoolOptions } from './pool-type.js';
export { BaseProxy } from './proxy.js';
export type { Address } from './address.js';
export type * from './proxy-types.js';
