/**
 * The whole weft error hierarchy.
 *
 * Every error weft raises for a condition (as opposed to misuse, which throws
 * the built-in `TypeError` / `RangeError` with a sentence naming the thing) is
 * a {@link WeftError}: it has a stable `code` to switch on and a `name` equal
 * to its class name.
 *
 * @module
 */

/**
 * Base class of every weft error. `code` is stable across releases.
 *
 * @example
 * ```ts
 * import { WeftError, BrokenBarrierError } from 'weft';
 * const err = new BrokenBarrierError();
 * console.log(err instanceof WeftError, err.code); // true ERR_WEFT_BROKEN_BARRIER
 * ```
 */
export class WeftError extends Error {
  /** A stable identifier, `ERR_WEFT_…`. */
  readonly code: string;

  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A blocking operation ran out of time where Python raises rather than
 * returning a value (a timed-out `Lock.acquire` returns `false` instead).
 *
 * @see Python's `TimeoutError` / `concurrent.futures.TimeoutError`
 */
export class TimeoutError extends WeftError {
  constructor(message = 'the operation timed out', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_TIMEOUT', options);
  }
}

/** A future or task was cancelled. @see Python's `concurrent.futures.CancelledError` */
export class CancelledError extends WeftError {
  constructor(message = 'the operation was cancelled', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_CANCELLED', options);
  }
}

/**
 * An operation is not valid in the object's current state: releasing a lock
 * that is not held, waiting on a condition without its lock, starting a thread
 * twice, setting a future's result twice.
 *
 * @see Python's `RuntimeError` (threading) and `InvalidStateError` (futures)
 */
export class InvalidStateError extends WeftError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_WEFT_INVALID_STATE', options);
  }
}

/**
 * A barrier was broken (by `abort()`, `reset()` while parties waited, a
 * timeout, or a failing action) while a party waited on it or tried to.
 *
 * @see Python's `threading.BrokenBarrierError`
 */
export class BrokenBarrierError extends WeftError {
  constructor(message = 'the barrier is broken', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_BROKEN_BARRIER', options);
  }
}

/** The executor cannot run work any more. @see Python's `BrokenExecutor` */
export class BrokenExecutorError extends WeftError {
  constructor(message: string, options?: ErrorOptions, code = 'ERR_WEFT_BROKEN_EXECUTOR') {
    super(message, code, options);
  }
}

/** A thread pool cannot run work any more; `cause` is the worker's error. */
export class BrokenThreadPoolError extends BrokenExecutorError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'ERR_WEFT_BROKEN_THREAD_POOL');
  }
}

/** A process pool cannot run work any more; `cause` is the worker's error. */
export class BrokenProcessPoolError extends BrokenExecutorError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options, 'ERR_WEFT_BROKEN_PROCESS_POOL');
  }
}

/** How a pool's worker ended while it was running a task. */
export type WorkerDeath =
  | { readonly kind: 'exit'; readonly exitCode: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'out-of-memory' }
  | { readonly kind: 'uncaught'; readonly error: unknown };

/**
 * The worker running a task died before the task finished: `process.exit()`
 * in the task, an uncaught error in a timer it left, out of memory under
 * `resourceLimits`, or a child process killed by a signal. `death` says how;
 * `cause` is the uncaught error, if there was one. Only that task fails: the
 * pool replaces the worker and goes on (unless it was made to break like
 * Python's, see the executor's `onWorkerDeath` option).
 */
export class WorkerDiedError extends WeftError {
  readonly death: WorkerDeath;
  constructor(message: string, death: WorkerDeath, options?: ErrorOptions) {
    super(message, 'ERR_WEFT_WORKER_DIED', options);
    this.death = death;
  }
}

/** `getNowait()` (or a timed-out `get`) found the queue empty. @see Python's `queue.Empty` */
export class QueueEmptyError extends WeftError {
  constructor(message = 'the queue is empty', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_QUEUE_EMPTY', options);
  }
}

/**
 * `putNowait()` (or a timed-out `put`) found the queue full. The item that was
 * not enqueued comes back as `item`, so nothing is lost.
 *
 * @see Python's `queue.Full`
 */
export class QueueFullError<T = unknown> extends WeftError {
  /** The item that could not be put. */
  readonly item: T;

  constructor(item: T, message = 'the queue is full', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_QUEUE_FULL', options);
    this.item = item;
  }
}

/** The queue (or executor) was shut down. @see Python 3.13's `queue.ShutDown` */
export class ShutDownError extends WeftError {
  constructor(message = 'the queue has been shut down', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_SHUT_DOWN', options);
  }
}

/**
 * The other end of a pipe was closed and everything it sent has been
 * received.
 *
 * @see Python's `EOFError` from `Connection.recv()`
 */
export class EOFError extends WeftError {
  constructor(message = 'the other end of the pipe was closed', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_EOF', options);
  }
}

/** The reading end of a pipe was closed: nothing sent now can arrive. @see Python's `BrokenPipeError` */
export class BrokenPipeError extends WeftError {
  constructor(message = 'the reading end of the pipe was closed', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_BROKEN_PIPE', options);
  }
}

