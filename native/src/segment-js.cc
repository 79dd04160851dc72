#include "segment-js.h"

#include <cstring>

#include "js.h"
#include "segment.h"

namespace weft {

using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Integer;
using v8::Isolate;
using v8::Local;
using v8::Number;
using v8::Object;
using v8::SharedArrayBuffer;
using v8::Value;

namespace seg = weft::segment;

namespace {

void Throw(Isolate* isolate, const seg::Failure& failure) {
  ThrowError(isolate, failure.code, failure.message, failure.errnum, failure.syscall);
}

// A SharedArrayBuffer over [data, data + length) of `mapping`, owning one
// reference to it (given back by the deleter when V8 frees the buffer, in
// whichever thread last held it).
Local<SharedArrayBuffer> NewBuffer(Isolate* isolate, seg::Mapping* mapping, uint8_t* data, size_t length) {
  std::unique_ptr<v8::BackingStore> store = SharedArrayBuffer::NewBackingStore(data, length, seg::Deleter, mapping);
  return SharedArrayBuffer::New(isolate, std::move(store));
}

// segmentCreate(name, dataBytes, kind, tag, options): the data region of a new segment.
void Create(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string name;
  size_t data_bytes, kind, tag, options;
  if (!ArgString(args, 0, "name", &name) || !ArgSize(args, 1, "dataBytes", &data_bytes) ||
      !ArgSize(args, 2, "kind", &kind) || !ArgSize(args, 3, "tag", &tag) || !ArgSize(args, 4, "options", &options)) {
    return;
  }
  seg::Failure failure;
  seg::Mapping* m = seg::Create(name, data_bytes, static_cast<uint32_t>(kind), static_cast<uint32_t>(tag),
                                static_cast<uint32_t>(options), &failure);
  if (m == nullptr) return Throw(isolate, failure);
  args.GetReturnValue().Set(NewBuffer(isolate, m, seg::DataOf(m), seg::DataBytesOf(m)));
}

// segmentAttach(name, kind, tag, dataBytes, timeoutMs): the data region of an existing segment.
void Attach(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string name;
  size_t kind, tag, data_bytes;
  double timeout_ms;
  if (!ArgString(args, 0, "name", &name) || !ArgSize(args, 1, "kind", &kind) || !ArgSize(args, 2, "tag", &tag) ||
      !ArgSize(args, 3, "dataBytes", &data_bytes) || !ArgNumber(args, 4, "timeoutMs", &timeout_ms)) {
    return;
  }
  seg::Failure failure;
  seg::Mapping* m = seg::Attach(name, static_cast<uint32_t>(kind), static_cast<uint32_t>(tag), data_bytes,
                                TimeoutNanos(timeout_ms), &failure);
  if (m == nullptr) return Throw(isolate, failure);
  args.GetReturnValue().Set(NewBuffer(isolate, m, seg::DataOf(m), seg::DataBytesOf(m)));
}

// arenaAllocate(prefix, byteLength, arenaBytes): byteLength zeroed bytes from this process's arena.
void ArenaAllocate(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  std::string prefix;
  size_t bytes, arena_bytes;
  if (!ArgString(args, 0, "prefix", &prefix) || !ArgSize(args, 1, "byteLength", &bytes) ||
      !ArgSize(args, 2, "arenaBytes", &arena_bytes)) {
    return;
  }
  seg::Failure failure;
  uint8_t* data = nullptr;
  seg::Mapping* m = seg::ArenaAllocate(prefix, bytes, arena_bytes, &data, &failure);
  if (m == nullptr) return Throw(isolate, failure);
  args.GetReturnValue().Set(NewBuffer(isolate, m, data, bytes));
}

// segmentView(buffer, offset, length): a buffer over part of a segment buffer, sharing its mapping.
void View(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (!args[0]->IsSharedArrayBuffer()) return ThrowTypeError(isolate, "buffer must be a SharedArrayBuffer");
  Local<SharedArrayBuffer> buffer = args[0].As<SharedArrayBuffer>();
  size_t offset, length;
  if (!ArgSize(args, 1, "offset", &offset) || !ArgSize(args, 2, "length", &length)) return;
  if (offset > buffer->ByteLength() || length > buffer->ByteLength() - offset) {
    return ThrowRangeError(isolate, "bytes " + std::to_string(offset) + ".." + std::to_string(offset + length) +
                                        " are outside the buffer's " + std::to_string(buffer->ByteLength()));
  }
  uint8_t* data = static_cast<uint8_t*>(buffer->Data()) + offset;
  seg::Mapping* m = seg::Retain(data, length);
  if (m == nullptr) return ThrowTypeError(isolate, "the buffer is not part of a weft segment");
  args.GetReturnValue().Set(NewBuffer(isolate, m, data, length));
}

// segmentLocate(buffer): [name, offset, kind] of a segment buffer, or undefined.
void Locate(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (!args[0]->IsSharedArrayBuffer()) return;
  std::string name;
  uint64_t offset;
  uint32_t kind;
  if (!seg::Locate(args[0].As<SharedArrayBuffer>()->Data(), &name, &offset, &kind)) return;
  Local<Value> items[] = {Str(isolate, name), Number::New(isolate, static_cast<double>(offset)),
                          Integer::NewFromUnsigned(isolate, kind)};
  args.GetReturnValue().Set(v8::Array::New(isolate, items, 3));
}

// segmentUnlink(name): whether a name was removed.
void Unlink(const FunctionCallbackInfo<Value>& args) {
  std::string name;
  if (!ArgString(args, 0, "name", &name)) return;
  seg::Failure failure;
  bool removed = seg::Unlink(name, &failure);
  if (!failure.code.empty()) return Throw(args.GetIsolate(), failure);
  args.GetReturnValue().Set(removed);
}

// segmentInspect(name): { fileBytes, mtimeMs, words } read without mapping, or undefined.
void Inspect(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  Local<Context> context = isolate->GetCurrentContext();
  std::string name;
  if (!ArgString(args, 0, "name", &name)) return;
  seg::Failure failure;
  seg::Header header;
  if (!seg::Inspect(name, &header, &failure)) {
    if (!failure.code.empty()) Throw(isolate, failure);
    return;
  }
  Local<v8::ArrayBuffer> bytes = v8::ArrayBuffer::New(isolate, sizeof header.words);
  memcpy(bytes->Data(), header.words, sizeof header.words);
  Local<Object> result = Object::New(isolate);
  SetValue(context, result, "fileBytes", Number::New(isolate, static_cast<double>(header.file_bytes)));
  SetValue(context, result, "mtimeMs", Number::New(isolate, header.mtime_ms));
  SetValue(context, result, "words", v8::Int32Array::New(bytes, 0, sizeof header.words / 4));
  args.GetReturnValue().Set(result);
}

void MappingCount(const FunctionCallbackInfo<Value>& args) {
  args.GetReturnValue().Set(static_cast<double>(seg::MappingCount()));
}

Local<Object> Layout(Local<Context> context) {
  Isolate* isolate = context->GetIsolate();
  Local<Object> layout = Object::New(isolate);
  auto set = [&](const char* name, double value) { SetValue(context, layout, name, Number::New(isolate, value)); };
  set("headerBytes", seg::kHeaderBytes);
  set("magic", seg::kMagic);
  set("version", seg::kVersion);
  set("magicWord", seg::kMagicWord);
  set("versionWord", seg::kVersionWord);
  set("readyWord", seg::kReadyWord);
  set("kindWord", seg::kKindWord);
  set("tagWord", seg::kTagWord);
  set("flagsWord", seg::kFlagsWord);
  set("dataLowWord", seg::kDataLowWord);
  set("dataHighWord", seg::kDataHighWord);
  set("creatorPidWord", seg::kCreatorPidWord);
  set("creatorStartLowWord", seg::kCreatorStartLowWord);
  set("creatorStartHighWord", seg::kCreatorStartHighWord);
  set("untrackedWord", seg::kUntrackedWord);
  set("slotsWord", seg::kSlotsWord);
  set("slotWords", seg::kSlotWords);
  set("slots", seg::kSlots);
  set("kindArena", seg::kArena);
  set("kindBlock", seg::kBlock);
  set("kindNamed", seg::kNamed);
  set("keep", seg::kKeep);
  set("reserve", seg::kReserve);
  set("uniqueName", seg::kUniqueName);
  set("arenaAlign", seg::kArenaAlign);
  return layout;
}

}  // namespace

void RegisterSegment(Local<Context> context, Local<Object> exports) {
  SetMethod(context, exports, "segmentCreate", Create);
  SetMethod(context, exports, "segmentAttach", Attach);
  SetMethod(context, exports, "arenaAllocate", ArenaAllocate);
  SetMethod(context, exports, "segmentView", View);
  SetMethod(context, exports, "segmentLocate", Locate);
  SetMethod(context, exports, "segmentUnlink", Unlink);
  SetMethod(context, exports, "segmentInspect", Inspect);
  SetMethod(context, exports, "mappingCount", MappingCount);
  SetValue(context, exports, "segmentLayout", Layout(context));
}

}  // namespace weft
