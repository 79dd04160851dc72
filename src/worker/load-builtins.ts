/**
 * Loads every built-in shareable kind into this worker (see
 * `share/builtins.ts`). From source this is a dynamic import; the build
 * replaces this module in the bundled worker entry with a synchronous
 * `require` of a separate bundle, so a worker that needs the built-ins does
 * not start Node's ES-module loader, and one that does not never parses them.
 */
export async function loadBuiltins(): Promise<void> {
  await import('../share/builtins.js');
}