/** A peer failed the authkey challenge. @see Python's `multiprocessing.AuthenticationError` */
export class AuthenticationError extends WeftError {
  constructor(message = 'authentication failed', options?: ErrorOptions) {
    super(message, 'ERR_WEFT_AUTHENTICATION', options);
  }
}

/**
 * A value cannot cross to another thread or process: a function, a symbol, a
 * class instance that did not join the sharing protocol, or a shareable whose
 * scope does not reach the destination. `path` names where it was found
 * (`args[1].handler`).
 */
export class DataCloneError extends WeftError {
  /** Where in the sent value the offending part sits, e.g. `args[1].handler`. */
  readonly path: string;

  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, 'ERR_WEFT_DATA_CLONE', options);
    this.path = path;
  }
}

/**
 * A plain function sent to run elsewhere uses a variable from the scope it was
 * written in. Functions cross as source text, so captured variables do not
 * exist on the other side; pass the value as an argument instead.
 */
export class CaptureError extends WeftError {
  /** The captured identifiers, in order of first use. */
  readonly identifiers: readonly string[];

  constructor(identifiers: readonly string[], message: string) {
    super(message, 'ERR_WEFT_CAPTURE');
    this.identifiers = identifiers;
  }
}

/** Why the processes scope cannot be used in this process. */
export type ProcessesUnavailableReason =
  /** Not Linux: the scope needs POSIX shared memory and futexes. */
  | 'platform'
  /** The native addon was not built (or its build failed at install). */
  | 'not-built'
  /** The addon exists but would not load (`cause` says why). */
  | 'load-failed'
  /** The addon was built for another version of weft. */
  | 'stale-build'
  /** V8 runs with its sandbox (Electron): external memory cannot back a SharedArrayBuffer. */
  | 'v8-sandbox';

/**
 * The `processes` scope cannot be used here; `reason` says why and the
 * message says what to do. Thrown at the first use of processes-scope memory
 * or waits, never when weft is imported: the threads scope keeps working.
 */
export class ProcessesScopeUnavailableError extends WeftError {
  readonly reason: ProcessesUnavailableReason;

  constructor(reason: ProcessesUnavailableReason, message: string, options?: ErrorOptions) {
    super(message, 'ERR_WEFT_PROCESSES_UNAVAILABLE', options);
    this.reason = reason;
  }
}

/**
 * A processes-scope shared-memory segment could not be made or mapped (no
 * room in /dev/shm, too many open files...); `cause` is the system error.
 * Subclasses name the conditions callers handle.
 */
export class SegmentError extends WeftError {
  /** The segment's name (a file in /dev/shm). */
  readonly segment: string;

  constructor(segment: string, message: string, options?: ErrorOptions, code = 'ERR_WEFT_SEGMENT') {
    super(message, code, options);
    this.segment = segment;
  }
}

/** No segment has the name given to attach to. */
export class SegmentNotFoundError extends SegmentError {
  constructor(segment: string, message: string, options?: ErrorOptions) {
    super(segment, message, options, 'ERR_WEFT_SEGMENT_NOT_FOUND');
  }
}

/** A segment of that name exists already. */
export class SegmentExistsError extends SegmentError {
  constructor(segment: string, message: string, options?: ErrorOptions) {
    super(segment, message, options, 'ERR_WEFT_SEGMENT_EXISTS');
  }
}

/** The segment exists but is not what the attacher expected: another size, kind or layout. */
export class SegmentMismatchError extends SegmentError {
  constructor(segment: string, message: string, options?: ErrorOptions) {
    super(segment, message, options, 'ERR_WEFT_SEGMENT_MISMATCH');
  }
}

/**
 * The segment's header is not a weft header, is of another version, or was
 * never completed (its creator died while making it).
 */
export class SegmentCorruptError extends SegmentError {
  constructor(segment: string, message: string, options?: ErrorOptions) {
    super(segment, message, options, 'ERR_WEFT_SEGMENT_CORRUPT');
  }
}

/**
 * A key is not in a SharedDict: `pop(key)` without a default, or
 * `popitem()` on an empty dict. `key` is the key asked for (absent for
 * `popitem()`).
 *
 * @see Python's `KeyError`
 */
export class KeyError extends WeftError {
  /** The key that was not found. */
  readonly key: unknown;

  constructor(key: unknown, message: string, options?: ErrorOptions) {
    super(message, 'ERR_WEFT_KEY', options);
    this.key = key;
  }
}

/**
 * A method called through a manager proxy threw an error of a class the
 * caller's side does not know (a user type's own error class). `remoteName`
 * is that class's name; the message is the server's. Errors of weft's own
 * classes and JavaScript's built-in ones arrive as themselves instead.
 *
 * @see Python's `multiprocessing.managers.RemoteError`
 */
export class RemoteError extends WeftError {
  /** The name of the error class thrown in the manager's process. */
  readonly remoteName: string;

  constructor(remoteName: string, message: string, options?: ErrorOptions) {
    super(message, 'ERR_WEFT_REMOTE', options);
    this.remoteName = remoteName;
  }
}
