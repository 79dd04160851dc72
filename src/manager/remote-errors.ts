/**
 * Errors thrown by a method in the manager's process, sent back to the
 * caller as plain data and rebuilt there with their class: JavaScript's
 * built-in errors and weft's own by name (with the fields that matter —
 * a KeyError's key, a QueueFullError's item), anything else as a
 * {@link RemoteError} naming the class.
 */

import * as errors from '../errors.js';

/** An error as it crosses. */
export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly fields?: Record<string, unknown>;
}

const BUILTIN: Record<string, new (message: string) => Error> = {
  Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError,
};

/** Fields of weft errors that are carried, if they are plain data. */
const FIELDS = ['key', 'item', 'path', 'remoteName'] as const;

export function sendError(error: unknown): SentError {
  if (!(error instanceof Error)) return { name: 'Error', message: `a non-Error was thrown: ${String(error)}` };
  const code = (error as { code?: unknown }).code;
  const sent: { name: string; message: string; code?: string; fields?: Record<string, unknown> } = {
    name: error.name,
    message: error.message,
  };
  if (typeof code === 'string') sent.code = code;
  for (const field of FIELDS) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (value === undefined || !Object.hasOwn(error, field)) continue;
    try {
      structuredClone(value);
    } catch {
      continue;
    }
    (sent.fields ??= {})[field] = value;
  }
  return sent;
}

type Rebuild = (message: string, fields: Record<string, unknown>) => Error;

const WEFT: Record<string, Rebuild> = {
  TimeoutError: (m) => new errors.TimeoutError(m),
  CancelledError: (m) => new errors.CancelledError(m),
  InvalidStateError: (m) => new errors.InvalidStateError(m),
  BrokenBarrierError: (m) => new errors.BrokenBarrierError(m),
  QueueEmptyError: (m) => new errors.QueueEmptyError(m),
  QueueFullError: (m, f) => new errors.QueueFullError(f.item, m),
  ShutDownError: (m) => new errors.ShutDownError(m),
  EOFError: (m) => new errors.EOFError(m),
  BrokenPipeError: (m) => new errors.BrokenPipeError(m),
  AuthenticationError: (m) => new errors.AuthenticationError(m),
  DataCloneError: (m, f) => new errors.DataCloneError(typeof f.path === 'string' ? f.path : '', m),
  KeyError: (m, f) => new errors.KeyError(f.key, m),
  RemoteError: (m, f) => new errors.RemoteError(typeof f.remoteName === 'string' ? f.remoteName : 'Error', m),
};

/** Rebuilds an error the manager sent; anything malformed becomes a RemoteError saying so. */
export function receiveError(sent: unknown): Error {
  if (typeof sent !== 'object' || sent === null) return new errors.RemoteError('Error', 'the manager sent a malformed error');
  const { name, message, code, fields } = sent as Partial<SentError>;
  const text = typeof message === 'string' ? message : '';
  const extra = typeof fields === 'object' && fields !== null ? fields : {};
  if (typeof name !== 'string') return new errors.RemoteError('Error', text);
  const builtin = Object.hasOwn(BUILTIN, name) ? BUILTIN[name] : undefined;
  if (builtin !== undefined) return new builtin(text);
  const weft = Object.hasOwn(WEFT, name) ? WEFT[name] : undefined;
  if (weft !== undefined && typeof code === 'string' && code.startsWith('ERR_WEFT_')) return weft(text, extra);
  return new errors.RemoteError(name, `${name}: ${text}`);
}
