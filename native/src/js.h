// Small helpers for the V8 API: argument checks and errors shaped like
// Node's system errors (`code`, `errno`, `syscall`), so the TypeScript side
// can map them to weft's typed errors.
#pragma once

#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>

namespace weft {

v8::Local<v8::String> Str(v8::Isolate* isolate, const std::string& text);

// Throws `new Error(message)` with `code` (and `errno` / `syscall` when given).
void ThrowError(v8::Isolate* isolate, const std::string& code, const std::string& message, int errnum = 0,
                const char* syscall = nullptr);
void ThrowTypeError(v8::Isolate* isolate, const std::string& message);
void ThrowRangeError(v8::Isolate* isolate, const std::string& message);

// The symbolic name of an errno value ("ENOENT"), or "E<number>".
std::string ErrnoName(int errnum);

// args[i] as a finite number, or throws a TypeError naming `what`.
bool ArgNumber(const v8::FunctionCallbackInfo<v8::Value>& args, int i, const char* what, double* out);
// args[i] as a non-negative safe integer, or throws.
bool ArgSize(const v8::FunctionCallbackInfo<v8::Value>& args, int i, const char* what, size_t* out);
// args[i] as a string, or throws.
bool ArgString(const v8::FunctionCallbackInfo<v8::Value>& args, int i, const char* what, std::string* out);

// The address of word `args[view_arg + 1]` of the Int32Array `args[view_arg]`,
// or nullptr after throwing. `keep`, when given, receives the backing store so
// the word stays mapped while a wait is parked on it.
int32_t* WordAddress(const v8::FunctionCallbackInfo<v8::Value>& args, int view_arg,
                     std::shared_ptr<v8::BackingStore>* keep = nullptr);

// A timeout argument in milliseconds as whole nanoseconds: -1 for Infinity
// (no timeout), 0 for zero or negative.
int64_t TimeoutNanos(double ms);

void SetMethod(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
               v8::FunctionCallback callback, v8::Local<v8::Value> data = v8::Local<v8::Value>());
void SetValue(v8::Local<v8::Context> context, v8::Local<v8::Object> target, const char* name,
              v8::Local<v8::Value> value);

}  // namespace weft
