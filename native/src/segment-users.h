// The users table in a segment header: which processes map the segment.
//
// Each process that maps a segment holds one slot (pid + start time) while it
// does; users that find all 64 slots taken are only counted (untracked). A
// segment with no live user left is unlinked by the last one to let go, or by
// the sweep after users were killed. Every access is a sequentially
// consistent atomic: the table is shared by processes that never lock.
#pragma once

#include <cstdint>

namespace weft::segment {

int32_t Load(int32_t* words, int i);
void Store(int32_t* words, int i, int32_t value);

// Takes a slot for this process (freeing slots of dead users if all are
// taken); -1 if it could only be counted as untracked.
int ClaimSlot(int32_t* words);

// Gives back what ClaimSlot returned.
void ReleaseSlot(int32_t* words, int slot);

// Whether any user is alive (or uncounted users remain). Call after
// releasing one's own slot: of two last users releasing at once, at least
// the later one then finds no one.
bool AnyLiveUser(int32_t* words);

}  // namespace weft::segment
