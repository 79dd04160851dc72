/**
 * Errors crossing threads. Structured clone keeps an error's message but
 * drops its class, `code`, `cause` chain and own properties; we carry those
 * explicitly and rebuild an `Error` whose `name`, `message`, `stack`, `code`
 * and `cause` read as they did where it was thrown.
 */

export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly code: unknown;
  readonly cause: SentError | undefined;
  readonly thrown: unknown; // what was thrown when it was not an Error
  readonly isError: boolean;
  /** The error's own enumerable fields that can be cloned (a DataCloneError's `path`, a WorkerDiedError's `death`…). */
  readonly fields?: Record<string, unknown>;
}

const STANDARD = new Set(['name', 'message', 'stack', 'cause', 'code']);

function ownFields(error: Error): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    if (STANDARD.has(key)) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    try {
      structuredClone(value);
    } catch {
      continue;
    }
    (fields ??= {})[key] = value;
  }
  return fields;
}

export function sendError(error: unknown, depth = 0): SentError {
  if (!(error instanceof Error)) {
    let thrown: unknown = error;
    try {
      structuredClone(error);
    } catch {
      thrown = String(error);
    }
    return { name: 'Error', message: String(error), stack: undefined, code: undefined, cause: undefined, thrown, isError: false };
  }
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    cause: error.cause !== undefined && depth < 8 ? sendError(error.cause, depth + 1) : undefined,
    thrown: undefined,
    isError: true,
    fields: ownFields(error),
  };
}

/** Rebuilds a sent error; what was thrown as a non-Error comes back as itself. */
export function receiveError(sent: SentError): unknown {
  if (!sent.isError) return sent.thrown;
  const error = new Error(sent.message, sent.cause === undefined ? undefined : { cause: receiveError(sent.cause) });
  Object.defineProperty(error, 'name', { value: sent.name, configurable: true, writable: true });
  if (sent.stack !== undefined) error.stack = sent.stack;
  if (sent.code !== undefined) (error as { code?: unknown }).code = sent.code;
  if (sent.fields !== undefined) Object.assign(error, sent.fields);
  return error;
}
