// Parking threads (see parking.h).
//
// A wake on one word reports 'ok' to every parked wait of this process on
// that word (the kernel may have counted only one of them): at worst an
// early return, which the futex contract allows and callers re-check.

#include "parking.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace weft {

namespace {

void BlockSignals() {
  // Signals belong to Node's threads, not to these.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

// Hands a finished wait to its inbox; false if it had been cancelled.
bool Complete(const WaitPtr& w, int outcome) {
  int pending = kPending;
  if (!w->state.compare_exchange_strong(pending, kDone)) return false;
  w->outcome = outcome;
  w->inbox->Deliver(w);
  return true;
}

}  // namespace

// ---- futex_waitv: one thread parks up to 127 waits -------------------------

static constexpr size_t kPerParker = FUTEX_WAITV_MAX - 1;  // slot 0 is the control word

class WaitvParker {
 public:
  WaitvParker() { std::thread([this] { Run(); }).detach(); }

  std::atomic<int> load{0};  // waits assigned and not yet finished

  void Add(WaitPtr w) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      incoming_.push_back(std::move(w));
    }
    Poke();
  }

  // Makes the thread re-read its waits (a new one, or a cancel).
  void Poke() {
    __atomic_add_fetch(&control_, 1, __ATOMIC_RELEASE);
    FutexWakePrivate(&control_, 1);
  }

 private:
  std::mutex mutex_;
  std::vector<WaitPtr> incoming_;
  uint32_t control_ = 0;  // bumped on every change of incoming_ or a cancel

  void Run() {
    BlockSignals();
    std::vector<WaitPtr> active;
    struct futex_waitv vector[FUTEX_WAITV_MAX];
    for (;;) {
      uint32_t seen = __atomic_load_n(&control_, __ATOMIC_ACQUIRE);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& w : incoming_) active.push_back(std::move(w));
        incoming_.clear();
      }
      struct timespec now = MonotonicNow(), earliest {};
      bool timed = false;
      size_t kept = 0;
      for (auto& w : active) {
        if (w->state.load() == kCancelled) continue;
        if (w->timed && Reached(w->deadline, now)) {
          Complete(w, kTimedOut);
          continue;
        }
        if (w->timed && (!timed || Reached(earliest, w->deadline))) {
          earliest = w->deadline;
          timed = true;
        }
        active[kept++] = std::move(w);
      }
      Shrink(active, kept);
      vector[0] = {seen, reinterpret_cast<uintptr_t>(&control_), FUTEX_32 | FUTEX_PRIVATE_FLAG, 0};
      for (size_t i = 0; i < active.size(); i++) {
        // The kernel compares the zero-extended 32-bit value.
        vector[i + 1] = {static_cast<uint32_t>(active[i]->expected), reinterpret_cast<uintptr_t>(active[i]->word),
                         FUTEX_32, 0};
      }
      long woken = FutexWaitv(vector, static_cast<unsigned>(active.size() + 1), timed ? &earliest : nullptr);
      if (woken == 0) continue;  // control: new waits or a cancel
      if (woken > 0) {
        WokeOn(active, active[woken - 1]->word);
      } else if (errno == EAGAIN) {
        // Some word no longer held its value when we tried to park.
        kept = 0;
        for (auto& w : active) {
          if (__atomic_load_n(w->word, __ATOMIC_SEQ_CST) != w->expected) {
            Complete(w, kNotEqual);
            continue;
          }
          active[kept++] = std::move(w);
        }
        Shrink(active, kept);
      } else if (errno != ETIMEDOUT && errno != EINTR) {
        // Not expected (the words stay mapped and aligned). Report an early
        // 'ok' to every wait rather than spin: callers re-check and re-park.
        for (auto& w : active) Complete(w, kOk);
        Shrink(active, 0);
      }
    }
  }

  // The kernel woke us through `word`: 'ok' to every wait on it. If only
  // cancelled waits were on it, the wake-up goes on to the next waiter.
  void WokeOn(std::vector<WaitPtr>& active, int32_t* word) {
    bool accepted = false, abandoned = false;
    size_t kept = 0;
    for (auto& w : active) {
      if (w->word == word) {
        if (Complete(w, kOk)) accepted = true;
        else abandoned = true;
        continue;
      }
      active[kept++] = std::move(w);
    }
    Shrink(active, kept);
    if (abandoned && !accepted) FutexWake(word, 1);
  }

  void Shrink(std::vector<WaitPtr>& active, size_t kept) {
    load.fetch_sub(static_cast<int>(active.size() - kept));
    active.resize(kept);
  }
};

