// Native memory the process holds: releaseBuffers() frees buffers (the addon's upright
// crops, a service's request bodies) as soon as their work is done, rather than when the
// garbage collector gets to their JS objects; mallocOptions() and mallocInfo()
// are glibc's mallopt() and mallinfo2() (no-ops elsewhere).
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "binding/convert.h"
#include "binding/exports.h"
#include "util/error.h"

namespace di::binding {

namespace {

// releaseBuffers(buffers) -> how many were freed. Each is detached: its length
// becomes 0 and the memory behind it goes at once. Skipped: a view into part of an
// ArrayBuffer (Node's pool of small Buffers), and one a job still reads (BufferPin).
Napi::Value ReleaseBuffersBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw MakeError(env, code::kInvalidArg, "releaseBuffers: pass an array of buffers");
  const Napi::Array list = info[0].As<Napi::Array>();
  uint32_t released = 0;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value v = list.Get(i);
    Napi::ArrayBuffer ab;
    size_t offset = 0, length = 0;
    if (v.IsTypedArray()) {
      const Napi::TypedArray t = v.As<Napi::TypedArray>();
      ab = t.ArrayBuffer();
      offset = t.ByteOffset();
      length = t.ByteLength();
    } else if (v.IsArrayBuffer()) {
      ab = v.As<Napi::ArrayBuffer>();
      length = ab.ByteLength();
    } else {
      continue;
    }
    if (ab.IsDetached() || offset != 0 || length != ab.ByteLength() || length == 0 || BufferPin::Held(ab.Data())) continue;
    ab.Detach();
    ++released;
  }
  return Napi::Number::New(env, released);
}

// mallocOptions({mmapThreshold}) -> whether glibc took it. mmapThreshold: allocations of at
// least this many bytes get pages of their own, handed back to the system when freed (and
// glibc's dynamic threshold, which otherwise rises to the largest chunk freed, stays put).
Napi::Value MallocOptionsBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = OptionsArg(info, 0);
  const double threshold = GetNumber(o, "mmapThreshold", -1);
  // glibc refuses more than HEAP_MAX_SIZE / 2 (32 MiB on 64-bit systems).
  if (!(threshold >= 4096 && threshold <= 32.0 * 1024 * 1024))
    throw MakeError(env, code::kInvalidArg, "mallocOptions: mmapThreshold must be a number of bytes from 4096 to 32 MiB");
#if defined(__GLIBC__)
  return Napi::Boolean::New(env, mallopt(M_MMAP_THRESHOLD, int(threshold)) == 1);
#else
  return Napi::Boolean::New(env, false);
#endif
}

Napi::Value MallocInfoBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  Napi::Object o = Napi::Object::New(env);
  o.Set("heapBytes", double(m.arena));     // from the OS for malloc's arenas, mmapped chunks apart
  o.Set("inUseBytes", double(m.uordblks)); // of that, allocated
  o.Set("freeBytes", double(m.fordblks));  // of that, free but kept by malloc
  o.Set("mmapBytes", double(m.hblkhd));    // chunks mmapped on their own (allocated)
  return o;
#else
  return env.Null();
#endif
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseBuffers", Napi::Function::New<ReleaseBuffersBinding>(env, "releaseBuffers"));
  exports.Set("mallocOptions", Napi::Function::New<MallocOptionsBinding>(env, "mallocOptions"));
  exports.Set("mallocInfo", Napi::Function::New<MallocInfoBinding>(env, "mallocInfo"));
}

}  // namespace di::binding
