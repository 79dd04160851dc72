// The users table of a segment header (see segment-users.h).

#include "segment-users.h"

#include <unistd.h>

#include "liveness.h"
#include "segment.h"

namespace weft::segment {

int32_t Load(int32_t* words, int i) { return __atomic_load_n(&words[i], __ATOMIC_SEQ_CST); }
void Store(int32_t* words, int i, int32_t value) { __atomic_store_n(&words[i], value, __ATOMIC_SEQ_CST); }

namespace {

int32_t* Slot(int32_t* words, int i) { return words + kSlotsWord + i * kSlotWords; }

uint64_t SlotStart(int32_t* slot) {
  return static_cast<uint32_t>(__atomic_load_n(&slot[1], __ATOMIC_SEQ_CST)) |
         (static_cast<uint64_t>(static_cast<uint32_t>(__atomic_load_n(&slot[2], __ATOMIC_SEQ_CST))) << 32);
}

void StoreStart(int32_t* slot, uint64_t start) {
  __atomic_store_n(&slot[1], static_cast<int32_t>(start & 0xffffffffu), __ATOMIC_SEQ_CST);
  __atomic_store_n(&slot[2], static_cast<int32_t>(start >> 32), __ATOMIC_SEQ_CST);
}

// Whether slot i holds a live user. A slot whose start is not written yet
// (0) is judged by its pid alone, so a user halfway through claiming is
// never taken for dead.
bool SlotAlive(int32_t* words, int i) {
  int32_t* slot = Slot(words, i);
  int32_t pid = __atomic_load_n(&slot[0], __ATOMIC_SEQ_CST);
  if (pid <= 0) return false;
  return IsAlive(pid, SlotStart(slot));
}

// Frees slot i if its user is dead. The start words are zeroed while the pid
// word holds -1 (claimers only take 0), so no claimer's fresh pid is ever
// seen beside a dead user's start time.
bool ClearIfDead(int32_t* words, int i) {
  int32_t* slot = Slot(words, i);
  int32_t pid = __atomic_load_n(&slot[0], __ATOMIC_SEQ_CST);
  if (pid <= 0 || IsAlive(pid, SlotStart(slot))) return false;
  if (!__atomic_compare_exchange_n(&slot[0], &pid, -1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return false;
  StoreStart(slot, 0);
  __atomic_store_n(&slot[0], 0, __ATOMIC_SEQ_CST);
  return true;
}

}  // namespace

int ClaimSlot(int32_t* words) {
  int32_t self = static_cast<int32_t>(getpid());
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < kSlots; i++) {
      int32_t* slot = Slot(words, i);
      int32_t free = 0;
      if (__atomic_compare_exchange_n(&slot[0], &free, self, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        StoreStart(slot, SelfStartTime());
        return i;
      }
    }
    // Every slot taken: free those of dead users, then try once more.
    for (int i = 0; i < kSlots; i++) ClearIfDead(words, i);
  }
  __atomic_add_fetch(&words[kUntrackedWord], 1, __ATOMIC_SEQ_CST);
  return -1;
}

void ReleaseSlot(int32_t* words, int slot_index) {
  if (slot_index >= 0) {
    int32_t* slot = Slot(words, slot_index);
    StoreStart(slot, 0);
    __atomic_store_n(&slot[0], 0, __ATOMIC_SEQ_CST);
  } else {
    __atomic_sub_fetch(&words[kUntrackedWord], 1, __ATOMIC_SEQ_CST);
  }
}

bool AnyLiveUser(int32_t* words) {
  if (Load(words, kUntrackedWord) > 0) return true;
  for (int i = 0; i < kSlots; i++) {
    if (SlotAlive(words, i)) return true;
  }
  return false;
}

}  // namespace weft::segment