namespace {

std::mutex parkers_mutex;
std::vector<WaitvParker*>* parkers = new std::vector<WaitvParker*>();  // never destroyed: threads outlive exit

// ---- fallback: one pooled thread per parked wait ---------------------------

constexpr size_t kMaxIdle = 16;

struct FallbackThread {
  std::mutex mutex;
  std::condition_variable wake;
  WaitPtr job;
};

std::mutex idle_mutex;
std::vector<FallbackThread*>* idle = new std::vector<FallbackThread*>();
std::atomic<int> fallback_threads{0};

void ParkOne(const WaitPtr& w) {
  for (;;) {
    if (w->state.load() == kCancelled) return;
    int64_t timeout = -1;
    if (w->timed) {
      timeout = NanosUntil(w->deadline);
      if (timeout == 0) {
        Complete(w, kTimedOut);
        return;
      }
    }
    switch (FutexWait(w->word, w->expected, timeout)) {
      case kNotEqual:
        Complete(w, kNotEqual);
        return;
      case kTimedOut:
        continue;
      case kOk:
        // If cancelled meanwhile, the canceller woke every waiter on the word
        // (see Cancel): nothing of ours to pass on.
        Complete(w, kOk);
        return;
    }
  }
}

void FallbackRun(FallbackThread* self) {
  BlockSignals();
  for (;;) {
    ParkOne(self->job);
    {
      std::lock_guard<std::mutex> lock(self->mutex);
      self->job.reset();
    }
    {
      std::lock_guard<std::mutex> lock(idle_mutex);
      if (idle->size() >= kMaxIdle) {
        fallback_threads--;
        delete self;
        return;
      }
      idle->push_back(self);
    }
    std::unique_lock<std::mutex> lock(self->mutex);
    self->wake.wait(lock, [self] { return self->job != nullptr; });
  }
}

void FallbackPark(WaitPtr w) {
  FallbackThread* thread = nullptr;
  {
    std::lock_guard<std::mutex> lock(idle_mutex);
    if (!idle->empty()) {
      thread = idle->back();
      idle->pop_back();
    }
  }
  if (thread != nullptr) {
    {
      std::lock_guard<std::mutex> lock(thread->mutex);
      thread->job = std::move(w);
    }
    thread->wake.notify_one();
    return;
  }
  thread = new FallbackThread();
  thread->job = std::move(w);
  fallback_threads++;
  std::thread(FallbackRun, thread).detach();
}

}  // namespace

void Park(const WaitPtr& w) {
  if (!HaveFutexWaitv()) return FallbackPark(w);
  WaitvParker* chosen = nullptr;
  {
    std::lock_guard<std::mutex> lock(parkers_mutex);
    for (WaitvParker* p : *parkers) {
      if (p->load.load() < static_cast<int>(kPerParker)) {
        chosen = p;
        break;
      }
    }
    if (chosen == nullptr) {
      chosen = new WaitvParker();
      parkers->push_back(chosen);
    }
    chosen->load++;
  }
  w->parker = chosen;
  chosen->Add(w);
}

void Unpark(Wait* w) {
  if (w->parker != nullptr) {
    w->parker->Poke();
  } else {
    // A plain FUTEX_WAIT cannot be interrupted but by a wake on its word:
    // wake them all (an early return is allowed to every waiter), which also
    // passes on any wake-up this wait had consumed.
    FutexWake(w->word, INT_MAX);
  }
}

int ParkingThreads() {
  std::lock_guard<std::mutex> lock(parkers_mutex);
  return static_cast<int>(parkers->size()) + fallback_threads.load();
}

}  // namespace weft
