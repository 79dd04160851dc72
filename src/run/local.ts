import { threadId } from 'node:worker_threads';
import { describe, registerShareable, revive } from '../share/protocol.js';
import { compileFunction } from './compile.js';
import { functionSource, type FunctionSource } from './inline.js';

// This thread's instance of each Local, by id. Weak: an instance nobody in
// this thread holds any more can go, as Python's locals die with their object.
const instances = new Map<string, WeakRef<Local<object>>>();
const forget = new FinalizationRegistry<string>((id) => {
  if (instances.get(id)?.deref() === undefined) instances.delete(id);
});

const ID: unique symbol = Symbol('weft.local.id');
const INIT: unique symbol = Symbol('weft.local.init');

/**
 * Per-thread data (Python's `threading.local`): an object whose attributes
 * each thread sees separately.
 *
 * JavaScript threads never share objects, so a plain object is already
 * private to its thread; what `Local` adds is what happens when it crosses:
 * sent to another thread (as an argument, a queue item…), it arrives as *that
 * thread's own* instance with the same identity — empty, or filled by `init`
 * — rather than a copy of the sender's attributes. Every arrival in one thread
 * yields the same object.
 *
 * @example
 * ```ts
 * import { local, Thread } from 'weft';
 * const data = local<{ hits: number }>();
 * data.hits = 1;
 * const thread = new Thread({
 *   target: (mine: { hits?: number }) => { if (mine.hits !== undefined) throw new Error('leaked'); },
 *   args: [data],
 * });
 * thread.start();
 * await thread.join();
 * console.log(data.hits, thread.exception); // 1 undefined
 * ```
 * @see Python's `threading.local`
 */
export class Local<T extends object = Record<string, unknown>> {
  declare readonly [ID]: string;
  declare readonly [INIT]: FunctionSource | undefined;

  /**
   * @param init optional self-contained function returning each thread's
   *   initial attributes (sent as source, so it must not capture variables).
   */
  constructor(init?: () => Partial<T>) {
    const id = attachingId ?? `${threadId}:${++created}`;
    const source = attachingInit ?? (init === undefined ? undefined : functionSource(init, 'Local init'));
    attachingId = undefined;
    attachingInit = undefined;
    Object.defineProperty(this, ID, { value: id });
    Object.defineProperty(this, INIT, { value: source });
    if (init !== undefined) Object.assign(this, init());
    else if (source !== undefined) Object.assign(this, (compileFunction(source) as () => object)());
    instances.set(id, new WeakRef(this));
    forget.register(this, id);
  }

  /** @internal */
  [describe](): { id: string; init: FunctionSource | undefined } {
    return { id: this[ID], init: this[INIT] };
  }

  /** @internal */
  static [revive](data: { id: string; init: FunctionSource | undefined }): Local<object> {
    const existing = instances.get(data.id)?.deref();
    if (existing !== undefined) return existing;
    attachingId = data.id;
    attachingInit = data.init;
    return new Local();
  }
}

/** A {@link Local} typed with the attributes it holds. */
export type LocalOf<T extends object> = Local<T> & Partial<T>;

/**
 * A new {@link Local}, typed with the attributes it will hold.
 *
 * @example
 * ```ts
 * import { local, Local } from 'weft';
 * const state = local<{ depth: number }>(() => ({ depth: 0 }));
 * state.depth! += 1;
 * console.log(state.depth, state instanceof Local); // 1 true
 * ```
 * @see Python's `threading.local()`
 */
export function local<T extends object = Record<string, unknown>>(init?: () => Partial<T>): LocalOf<T> {
  return new Local<T>(init) as LocalOf<T>;
}

// Ids are unique per process: the creating thread's id and its own counter.
let created = 0;
let attachingId: string | undefined;
let attachingInit: FunctionSource | undefined;

registerShareable('Local', Local as never, { module: import.meta.url });
