#include "liveness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace weft {

ProcStat ReadProcStat(pid_t id) {
  ProcStat stat{false, '?', 0};
  if (id <= 0) return stat;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(id));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return stat;
  char text[1024];
  ssize_t length = read(fd, text, sizeof text - 1);
  close(fd);
  if (length <= 0) return stat;
  text[length] = '\0';
  // Field 2 is the command in parentheses and may itself hold ") ": the
  // fields after it start after the *last* ')'.
  const char* field = strrchr(text, ')');
  if (field == nullptr || field[1] != ' ') return stat;
  field += 2;  // field 3
  stat.exists = true;
  stat.state = *field;
  for (int n = 3; n < 22; n++) {
    field = strchr(field, ' ');
    if (field == nullptr) return stat;
    field++;
  }
  stat.start = strtoull(field, nullptr, 10);
  return stat;
}

bool IsAlive(pid_t id, uint64_t start) {
  ProcStat stat = ReadProcStat(id);
  if (!stat.exists || stat.state == 'Z' || stat.state == 'X' || stat.state == 'x') return false;
  return start == 0 || stat.start == start;
}

uint64_t SelfStartTime() {
  static uint64_t start = ReadProcStat(getpid()).start;
  return start;
}

}  // namespace weft
