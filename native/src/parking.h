// Parking async waits on native threads, so no JavaScript thread blocks:
// one thread per process waits on up to 127 words at once with futex_waitv
// (Linux >= 5.16), more threads beyond that; older kernels get one pooled
// thread per parked wait. See parking.cc.
#pragma once

#include <v8.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>

#include "futex.h"

namespace weft {

enum WaitState : int { kPending = 0, kDone = 1, kCancelled = 2 };

struct Wait;

// Where a finished wait goes: the environment (JS thread) that asked.
class Inbox {
 public:
  virtual ~Inbox() = default;
  // Takes a wait whose outcome is set. Called on a parking thread.
  virtual void Deliver(const std::shared_ptr<Wait>& wait) = 0;
};

class WaitvParker;

// One parked wait. `state` goes pending -> done (by the parking thread) or
// pending/done -> cancelled (by the JS thread); whoever loses that race
// passes on a wake-up the wait consumed.
struct Wait {
  double id = 0;
  std::shared_ptr<v8::BackingStore> store;  // keeps the word mapped
  int32_t* word = nullptr;
  int32_t expected = 0;
  bool timed = false;
  struct timespec deadline {};  // CLOCK_MONOTONIC, when timed
  std::shared_ptr<Inbox> inbox;
  std::atomic<int> state{kPending};
  int outcome = kOk;
  WaitvParker* parker = nullptr;  // nullptr: parked by a fallback thread
};

using WaitPtr = std::shared_ptr<Wait>;

// Hands `wait` to a parking thread.
void Park(const WaitPtr& wait);

// Tells the parking thread of a wait cancelled while still parked.
void Unpark(Wait* wait);

// Parking threads started in this process.
int ParkingThreads();

}  // namespace weft
