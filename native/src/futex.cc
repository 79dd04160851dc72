#include "futex.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449  // the same number on every architecture
#endif

namespace weft {

static long Futex(void* word, int op, uint32_t value, const struct timespec* timeout) {
  return syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

WaitOutcome FutexWait(int32_t* word, int32_t expected, int64_t timeout_ns) {
  struct timespec relative;
  const struct timespec* timeout = nullptr;
  if (timeout_ns >= 0) {
    relative.tv_sec = timeout_ns / 1000000000;
    relative.tv_nsec = timeout_ns % 1000000000;
    timeout = &relative;
  }
  if (Futex(word, FUTEX_WAIT, static_cast<uint32_t>(expected), timeout) == 0) return kOk;
  switch (errno) {
    case EAGAIN: return kNotEqual;
    case ETIMEDOUT: return kTimedOut;
    default: return kOk;  // EINTR: an early return the caller's loop absorbs
  }
}

int FutexWake(int32_t* word, int count) {
  long woken = Futex(word, FUTEX_WAKE, static_cast<uint32_t>(count), nullptr);
  return woken < 0 ? 0 : static_cast<int>(woken);
}

void FutexWakePrivate(uint32_t* word, int count) {
  Futex(word, FUTEX_WAKE_PRIVATE, static_cast<uint32_t>(count), nullptr);
}

long FutexWaitv(struct futex_waitv* waiters, unsigned count, const struct timespec* deadline) {
  return syscall(SYS_futex_waitv, waiters, count, 0, deadline, CLOCK_MONOTONIC);
}

bool HaveFutexWaitv() {
  static std::once_flag once;
  static bool have = false;
  std::call_once(once, [] {
    const char* force = getenv("WEFT_FUTEX_WAITV");
    if (force != nullptr && strcmp(force, "0") == 0) return;
    // No waiters is EINVAL where the call exists; ENOSYS where the kernel is
    // older than 5.16, EPERM where a seccomp filter predates it.
    have = FutexWaitv(nullptr, 0, nullptr) < 0 && errno == EINVAL;
  });
  return have;
}

struct timespec MonotonicNow() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now;
}

struct timespec MonotonicAfter(int64_t nanos) {
  struct timespec at = MonotonicNow();
  at.tv_sec += nanos / 1000000000;
  at.tv_nsec += nanos % 1000000000;
  if (at.tv_nsec >= 1000000000) {
    at.tv_sec += 1;
    at.tv_nsec -= 1000000000;
  }
  return at;
}

bool Reached(const struct timespec& deadline, const struct timespec& now) {
  return now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

int64_t NanosUntil(const struct timespec& deadline) {
  struct timespec now = MonotonicNow();
  int64_t left = (deadline.tv_sec - now.tv_sec) * 1000000000LL + (deadline.tv_nsec - now.tv_nsec);
  return left > 0 ? left : 0;
}

}  // namespace weft
