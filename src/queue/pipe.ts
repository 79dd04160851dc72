import { Connection } from './connection.js';
import { Queue } from './queue.js';

/** Options of {@link Pipe}. */
export interface PipeOptions {
  /** Both ends send and receive (default). `false`: the first end only receives, the second only sends. */
  duplex?: boolean;
}

/**
 * A pair of connected {@link Connection}s (Python's `multiprocessing.Pipe`).
 * Pass either end to a Thread; it arrives live.
 *
 * @example
 * ```ts
 * import { Pipe, Thread } from 'weft';
 * const [reader, writer] = Pipe({ duplex: false });
 * const sender = new Thread({
 *   target: (out: typeof writer) => { for (let i = 0; i < 3; i++) out.send(i); out.close(); },
 *   args: [writer],
 * });
 * sender.start();
 * const got: unknown[] = [];
 * for await (const message of reader) got.push(message);
 * console.log(got); // [ 0, 1, 2 ]
 * ```
 * @see Python's `multiprocessing.Pipe`
 */
export function Pipe(options: PipeOptions = {}): [Connection, Connection] {
  return pipeOver(Queue, options);
}

/** @internal A {@link Pipe} whose directions are queues of class `queue` (a scope's Queue). */
export function pipeOver(queue: typeof Queue, options: PipeOptions = {}): [Connection, Connection] {
  const forward = new queue<any>();
  if (options.duplex === false) return [new Connection(forward, undefined), new Connection(undefined, forward)];
  const backward = new queue<any>();
  return [new Connection(backward, forward), new Connection(forward, backward)];
}
