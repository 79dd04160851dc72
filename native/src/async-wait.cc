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
// The parking threads are parking.cc's; this file is the JavaScript side:
// one Inbox (and uv_async handle) per Node environment.

#include "async-wait.h"

#include <node.h>
#include <uv.h>

#include <climits>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "futex.h"
#include "js.h"
#include "parking.h"

namespace weft {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::HandleScope;
using v8::Isolate;
using v8::Local;
using v8::Value;

namespace {

// One per Node environment: the main thread, or a worker thread.
struct EnvState final : Inbox {
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

  void Deliver(const WaitPtr& w) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (!alive) {
      // Its thread is gone: the wake-up is still someone's.
      if (w->outcome == kOk) FutexWake(w->word, 1);
      return;
    }
    done.push_back(w);
    uv_async_send(&async);
  }
};

struct EnvHolder {
  std::shared_ptr<EnvState> env;
  node::AsyncCleanupHookHandle cleanup;
  void (*cleanup_done)(void*) = nullptr;
  void* cleanup_arg = nullptr;
};

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
  w->inbox = holder->env;
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
