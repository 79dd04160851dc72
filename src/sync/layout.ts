/**
 * Shared-word layouts of the synchronization primitives. Every word offset and
 * state code stored in shared memory is defined here and nowhere else.
 *
 * ```
 *  Lock            [0] holder  0 free | id << 1 | waiters   (robust-mutex.ts)
 *                              id: the holder's selfId(); waiters: 1 if a
 *                              party may be parked, so release must notify
 *                  [1] stamp   the holder's selfStamp(); 0 while not known
 *                  [2] died    1 while the holding began by taking the lock
 *                              over from a holder that had died
 *
 *  RLock           [0..2]      (as Lock)
 *                  [3] count   recursion depth, touched only by the holder
 *
 *  (a registry's lock word, shared/registry.ts: the plain protocol of
 *   mutex-word.ts — 0 unlocked | 1 locked | 2 locked, maybe waiters)
 *
 *  Condition       [0] seq      bumped by every notify; waiters park on it
 *                  [1] waiters  parties inside wait()          } changed only
 *                  [2] tokens   wake-ups granted, not yet taken } under the lock
 *
 *  Semaphore       [0] value    the counter; waiters park on it while 0
 *                  [1] waiters  parties parked or about to park
 *                  [2] bound    BoundedSemaphore's initial value (-1: unbounded)
 *
 *  Event           [0] state    generation * 2 + flag; waiters park on it
 *                  [1] waiters  parties parked or about to park
 *
 *  Barrier         [0] state    0 filling | 1 draining | 2 resetting | 3 broken
 *                  [1] count    parties inside wait()
 *                  [2] parties
 *                  (+ a Condition and its Lock, described alongside)
 * ```
 */

export const LOCK_WORDS = 3;
export const HOLDER = 0;
export const HOLDER_STAMP = 1;
export const OWNER_DIED = 2;
/** The holder word's waiters bit. */
export const WAITERS = 1;

export const RLOCK_WORDS = 4;
export const RLOCK_COUNT = 3;

/** The plain mutex word of mutex-word.ts. */
export const UNLOCKED = 0;
export const LOCKED = 1;
export const CONTENDED = 2;

export const CONDITION_WORDS = 3;
export const COND_SEQ = 0;
export const COND_WAITERS = 1;
export const COND_TOKENS = 2;

export const SEMAPHORE_WORDS = 3;
export const SEM_VALUE = 0;
export const SEM_WAITERS = 1;
export const SEM_BOUND = 2;
export const UNBOUNDED = -1;

export const EVENT_WORDS = 2;
export const EVENT_STATE = 0;
export const EVENT_WAITERS = 1;

export const BARRIER_WORDS = 3;
export const BARRIER_STATE = 0;
export const BARRIER_COUNT = 1;
export const BARRIER_PARTIES = 2;
export const FILLING = 0;
export const DRAINING = 1;
export const RESETTING = 2;
export const BROKEN = 3;

/** Iterations a waiter spins re-reading a word before it parks. */
export const SPINS = 64;

/** Longest a robust-lock waiter sleeps before it checks again whether the holder is alive. */
export const HOLDER_CHECK_MS = 50;
