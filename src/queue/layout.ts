/**
 * Shared layout of a queue: a header of 32-bit words and a byte ring of
 * frames. Every offset and code stored in shared memory is defined here.
 *
 * ```
 *  header words, in four cache lines (16 words each) so that a producer and
 *  a consumer on two cores do not keep taking each other's line for words
 *  only one side writes:
 *   config (written at creation and shutdown, read by everyone)
 *   [0]  shutdown     OPEN | SHUT | SHUT_IMMEDIATE
 *   [1]  maxsize      items; 0 = unbounded
 *   [2]  capacity     ring bytes now, a power of two (the ring's buffer is growable)
 *   [3]  budget       1 if capacity is a hard byte budget (bigger items fail instead of streaming)
 *   [4]  maxCapacity  the most the ring may grow to; beyond, items stream and puts wait
 *   producers
 *   [16] putLock      side lock (side-lock.ts, names its holder): one producer writes at a
 *                     time, so an item's frames are contiguous
 *   [17] tail         ring bytes committed, mod 2^32
 *   [18] putStream    1 while putLock's holder streams an item whose FIRST frame is
 *                     counted: it owes a LAST or an ABORT frame (a recoverer writes ABORT)
 *   [19] putStamp     putLock's holder's stamp (side-lock.ts; processes scope, else 0)
 *   [20] putToTail    the journal of the put commit in progress (ring.ts #publish):
 *   [21] putToStream    the tail, putStream and count increment (0 | 1) it stores
 *   [22] putToCount
 *   [23] putFlips     bit 0: TASKS_FLIP, bit 1: COUNT_PUT_FLIP as the last finished put commit left them
 *   consumers
 *   [32] getLock      side lock: one consumer reads at a time
 *   [33] head         ring bytes consumed, mod 2^32
 *   [34] getStream    READING while getLock's holder reads a streamed item it took,
 *                     DRAINING while an immediate shutdown drops one (counted done at
 *                     its LAST): a recoverer skips the rest of its frames
 *   [35] getStamp     getLock's holder's stamp
 *   [36] getToHead    the journal of the get commit in progress: the head and
 *   [37] getToStream    getStream it stores
 *   [38] getFlips     COUNT_GET_FLIP as the last finished get commit left it (0 | 1)
 *   both
 *   [48] count        items committed and not yet taken (a streamed item counts from its first frame;
 *                     the low 29 bits, ITEMS); bit 30 (COUNT_PUT_FLIP) flips with every put
 *                     commit, bit 29 (COUNT_GET_FLIP) with every get commit
 *   [49] wake         an event count: bumped by every change a party may wait for
 *                     (an item in or out, ring space, a frame, a task done, shutdown);
 *                     every wait parks on it, so no change can slip between a
 *                     party's check and its sleep. The *Waiters words say who waits.
 *   [50] unfinished   items put and not yet marked taskDone() (the low 30 bits, TASKS);
 *                     bit 30 (TASKS_FLIP) flips with every put an ordered store commits,
 *                     which makes that add its commit point (ordered-store.ts)
 *   [51] countWaiters parties parked on count (putters: full; getters: empty)
 *   [52] headWaiters  producers parked for ring space
 *   [53] tailWaiters  consumers parked for the next frame of a streamed item
 *   [54] joinWaiters  parties parked in join()
 *
 *  ring: frames, each at a multiple of 16 bytes, never split across the end
 *   +--------+--------+--------+--------+---------------------------+-----+
 *   | length | kind   | item   | token  | payload (length bytes)    | pad |
 *   | int32  | +n<<8  | length | int32  | may wrap around the end   | →16 |
 *   +--------+--------+--------+--------+---------------------------+-----+
 *   kind: WHOLE (an item in one frame), FIRST / MORE / LAST (a streamed item),
 *   ABORT (the producer gave up mid-stream: drop what was read of it);
 *   n: how many shared buffers the item refers to, published under `token`.
 * ```
 */

export const HEADER_WORDS = 64;
export const SHUTDOWN = 0;
export const MAXSIZE = 1;
export const CAPACITY = 2;
export const BUDGET = 3;
export const MAX_CAPACITY = 4;
export const PUT_LOCK = 16;
export const TAIL = 17;
export const PUT_STREAM = 18;
export const PUT_STAMP = 19;
export const GET_LOCK = 32;
export const HEAD = 33;
export const GET_STREAM = 34;
export const GET_STAMP = 35;
export const PUT_TO_TAIL = 20;
export const PUT_TO_STREAM = 21;
export const PUT_TO_COUNT = 22;
export const PUT_FLIPS = 23;
export const GET_TO_HEAD = 36;
export const GET_TO_STREAM = 37;
export const GET_FLIPS = 38;
export const COUNT = 48;
export const WAKE = 49;
export const UNFINISHED = 50;
export const COUNT_WAITERS = 51;
export const HEAD_WAITERS = 52;
export const TAIL_WAITERS = 53;
export const JOIN_WAITERS = 54;
/** The unfinished-task count in the UNFINISHED word. */
export const TASKS = 0x3fffffff;
export const TASKS_FLIP = 0x40000000;
/** The item count in the COUNT word, and the bits put and get commits flip. */
export const ITEMS = 0x1fffffff;
export const COUNT_GET_FLIP = 0x20000000;
export const COUNT_PUT_FLIP = 0x40000000;

/** Items committed and not yet taken. */
export function itemCount(words: Int32Array): number {
  return Atomics.load(words, COUNT) & ITEMS;
}
export const READING = 1;
export const DRAINING = 2;

export const OPEN = 0;
export const SHUT = 1;
export const SHUT_IMMEDIATE = 2;

export const FRAME_HEADER = 16;
export const WHOLE = 1;
export const FIRST = 2;
export const MORE = 3;
export const LAST = 4;
export const ABORT = 5;

/** Default initial ring size. */
export const DEFAULT_CAPACITY = 1 << 16;
/** Default limit the ring grows to: larger items stream through it. */
export const DEFAULT_MAX_CAPACITY = 1 << 26;
/** Smallest ring: room for a streamed chunk and an ABORT frame. */
export const MIN_CAPACITY = 256;

/** Bytes a frame with `length` payload bytes occupies. */
export function frameSize(length: number): number {
  return FRAME_HEADER + ((length + 15) & ~15);
}
