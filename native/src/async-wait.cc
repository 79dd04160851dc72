// Async futex waits.
//
// A JavaScript thread must not block, so an async wait is parked by a native
// thread and its outcome delivered back to the JavaScript thread that asked.
//
//   JS thread                       parking thread (one per process; another
//   ---------                       per 127 parked waits beyond that)
//   waitAsync(words, i, v, t)
//     word != v  -> 'not-equal' now
//     t == 0     -> 'timed-out' now
//     else: id, Wait -> incoming ->  futex_waitv([control, w1, w2, ...], earliest deadline)
//                                      woken on wk       -> 'ok' for every wait on wk's word
//                                      EAGAIN            -> 'not-equal' for each changed word
//                                      deadline reached  -> 'timed-out'
//   uv_async callback  <- done list <-/
//     deliver([id, outcome, ...]) to the JS callback
//
// One thread waiting on many words at once (futex_waitv, Linux >= 5.16)
// costs one thread however many waits are parked. Kernels without it fall
// back to one pooled thread per parked wait (plain FUTEX_WAIT), idle threads
// kept for reuse. libuv's thread pool is never used for parking: parked waits
// there would starve fs and dns work.
//
// A parked wait keeps the buffer it waits on alive (its backing store) and
// keeps its environment's event loop alive (the uv_async handle is ref'd
// while any wait of that environment is parked, unref'd otherwise).
//
// Cancellation (AbortSignal, a dropped wait) happens at once on the JS side.
// A wake-up the abandoned wait had already consumed — or consumes before its
// parking thread hears of the cancel — is passed on (FUTEX_WAKE 1), so an
// abort never swallows a notification meant for another waiter.
//
// A wake on one word reports 'ok' to every parked wait of this process on
// that word (the kernel may have counted only one of them): at worst an
// early return, which the futex contract allows and callers re-check.

#include "async-wait.h"

#include <linux/futex.h>
#include <node.h>
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "futex.h"
#include "js.h"

