#include "segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "futex.h"
#include "js.h"
#include "liveness.h"
#include "segment-users.h"

namespace weft::segment {

struct Mapping {
  std::string name;
  uint8_t* base;  // the header; data at base + kHeaderBytes
  size_t size;    // header + data
  dev_t dev;
  ino_t ino;
  uint32_t kind;
  int refs;       // views alive in this process (under the registry mutex)
  int slot;       // this process's user slot, -1 if it counted itself untracked
  bool released;  // the user slot was given back (at exit)
};

namespace {

// Process-wide (every thread and worker of the process): never destroyed, so
// a view freed by V8 during exit still finds it.
struct Registry {
  std::mutex mutex;
  std::map<uintptr_t, Mapping*> by_base;
  bool exiting = false;
};

Registry& registry() {
  static Registry* instance = new Registry();
  return *instance;
}

std::atomic<uint64_t> sequence{0};

constexpr int64_t kReadyPollNanos = 10 * 1000 * 1000;

int32_t* Words(Mapping* m) { return reinterpret_cast<int32_t*>(m->base); }

// Unlinks `name` only if it still names the file `m` maps (a name may have
// been unlinked and made again meanwhile).
void UnlinkIfSame(Mapping* m) {
  int fd = shm_open(m->name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return;
  struct stat st;
  bool same = fstat(fd, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino;
  close(fd);
  if (same) shm_unlink(m->name.c_str());
}

// Gives this process's user slot back; unlinks the name if no live user is
// left. Clear first, then scan: of two last users releasing at once, at
// least the later scan finds no one.
void GiveBack(Mapping* m) {
  if (m->released) return;
  m->released = true;
  int32_t* words = Words(m);
  ReleaseSlot(words, m->slot);
  if ((Load(words, kFlagsWord) & kKeep) == 0 && !AnyLiveUser(words)) UnlinkIfSame(m);
}

void OnExit() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.exiting = true;
  for (auto& entry : r.by_base) GiveBack(entry.second);
}

void Register(Mapping* m) {
  static std::once_flag once;
  std::call_once(once, [] { atexit(OnExit); });
  registry().by_base[reinterpret_cast<uintptr_t>(m->base)] = m;
}

// The mapping of the same file (dev, ino), if this process has one.
Mapping* FindFile(dev_t dev, ino_t ino) {
  for (auto& entry : registry().by_base) {
    if (entry.second->dev == dev && entry.second->ino == ino) return entry.second;
  }
  return nullptr;
}

Mapping* FindName(const std::string& name) {
  for (auto& entry : registry().by_base) {
    if (entry.second->name == name) return entry.second;
  }
  return nullptr;
}

void Fail(Failure* failure, const std::string& code, const std::string& message, int errnum = 0,
          const char* syscall = nullptr) {
  failure->code = code;
  failure->message = message;
  failure->errnum = errnum;
  failure->syscall = syscall;
}

void FailErrno(Failure* failure, const char* syscall, const std::string& name) {
  int err = errno;
  Fail(failure, ErrnoName(err), std::string(syscall) + " of segment '" + name + "': " + strerror(err), err, syscall);
}

uint64_t HeaderDataBytes(int32_t* words) {
  return static_cast<uint32_t>(Load(words, kDataLowWord)) |
         (static_cast<uint64_t>(static_cast<uint32_t>(Load(words, kDataHighWord))) << 32);
}

// Checks a ready header against the file and the caller's expectations.
bool Check(int32_t* words, size_t file_bytes, const std::string& name, uint32_t kind, uint32_t tag,
           uint64_t data_bytes, Failure* failure) {
  if (static_cast<uint32_t>(Load(words, kMagicWord)) != kMagic) {
    Fail(failure, "ERR_WEFT_SEGMENT_CORRUPT", "segment '" + name + "' has no weft header (bad magic)");
    return false;
  }
  uint32_t version = static_cast<uint32_t>(Load(words, kVersionWord));
  if (version != kVersion) {
    Fail(failure, "ERR_WEFT_SEGMENT_CORRUPT",
         "segment '" + name + "' has header version " + std::to_string(version) + "; this weft reads version " +
             std::to_string(kVersion));
    return false;
  }
  uint64_t header_data = HeaderDataBytes(words);
  if (header_data + kHeaderBytes != file_bytes) {
    Fail(failure, "ERR_WEFT_SEGMENT_CORRUPT",
         "segment '" + name + "' is corrupt: its header gives " + std::to_string(header_data) +
             " data bytes but the file holds " + std::to_string(file_bytes - kHeaderBytes));
    return false;
  }
  uint32_t found_kind = static_cast<uint32_t>(Load(words, kKindWord));
  if (found_kind < kArena || found_kind > kNamed) {
    Fail(failure, "ERR_WEFT_SEGMENT_CORRUPT",
         "segment '" + name + "' is corrupt: unknown kind " + std::to_string(found_kind));
    return false;
  }
  if (kind != 0 && found_kind != kind) {
    static const char* const kinds[] = {"?", "an arena", "a block", "a named"};
    Fail(failure, "ERR_WEFT_SEGMENT_KIND",
         "segment '" + name + "' is " + kinds[found_kind] + " segment, not " + kinds[kind <= kNamed ? kind : 0] +
             " segment");
    return false;
  }
  uint32_t found_tag = static_cast<uint32_t>(Load(words, kTagWord));
  if (tag != 0 && found_tag != tag) {
    Fail(failure, "ERR_WEFT_SEGMENT_KIND",
         "segment '" + name + "' holds layout " + std::to_string(found_tag) + ", expected layout " +
             std::to_string(tag));
    return false;
  }
  if (data_bytes != 0 && header_data != data_bytes) {
    Fail(failure, "ERR_WEFT_SEGMENT_SIZE",
         "segment '" + name + "' holds " + std::to_string(header_data) + " bytes, expected " +
             std::to_string(data_bytes));
    return false;
  }
  return true;
}

}  // namespace

uint8_t* DataOf(const Mapping* m) { return m->base + kHeaderBytes; }
uint64_t DataBytesOf(const Mapping* m) { return m->size - kHeaderBytes; }
const std::string& NameOf(const Mapping* m) { return m->name; }

Mapping* Create(const std::string& name_or_prefix, uint64_t data_bytes, uint32_t kind, uint32_t tag,
                uint32_t options, Failure* failure) {
  std::string name = name_or_prefix;
  int fd = -1;
  for (int attempt = 0; attempt < 1000; attempt++) {
    if (options & kUniqueName) {
      // A leftover of a dead process with our pid may hold a name: take the next.
      name = name_or_prefix + "." + std::to_string(getpid()) + "." + std::to_string(++sequence);
    }
    fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || errno != EEXIST || !(options & kUniqueName)) break;
  }
  if (fd < 0) {
    FailErrno(failure, "shm_open", name);
    return nullptr;
  }
  size_t size = kHeaderBytes + data_bytes;
  int err = 0;
  const char* syscall = nullptr;
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    err = errno;
    syscall = "ftruncate";
  } else if ((options & kReserve) && (err = posix_fallocate(fd, 0, static_cast<off_t>(size))) != 0) {
    syscall = "posix_fallocate";
  }
  void* base = MAP_FAILED;
  struct stat st;
  if (syscall == nullptr) {
    base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
      err = errno;
      syscall = "mmap";
    } else if (fstat(fd, &st) != 0) {
      err = errno;
      syscall = "fstat";
      munmap(base, size);
    }
  }
  close(fd);
  if (syscall != nullptr) {
    shm_unlink(name.c_str());
    errno = err;
    FailErrno(failure, syscall, name);
    return nullptr;
  }
  auto* m = new Mapping{name, static_cast<uint8_t*>(base), size, st.st_dev, st.st_ino, kind, 1, -1, false};
  int32_t* words = Words(m);
  uint64_t start = SelfStartTime();
  Store(words, kMagicWord, static_cast<int32_t>(kMagic));
  Store(words, kVersionWord, static_cast<int32_t>(kVersion));
  Store(words, kKindWord, static_cast<int32_t>(kind));
  Store(words, kTagWord, static_cast<int32_t>(tag));
  Store(words, kFlagsWord, static_cast<int32_t>(options & kKeep));
  Store(words, kDataLowWord, static_cast<int32_t>(data_bytes & 0xffffffffu));
  Store(words, kDataHighWord, static_cast<int32_t>(data_bytes >> 32));
  Store(words, kCreatorPidWord, static_cast<int32_t>(getpid()));
  Store(words, kCreatorStartLowWord, static_cast<int32_t>(start & 0xffffffffu));
  Store(words, kCreatorStartHighWord, static_cast<int32_t>(start >> 32));
  m->slot = ClaimSlot(words);
  // Published last: an attacher that sees ready sees every word above.
  Store(words, kReadyWord, 1);
  FutexWake(&words[kReadyWord], INT_MAX);
  std::lock_guard<std::mutex> lock(registry().mutex);
  Register(m);
  return m;
}

