// Whether a process (or thread) is alive, from /proc/<id>/stat — what robust
// locks and the segment sweep ask about a recorded owner.
//
// A pid alone is not an identity: pids are reused. An owner is recorded as
// pid plus start time (field 22 of /proc/<pid>/stat, clock ticks after boot),
// and is alive only while a process with that pid *and* that start time
// exists. A zombie (exited, not yet reaped: `kill(pid, 0)` still succeeds)
// counts as dead — it will never run again.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace weft {

struct ProcStat {
  bool exists;
  char state;      // field 3: R S D Z X ...
  uint64_t start;  // field 22
};

// Reads /proc/<id>/stat; `exists` false when there is no such process or thread.
ProcStat ReadProcStat(pid_t id);

// Alive and not a zombie; when `start` is nonzero it must match too.
bool IsAlive(pid_t id, uint64_t start);

// This process's start time (cached).
uint64_t SelfStartTime();

}  // namespace weft
