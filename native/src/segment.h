// Named POSIX shared-memory segments mapped as shared memory of this
// process: creation, attachment, sub-views, the users table that decides
// when a name is unlinked, and the process-wide arena small allocations come
// from.
//
// A segment is a file in /dev/shm: one header page, then the data.
//
// ```
//  word  0  magic        0x54464557 ("WEFT")
//        1  version      1
//        2  ready        0 while the creator writes the header; 1 once it is
//                        complete (stored last, futex-woken): attachers wait
//                        for it, so none ever reads a half-made header
//        3  kind         1 arena | 2 block | 3 named
//        4  tag          the creator's layout id, checked on attach; 0 = none
//        5  flags        bit 0 keep: the last user's release does not unlink
//        6  data bytes   low 32 bits  } size of the data region; the file is
//        7               high 32 bits } exactly header + data bytes
//        8  creator pid
//        9  creator start low   } /proc/<pid>/stat field 22, so a reused pid
//       10  creator start high  } is not mistaken for the creator
//       11  untracked    users that found every slot taken
//   12-15   reserved
//  16+4i    user slot i (i < 64): pid (0 free, -1 being cleared),
//           start low, start high, reserved
//  byte 4096: data (page aligned)
// ```
//
// A process that maps a segment takes a user slot and gives it back when its
// last view is garbage-collected or at normal exit (atexit). Whoever gives
// back the last slot of a live user unlinks the name (unless `keep`): the
// mappings stay valid, only new attaches fail. A process killed by a signal
// gives nothing back; the sweep (TypeScript side) unlinks segments whose
// users are all dead.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace weft::segment {

constexpr uint32_t kMagic = 0x54464557;
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 4096;

enum HeaderWord : int {
  kMagicWord = 0,
  kVersionWord = 1,
  kReadyWord = 2,
  kKindWord = 3,
  kTagWord = 4,
  kFlagsWord = 5,
  kDataLowWord = 6,
  kDataHighWord = 7,
  kCreatorPidWord = 8,
  kCreatorStartLowWord = 9,
  kCreatorStartHighWord = 10,
  kUntrackedWord = 11,
  kSlotsWord = 16,
};
constexpr int kSlotWords = 4;
constexpr int kSlots = 64;

enum Kind : uint32_t { kArena = 1, kBlock = 2, kNamed = 3 };

// Stored in the flags word.
constexpr uint32_t kKeep = 1;
// Creation options, not stored.
constexpr uint32_t kReserve = 1u << 16;     // allocate the pages now (ENOSPC now, not SIGBUS later)
constexpr uint32_t kUniqueName = 1u << 17;  // the name is a prefix: append .<pid>.<seq>

// Alignment of arena allocations: a cache line, so primitives of different
// processes never share one.
constexpr size_t kArenaAlign = 64;

struct Mapping;

// What went wrong; `code` empty means nothing did.
struct Failure {
  std::string code;  // ENOENT, EEXIST, ... or ERR_WEFT_SEGMENT_{SIZE,KIND,CORRUPT,NOT_READY}
  std::string message;
  int errnum = 0;
  const char* syscall = nullptr;
};

// Creates and maps a segment; the result holds one reference.
Mapping* Create(const std::string& name, uint64_t data_bytes, uint32_t kind, uint32_t tag, uint32_t options,
                Failure* failure);

// Maps an existing segment, waiting up to `timeout_ns` for its header to be
// ready; checks kind / tag / data bytes where nonzero. Holds one reference.
Mapping* Attach(const std::string& name, uint32_t kind, uint32_t tag, uint64_t data_bytes, int64_t timeout_ns,
                Failure* failure);

// `bytes` from this process's current arena (a new arena segment of
// `arena_bytes` when it is full). Holds one reference.
Mapping* ArenaAllocate(const std::string& prefix, size_t bytes, size_t arena_bytes, uint8_t** data,
                       Failure* failure);

// A new reference to the mapping that contains [data, data + length), or
// nullptr if no segment mapping does.
Mapping* Retain(const void* data, size_t length);

// Drops a reference; the last one gives the user slot back and unmaps.
void Release(Mapping* mapping);

// The V8 backing-store deleter: Release(deleter_data).
void Deleter(void* data, size_t length, void* mapping);

uint8_t* DataOf(const Mapping* mapping);
uint64_t DataBytesOf(const Mapping* mapping);
const std::string& NameOf(const Mapping* mapping);

// The segment name and data offset of `data`, if a segment mapping holds it.
bool Locate(const void* data, std::string* name, uint64_t* offset, uint32_t* kind);

// Removes the name; false if there was none.
bool Unlink(const std::string& name, Failure* failure);

// The header of `name` read without mapping it (for the sweep).
struct Header {
  uint64_t file_bytes;
  double mtime_ms;
  uint32_t words[kSlotsWord + kSlots * kSlotWords];
};
bool Inspect(const std::string& name, Header* header, Failure* failure);

// Live mappings in this process (tests check that views are unmapped).
size_t MappingCount();

}  // namespace weft::segment
