// The segment functions as JavaScript sees them (see segment.h).
#pragma once

#include <v8.h>

namespace weft {

void RegisterSegment(v8::Local<v8::Context> context, v8::Local<v8::Object> exports);

}  // namespace weft
