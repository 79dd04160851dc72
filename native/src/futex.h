// Futex wait and wake on a 32-bit word, shared between processes: never
// FUTEX_PRIVATE_FLAG on user words, so the kernel keys a wait on the mapped
// file page and a wake from any process that maps it reaches it. (V8's
// Atomics.wait/notify keep their waiters in a per-process list and never see
// each other across processes; never mix the two on one word.)
#pragma once

#include <linux/futex.h>
#include <time.h>

#include <cstdint>

namespace weft {

enum WaitOutcome : int { kOk = 0, kNotEqual = 1, kTimedOut = 2 };

// Sleeps while *word == expected, at most `timeout_ns` (-1: no limit).
// EINTR counts as an early 'ok' (callers re-check in a loop).
WaitOutcome FutexWait(int32_t* word, int32_t expected, int64_t timeout_ns);

// Wakes up to `count` sleepers on `word` (any process); returns how many woke.
int FutexWake(int32_t* word, int count);

// The same for a word private to this process (cheaper: no page lookup).
void FutexWakePrivate(uint32_t* word, int count);

// Whether the kernel has futex_waitv (Linux >= 5.16) and the environment
// allows it (WEFT_FUTEX_WAITV=0 forces the fallback). Decided once.
bool HaveFutexWaitv();

// futex_waitv(2): sleeps until any of `waiters` is woken or holds another
// value, or CLOCK_MONOTONIC reaches `deadline` (nullptr: no deadline).
// Returns the index of a woken waiter, or -1 with errno set.
long FutexWaitv(struct futex_waitv* waiters, unsigned count, const struct timespec* deadline);

// CLOCK_MONOTONIC now, and arithmetic on it.
struct timespec MonotonicNow();
struct timespec MonotonicAfter(int64_t nanos);
bool Reached(const struct timespec& deadline, const struct timespec& now);
int64_t NanosUntil(const struct timespec& deadline);

}  // namespace weft
