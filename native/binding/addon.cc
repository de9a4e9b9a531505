// Module entry: registers every binding. Each concern exports from its own file.
#include <napi.h>

#include <onnxruntime_cxx_api.h>

#include "binding/exports.h"
#include "binding/session_object.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", di::binding::SessionObject::Define(env));
  exports.Set("createSession", Napi::Function::New<di::binding::CreateSession>(env, "createSession"));
  exports.Set("ortVersion", Napi::String::New(env, Ort::GetVersionString()));
  Napi::Array providers = Napi::Array::New(env);
  for (const auto& p : Ort::GetAvailableProviders()) providers.Set(providers.Length(), p);
  exports.Set("ortProviders", providers);
  di::binding::InitUtilities(env, exports);
  di::binding::InitSynth(env, exports);
  di::binding::InitRoi(env, exports);
  di::binding::InitAnnotate(env, exports);
  di::binding::InitSam(env, exports);
  di::binding::InitMemory(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(die_inspect, Init)
