#include "js.h"

#include <cerrno>
#include <cmath>
#include <cstring>

namespace weft {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::String;
using v8::Value;

Local<String> Str(Isolate* isolate, const std::string& text) {
  return String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
      .ToLocalChecked();
}

std::string ErrnoName(int errnum) {
  switch (errnum) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EINVAL: return "EINVAL";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EFBIG: return "EFBIG";
    case EBUSY: return "EBUSY";
    case ENOSYS: return "ENOSYS";
    case EFAULT: return "EFAULT";
    default: return "E" + std::to_string(errnum);
  }
}

void ThrowError(Isolate* isolate, const std::string& code, const std::string& message, int errnum,
                const char* syscall) {
  Local<Context> context = isolate->GetCurrentContext();
  Local<Object> error = v8::Exception::Error(Str(isolate, message)).As<Object>();
  error->Set(context, Str(isolate, "code"), Str(isolate, code)).Check();
  if (errnum != 0) error->Set(context, Str(isolate, "errno"), v8::Integer::New(isolate, -errnum)).Check();
  if (syscall != nullptr) error->Set(context, Str(isolate, "syscall"), Str(isolate, syscall)).Check();
  isolate->ThrowException(error);
}

void ThrowTypeError(Isolate* isolate, const std::string& message) {
  isolate->ThrowException(v8::Exception::TypeError(Str(isolate, message)));
}

void ThrowRangeError(Isolate* isolate, const std::string& message) {
  isolate->ThrowException(v8::Exception::RangeError(Str(isolate, message)));
}

bool ArgNumber(const FunctionCallbackInfo<Value>& args, int i, const char* what, double* out) {
  if (!args[i]->IsNumber()) {
    ThrowTypeError(args.GetIsolate(), std::string(what) + " must be a number");
    return false;
  }
  *out = args[i].As<v8::Number>()->Value();
  return true;
}

bool ArgSize(const FunctionCallbackInfo<Value>& args, int i, const char* what, size_t* out) {
  double value;
  if (!ArgNumber(args, i, what, &value)) return false;
  if (!(value >= 0) || value > 9007199254740991.0 || std::floor(value) != value) {
    ThrowRangeError(args.GetIsolate(), std::string(what) + " must be a non-negative integer");
    return false;
  }
  *out = static_cast<size_t>(value);
  return true;
}

bool ArgString(const FunctionCallbackInfo<Value>& args, int i, const char* what, std::string* out) {
  if (!args[i]->IsString()) {
    ThrowTypeError(args.GetIsolate(), std::string(what) + " must be a string");
    return false;
  }
  String::Utf8Value utf8(args.GetIsolate(), args[i]);
  *out = std::string(*utf8, utf8.length());
  return true;
}

int32_t* WordAddress(const FunctionCallbackInfo<Value>& args, int view_arg, std::shared_ptr<v8::BackingStore>* keep) {
  Isolate* isolate = args.GetIsolate();
  if (!args[view_arg]->IsInt32Array()) {
    ThrowTypeError(isolate, "words must be an Int32Array");
    return nullptr;
  }
  Local<v8::Int32Array> view = args[view_arg].As<v8::Int32Array>();
  if (!args[view_arg + 1]->IsUint32()) {
    ThrowRangeError(isolate, "index must be a non-negative integer");
    return nullptr;
  }
  uint32_t index = args[view_arg + 1].As<v8::Uint32>()->Value();
  if (index >= view->Length()) {
    ThrowRangeError(isolate, "index " + std::to_string(index) + " is out of range for " +
                                 std::to_string(view->Length()) + " words");
    return nullptr;
  }
  Local<v8::ArrayBuffer> buffer = view->Buffer();
  auto* base = static_cast<uint8_t*>(buffer->Data());
  if (base == nullptr) {
    ThrowTypeError(isolate, "the words' buffer is detached");
    return nullptr;
  }
  if (keep != nullptr) *keep = buffer->GetBackingStore();
  return reinterpret_cast<int32_t*>(base + view->ByteOffset()) + index;
}

int64_t TimeoutNanos(double ms) {
  if (std::isnan(ms) || ms > 9.2e12) return -1;  // Infinity, or beyond int64 nanoseconds: forever
  if (ms <= 0) return 0;
  return static_cast<int64_t>(ms * 1e6);
}

void SetMethod(Local<Context> context, Local<Object> target, const char* name, v8::FunctionCallback callback,
               Local<Value> data) {
  Isolate* isolate = context->GetIsolate();
  Local<v8::Function> fn = v8::FunctionTemplate::New(isolate, callback, data)->GetFunction(context).ToLocalChecked();
  fn->SetName(Str(isolate, name));
  target->Set(context, Str(isolate, name), fn).Check();
}

void SetValue(Local<Context> context, Local<Object> target, const char* name, Local<Value> value) {
  target->Set(context, Str(context->GetIsolate(), name), value).Check();
}

}  // namespace weft
