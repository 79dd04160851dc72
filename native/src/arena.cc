// The process-wide arena small allocations come from (see segment.h): one
// segment at a time, bump-allocated in cache-line steps, a new one when full.
// A full arena stays mapped (and named) while views of it live.

#include <mutex>

#include "segment.h"

namespace weft::segment {

namespace {

struct Arena {
  std::mutex mutex;
  Mapping* current = nullptr;  // holds one reference while current
  size_t top = 0;
};

Arena& arena() {
  static Arena* instance = new Arena();  // never destroyed: views may outlive exit
  return *instance;
}

}  // namespace

Mapping* ArenaAllocate(const std::string& prefix, size_t bytes, size_t arena_bytes, uint8_t** data,
                       Failure* failure) {
  Arena& a = arena();
  std::lock_guard<std::mutex> lock(a.mutex);
  size_t offset = (a.top + kArenaAlign - 1) & ~(kArenaAlign - 1);
  if (a.current == nullptr || offset + bytes > DataBytesOf(a.current)) {
    Mapping* fresh = Create(prefix, arena_bytes < bytes ? bytes : arena_bytes, kArena, 0, kReserve | kUniqueName,
                            failure);
    if (fresh == nullptr) return nullptr;
    if (a.current != nullptr) Release(a.current);
    a.current = fresh;
    offset = 0;
  }
  a.top = offset + bytes;
  *data = DataOf(a.current) + offset;
  return Retain(*data, bytes);
}

}  // namespace weft::segment
