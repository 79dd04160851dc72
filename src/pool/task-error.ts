/** A task's error as the pool's caller sees it, rebuilt from what the worker sent. */

import * as weftErrors from '../errors.js';
import { receiveError, type SentError } from '../run/error-transfer.js';

/** Error classes a task's error is rebuilt as, by name: JavaScript's own and weft's. */
const ERROR_CLASSES: Record<string, Function> = { ...weftErrors };
for (const name of ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError']) {
  ERROR_CLASSES[name] = (globalThis as Record<string, unknown>)[name] as Function;
}

/**
 * Rebuilds a task's error: its class (a built-in or a weft error class, by
 * name; otherwise an `Error` with that name), message, code and stack, with
 * the worker-side error as `cause`.
 */
export function taskError(sent: SentError): unknown {
  const remote = receiveError(sent);
  if (!sent.isError) return remote;
  const error = new Error(sent.message, { cause: remote });
  const type = Object.hasOwn(ERROR_CLASSES, sent.name) ? ERROR_CLASSES[sent.name] : undefined;
  if (typeof type === 'function' && (type === Error || type.prototype instanceof Error)) Object.setPrototypeOf(error, type.prototype);
  if (sent.name !== 'Error') Object.defineProperty(error, 'name', { value: sent.name, configurable: true, writable: true });
  if (sent.stack !== undefined) error.stack = sent.stack;
  if (sent.code !== undefined) (error as { code?: unknown }).code = sent.code;
  if (sent.fields !== undefined) Object.assign(error, sent.fields);
  return error;
}
