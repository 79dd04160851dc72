/**
 * Per-thread singletons that survive weft being loaded twice in one thread
 * (two copies in node_modules, or the bundled worker entry beside the
 * package's own modules): state that must be one per thread — the shareable
 * registry, the current thread's identity, the shared-memory name registry —
 * lives on `globalThis` under a `Symbol.for` key rather than in module scope.
 */
export function singleton<T>(key: string, make: () => T): T {
  const slot = Symbol.for(`weft.${key}`);
  const global = globalThis as unknown as Record<symbol, T | undefined>;
  return (global[slot] ??= make());
}