Mapping* Attach(const std::string& name, uint32_t kind, uint32_t tag, uint64_t data_bytes, int64_t timeout_ns,
                Failure* failure) {
  Registry& r = registry();
  if (kind != kNamed) {
    // Generated names are never reused, so a mapping we hold under this name
    // is the segment the name gave (even if the name is gone since).
    std::lock_guard<std::mutex> lock(r.mutex);
    Mapping* m = FindName(name);
    if (m != nullptr && m->kind != kNamed) {
      if (!Check(Words(m), m->size, name, kind, tag, data_bytes, failure)) return nullptr;
      m->refs++;
      return m;
    }
  }
  struct timespec deadline = MonotonicAfter(timeout_ns < 0 ? 0 : timeout_ns);
  int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == ENOENT) {
      Fail(failure, "ENOENT", "no segment named '" + name + "'", ENOENT, "shm_open");
    } else {
      FailErrno(failure, "shm_open", name);
    }
    return nullptr;
  }
  struct stat st;
  // A creator between shm_open and ftruncate leaves the file empty for a moment.
  for (;;) {
    if (fstat(fd, &st) != 0) {
      FailErrno(failure, "fstat", name);
      close(fd);
      return nullptr;
    }
    if (static_cast<size_t>(st.st_size) >= kHeaderBytes) break;
    if (Reached(deadline, MonotonicNow())) {
      close(fd);
      Fail(failure, "ERR_WEFT_SEGMENT_NOT_READY",
           "segment '" + name + "' has no header (" + std::to_string(st.st_size) +
               " bytes): its creator did not finish making it (it may have died)");
      return nullptr;
    }
    usleep(100);
  }
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    Mapping* m = FindFile(st.st_dev, st.st_ino);
    if (m != nullptr) {
      close(fd);
      if (!Check(Words(m), m->size, name, kind, tag, data_bytes, failure)) return nullptr;
      m->refs++;
      return m;
    }
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);
  if (base == MAP_FAILED) {
    errno = err;
    FailErrno(failure, "mmap", name);
    return nullptr;
  }
  int32_t* words = static_cast<int32_t*>(base);
  for (;;) {
    int32_t ready = Load(words, kReadyWord);
    if (ready == 1) break;
    int64_t left = NanosUntil(deadline);
    if (ready != 0 || left == 0) {
      munmap(base, size);
      if (ready != 0) {
        Fail(failure, "ERR_WEFT_SEGMENT_CORRUPT", "segment '" + name + "' is corrupt: bad ready word " +
                                                      std::to_string(ready));
      } else {
        Fail(failure, "ERR_WEFT_SEGMENT_NOT_READY",
             "segment '" + name + "' was not ready in time: its creator did not finish its header (it may have " +
                 "died), or the header is corrupt");
      }
      return nullptr;
    }
    // The creator wakes the word; the slices bound how long a header
    // completed by other means (or a wake lost to a dying creator) goes unseen.
    FutexWait(&words[kReadyWord], 0, left < kReadyPollNanos ? left : kReadyPollNanos);
  }
  if (!Check(words, size, name, kind, tag, data_bytes, failure)) {
    munmap(base, size);
    return nullptr;
  }
  auto* m = new Mapping{name, static_cast<uint8_t*>(base), size, st.st_dev, st.st_ino,
                        static_cast<uint32_t>(Load(words, kKindWord)), 1, -1, false};
  std::lock_guard<std::mutex> lock(r.mutex);
  // Another thread of this process may have mapped the same file meanwhile.
  Mapping* other = FindFile(st.st_dev, st.st_ino);
  if (other != nullptr) {
    munmap(base, size);
    delete m;
    other->refs++;
    return other;
  }
  m->slot = ClaimSlot(words);
  Register(m);
  return m;
}

