// weft's processes-scope addon: POSIX shared memory mapped as real
// SharedArrayBuffers, futex wait/wake that reach across processes, async
// waits that never block the event loop, and process liveness.
//
// Written against the V8 API rather than N-API: on Node 20 N-API cannot make
// a SharedArrayBuffer over external memory. Context-aware
// (NODE_MODULE_INIT), with no per-isolate static state, so it loads in
// worker threads too; the state that is per process (mappings, parking
// threads) is process-wide by design and guarded by mutexes.

#include <node.h>
#include <sys/syscall.h>
#include <sched.h>
#include <unistd.h>

#include <climits>
#include <cmath>

#include "async-wait.h"
#include "futex.h"
#include "js.h"
#include "liveness.h"
#include "parking.h"
#include "segment-js.h"

namespace weft {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::Value;

namespace {

// Bumped whenever the functions below change shape: the TypeScript loader
// refuses a stale build with a message saying to rebuild.
constexpr int kAbi = 2;

// wait(words, index, expected, timeoutMs): 0 ok, 1 not-equal, 2 timed-out.
// Blocks the calling thread.
void JsWait(const FunctionCallbackInfo<Value>& args) {
  int32_t* word = WordAddress(args, 0);
  if (word == nullptr) return;
  double expected, timeout_ms;
  if (!ArgNumber(args, 2, "expected", &expected) || !ArgNumber(args, 3, "timeoutMs", &timeout_ms)) return;
  int32_t value = args[2]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromJust();
  int64_t timeout = TimeoutNanos(timeout_ms);
  if (timeout == 0) {
    args.GetReturnValue().Set(__atomic_load_n(word, __ATOMIC_SEQ_CST) == value ? kTimedOut : kNotEqual);
    return;
  }
  args.GetReturnValue().Set(FutexWait(word, value, timeout));
}

// wake(words, index, count): how many sleepers woke, in any process.
void JsWake(const FunctionCallbackInfo<Value>& args) {
  int32_t* word = WordAddress(args, 0);
  if (word == nullptr) return;
  double count;
  if (!ArgNumber(args, 2, "count", &count)) return;
  int n = !(count > 0) ? 0 : count >= INT_MAX ? INT_MAX : static_cast<int>(count);
  args.GetReturnValue().Set(n == 0 ? 0 : FutexWake(word, n));
}

// gettid(): the kernel id of the calling thread, unique among live threads
// of the whole host (the main thread's is the pid).
void GetTid(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(static_cast<int32_t>(syscall(SYS_gettid)));
}

// processStartTime(id): field 22 of /proc/<id>/stat, or -1 if there is no such process or thread.
void ProcessStartTime(const FunctionCallbackInfo<Value>& args) {
  size_t id;
  if (!ArgSize(args, 0, "pid", &id)) return;
  ProcStat stat = ReadProcStat(static_cast<pid_t>(id));
  args.GetReturnValue().Set(stat.exists ? static_cast<double>(stat.start) : -1.0);
}

// processAlive(id, startTime = 0): running (not a zombie) and, if startTime
// is nonzero, started at that time.
void ProcessAlive(const FunctionCallbackInfo<Value>& args) {
  size_t id, start = 0;
  if (!ArgSize(args, 0, "pid", &id)) return;
  if (args.Length() > 1 && !args[1]->IsUndefined() && !ArgSize(args, 1, "startTime", &start)) return;
  args.GetReturnValue().Set(IsAlive(static_cast<pid_t>(id), start));
}

// yieldCpu(): lets another thread that is ready to run on this core run
// first (sched_yield); returns at once when there is none. For a thread that
// watches shared memory for a peer which may be waiting for this very core.
void YieldCpu(const FunctionCallbackInfo<Value>&) { sched_yield(); }

void ParkingThreadCount(const FunctionCallbackInfo<Value>& args) { args.GetReturnValue().Set(ParkingThreads()); }

}  // namespace

void Initialize(Local<Object> exports, Local<Context> context) {
  Isolate* isolate = context->GetIsolate();
  SetValue(context, exports, "abi", v8::Integer::New(isolate, kAbi));
#ifdef V8_ENABLE_SANDBOX
  // External memory cannot back an ArrayBuffer inside V8's sandbox.
  SetValue(context, exports, "sandbox", v8::True(isolate));
  return;
#else
  SetValue(context, exports, "sandbox", v8::False(isolate));
#endif
  SetValue(context, exports, "futexWaitv", v8::Boolean::New(isolate, HaveFutexWaitv()));
  SetMethod(context, exports, "wait", JsWait);
  SetMethod(context, exports, "wake", JsWake);
  SetMethod(context, exports, "gettid", GetTid);
  SetMethod(context, exports, "processStartTime", ProcessStartTime);
  SetMethod(context, exports, "processAlive", ProcessAlive);
  SetMethod(context, exports, "parkingThreads", ParkingThreadCount);
  SetMethod(context, exports, "yieldCpu", YieldCpu);
  RegisterSegment(context, exports);
  RegisterAsyncWait(context, exports);
}

}  // namespace weft

NODE_MODULE_INIT(/* exports, module, context */) { weft::Initialize(exports, context); }
