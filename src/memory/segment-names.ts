/**
 * How processes-scope segments are named: `weft.<uid>.<namespace>.<pid>.<seq>`
 * for generated ones. The user id keeps users apart (their files are 0600
 * anyway); the namespace keeps applications of one user apart, so each
 * sweeps only its own. The namespace is `WEFT_NAMESPACE` (letters, digits,
 * `_` and `-`), default `default`; a child process inherits it with its
 * environment.
 */

const NAMESPACE = /^[A-Za-z0-9_-]{1,64}$/;

/** This process's namespace: `WEFT_NAMESPACE`, default `default`. */
export function segmentNamespace(): string {
  const namespace = process.env.WEFT_NAMESPACE ?? 'default';
  if (!NAMESPACE.test(namespace)) {
    throw new TypeError(`WEFT_NAMESPACE must be 1 to 64 letters, digits, '_' or '-', got '${namespace}'`);
  }
  return namespace;
}

/** `weft.<uid>`: how every segment name of this user starts. */
export function userPrefix(): string {
  return `weft.${process.getuid?.() ?? 0}`;
}

/** `weft.<uid>.<namespace>`: how every segment name of this user and namespace starts. */
export function segmentPrefix(namespace = segmentNamespace()): string {
  return `${userPrefix()}.${namespace}`;
}

/** The creator's pid in a generated name (`….<pid>.<seq>`), if it is one. */
export function creatorPidOf(name: string): number | undefined {
  const match = /\.(\d+)\.\d+$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}