Mapping* Retain(const void* data, size_t length) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto at = reinterpret_cast<uintptr_t>(data);
  auto it = r.by_base.upper_bound(at);
  if (it == r.by_base.begin()) return nullptr;
  --it;
  Mapping* m = it->second;
  if (at < it->first + kHeaderBytes || at + length > it->first + m->size) return nullptr;
  m->refs++;
  return m;
}

void Release(Mapping* m) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (--m->refs > 0) return;
  r.by_base.erase(reinterpret_cast<uintptr_t>(m->base));
  GiveBack(m);
  if (!r.exiting) {
    munmap(m->base, m->size);
    delete m;
  }
}

void Deleter(void* data, size_t length, void* mapping) { Release(static_cast<Mapping*>(mapping)); }

bool Locate(const void* data, std::string* name, uint64_t* offset, uint32_t* kind) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto at = reinterpret_cast<uintptr_t>(data);
  auto it = r.by_base.upper_bound(at);
  if (it == r.by_base.begin()) return false;
  --it;
  Mapping* m = it->second;
  if (at < it->first + kHeaderBytes || at > it->first + m->size) return false;
  *name = m->name;
  *offset = at - it->first - kHeaderBytes;
  *kind = m->kind;
  return true;
}

bool Unlink(const std::string& name, Failure* failure) {
  if (shm_unlink(name.c_str()) == 0) return true;
  if (errno != ENOENT) FailErrno(failure, "shm_unlink", name);
  return false;
}

bool Inspect(const std::string& name, Header* header, Failure* failure) {
  int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno != ENOENT) FailErrno(failure, "shm_open", name);
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    FailErrno(failure, "fstat", name);
    close(fd);
    return false;
  }
  header->file_bytes = static_cast<uint64_t>(st.st_size);
  header->mtime_ms = st.st_mtim.tv_sec * 1e3 + st.st_mtim.tv_nsec / 1e6;
  memset(header->words, 0, sizeof header->words);
  ssize_t got = pread(fd, header->words, sizeof header->words, 0);
  close(fd);
  if (got < 0) {
    FailErrno(failure, "pread", name);
    return false;
  }
  return true;
}

size_t MappingCount() {
  std::lock_guard<std::mutex> lock(registry().mutex);
  return registry().by_base.size();
}

}  // namespace weft::segment
