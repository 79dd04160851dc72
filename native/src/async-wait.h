// Async futex waits that never block the event loop (see async-wait.cc).
#pragma once

#include <v8.h>

namespace weft {

// Adds waitAsync / cancelWait / setWaitCallback for the environment of
// `context` (the main thread or one worker thread).
void RegisterAsyncWait(v8::Local<v8::Context> context, v8::Local<v8::Object> exports);

}  // namespace weft