namespace weft {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::HandleScope;
using v8::Isolate;
using v8::Local;
using v8::Value;

namespace {

enum State : int { kPending = 0, kDone = 1, kCancelled = 2 };

struct EnvState;
class WaitvParker;

struct Wait {
  double id = 0;
  std::shared_ptr<v8::BackingStore> store;  // keeps the word mapped
  int32_t* word = nullptr;
  int32_t expected = 0;
  bool timed = false;
  struct timespec deadline {};
  std::shared_ptr<EnvState> env;
  std::atomic<int> state{kPending};
  int outcome = kOk;
  WaitvParker* parker = nullptr;  // nullptr: parked by a fallback thread
};

using WaitPtr = std::shared_ptr<Wait>;

// One per Node environment: the main thread, or a worker thread.
struct EnvState {
  Isolate* isolate = nullptr;
  uv_async_t async{};
  // Shared with the parking threads.
  std::mutex mutex;
  std::vector<WaitPtr> done;
  bool alive = true;
  // The JS thread's own.
  v8::Global<v8::Function> callback;
  v8::Global<v8::Context> context;
  std::unordered_map<double, WaitPtr> waits;
  double next_id = 0;
  int held = 0;  // parked waits holding the loop open
};

struct EnvHolder {
  std::shared_ptr<EnvState> env;
  node::AsyncCleanupHookHandle cleanup;
  void (*cleanup_done)(void*) = nullptr;
  void* cleanup_arg = nullptr;
};

void BlockSignals() {
  // Signals belong to Node's threads, not to these.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

// Hands a finished wait to its environment; false if it had been cancelled.
bool Complete(const WaitPtr& w, int outcome) {
  int pending = kPending;
  if (!w->state.compare_exchange_strong(pending, kDone)) return false;
  w->outcome = outcome;
  EnvState* env = w->env.get();
  std::lock_guard<std::mutex> lock(env->mutex);
  if (!env->alive) {
    // Its thread is gone: the wake-up is still someone's.
    if (outcome == kOk) FutexWake(w->word, 1);
    return true;
  }
  env->done.push_back(w);
  uv_async_send(&env->async);
  return true;
}

// ---- futex_waitv: one thread parks up to 127 waits -------------------------

constexpr size_t kPerParker = FUTEX_WAITV_MAX - 1;  // slot 0 is the control word

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

// Tells the parking thread of a wait cancelled while still parked.
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

// ---- the JS thread's side --------------------------------------------------

EnvState* EnvOf(const FunctionCallbackInfo<Value>& args) {
  return static_cast<EnvHolder*>(args.Data().As<v8::External>()->Value())->env.get();
}

void Hold(EnvState* env) {
  if (env->held++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(&env->async));
}

void Unhold(EnvState* env) {
  if (--env->held == 0) uv_unref(reinterpret_cast<uv_handle_t*>(&env->async));
}

// The uv_async callback: delivers finished waits to JavaScript in one call.
void OnDone(uv_async_t* handle) {
  auto* holder = static_cast<EnvHolder*>(handle->data);
  EnvState* env = holder->env.get();
  std::vector<WaitPtr> done;
  {
    std::lock_guard<std::mutex> lock(env->mutex);
    done.swap(env->done);
  }
  Isolate* isolate = env->isolate;
  HandleScope scope(isolate);
  Local<Context> context = env->context.Get(isolate);
  Context::Scope context_scope(context);
  std::vector<Local<Value>> pairs;
  pairs.reserve(done.size() * 2);
  for (auto& w : done) {
    if (w->state.load() == kCancelled) {
      // Cancelled after it finished: a wake-up it took is someone else's.
      if (w->outcome == kOk) FutexWake(w->word, 1);
      continue;
    }
    env->waits.erase(w->id);
    Unhold(env);
    pairs.push_back(v8::Number::New(isolate, w->id));
    pairs.push_back(v8::Integer::New(isolate, w->outcome));
  }
  done.clear();  // the backing stores go on the JS thread
  if (pairs.empty() || env->callback.IsEmpty()) return;
  Local<Value> argv[] = {v8::Array::New(isolate, pairs.data(), pairs.size())};
  node::MakeCallback(isolate, context->Global(), env->callback.Get(isolate), 1, argv, node::async_context{0, 0});
}

// waitAsync(words, index, expected, timeoutMs): -1 not-equal, -2 timed-out
// (both decided at once), or the id of a parked wait whose outcome arrives
// through the wait callback.
void WaitAsync(const FunctionCallbackInfo<Value>& args) {
  EnvState* env = EnvOf(args);
  std::shared_ptr<v8::BackingStore> store;
  int32_t* word = WordAddress(args, 0, &store);
  if (word == nullptr) return;
  double expected_number, timeout_ms;
  if (!ArgNumber(args, 2, "expected", &expected_number) || !ArgNumber(args, 3, "timeoutMs", &timeout_ms)) return;
  int32_t expected = args[2]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromJust();
  if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != expected) return args.GetReturnValue().Set(-1);
  int64_t timeout = TimeoutNanos(timeout_ms);
  if (timeout == 0) return args.GetReturnValue().Set(-2);
  auto w = std::make_shared<Wait>();
  w->id = ++env->next_id;
  w->store = std::move(store);
  w->word = word;
  w->expected = expected;
  if (timeout > 0) {
    w->timed = true;
    w->deadline = MonotonicAfter(timeout);
  }
  auto* holder = static_cast<EnvHolder*>(args.Data().As<v8::External>()->Value());
  w->env = holder->env;
  env->waits.emplace(w->id, w);
  Hold(env);
  Park(w);
  args.GetReturnValue().Set(w->id);
}

// cancelWait(id): whether a parked wait was cancelled. Its outcome is never delivered.
void CancelWait(const FunctionCallbackInfo<Value>& args) {
  EnvState* env = EnvOf(args);
  double id;
  if (!ArgNumber(args, 0, "id", &id)) return;
  auto it = env->waits.find(id);
  if (it == env->waits.end()) return args.GetReturnValue().Set(false);
  WaitPtr w = std::move(it->second);
  env->waits.erase(it);
  Unhold(env);
  // Finished already? Then its outcome is on the way and OnDone passes a
  // consumed wake-up on.
  if (w->state.exchange(kCancelled) == kPending) Unpark(w.get());
  args.GetReturnValue().Set(true);
}

// setWaitCallback(fn): fn(results) receives [id, outcome, id, outcome, ...].
void SetWaitCallback(const FunctionCallbackInfo<Value>& args) {
  EnvState* env = EnvOf(args);
  if (!args[0]->IsFunction()) return ThrowTypeError(args.GetIsolate(), "callback must be a function");
  env->callback.Reset(args.GetIsolate(), args[0].As<v8::Function>());
}

void PendingWaits(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(static_cast<double>(EnvOf(args)->waits.size()));
}

// The environment is going away (its thread exits): cancel its waits, close
// the handle, and tell Node when the handle is closed.
void Teardown(void* arg, void (*done)(void*), void* done_arg) {
  auto* holder = static_cast<EnvHolder*>(arg);
  EnvState* env = holder->env.get();
  for (auto& entry : env->waits) {
    if (entry.second->state.exchange(kCancelled) == kPending) Unpark(entry.second.get());
  }
  env->waits.clear();
  {
    std::lock_guard<std::mutex> lock(env->mutex);
    env->alive = false;
    for (auto& w : env->done) {
      if (w->outcome == kOk) FutexWake(w->word, 1);
    }
    env->done.clear();
  }
  env->callback.Reset();
  env->context.Reset();
  holder->cleanup_done = done;
  holder->cleanup_arg = done_arg;
  uv_close(reinterpret_cast<uv_handle_t*>(&env->async), [](uv_handle_t* handle) {
    auto* holder = static_cast<EnvHolder*>(handle->data);
    void (*done)(void*) = holder->cleanup_done;
    void* done_arg = holder->cleanup_arg;
    delete holder;
    done(done_arg);
  });
}

}  // namespace

int ParkingThreads() {
  std::lock_guard<std::mutex> lock(parkers_mutex);
  return static_cast<int>(parkers->size()) + fallback_threads.load();
}

void RegisterAsyncWait(Local<Context> context, Local<v8::Object> exports) {
  Isolate* isolate = context->GetIsolate();
  auto* holder = new EnvHolder();
  holder->env = std::make_shared<EnvState>();
  EnvState* env = holder->env.get();
  env->isolate = isolate;
  env->context.Reset(isolate, context);
  uv_async_init(node::GetCurrentEventLoop(isolate), &env->async, OnDone);
  env->async.data = holder;
  uv_unref(reinterpret_cast<uv_handle_t*>(&env->async));
  holder->cleanup = node::AddEnvironmentCleanupHook(isolate, Teardown, holder);
  Local<v8::External> data = v8::External::New(isolate, holder);
  SetMethod(context, exports, "waitAsync", WaitAsync, data);
  SetMethod(context, exports, "cancelWait", CancelWait, data);
  SetMethod(context, exports, "setWaitCallback", SetWaitCallback, data);
  SetMethod(context, exports, "pendingWaits", PendingWaits, data);
}

}  // namespace weft
