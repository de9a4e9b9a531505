// The JavaScript `Session` class: a loaded model plus the jobs it can run.
// Jobs hold their own reference to the native session, so close() while a job
// runs is safe: the model is freed when the last job ends.
#pragma once

#include <napi.h>

#include "binding/jobs.h"

namespace di::binding {

class SessionObject : public Napi::ObjectWrap<SessionObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, SessionPtr session);
  explicit SessionObject(const Napi::CallbackInfo& info);
  static SessionPtr Get(const Napi::Value& value, const char* what);

 private:
  SessionPtr Live(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Detect(const Napi::CallbackInfo& info);
  Napi::Value Segment(const Napi::CallbackInfo& info);
  Napi::Value Classify(const Napi::CallbackInfo& info);
  Napi::Value ExplainClassify(const Napi::CallbackInfo& info);
  Napi::Value ExplainDetect(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Benchmark(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  SessionPtr session_;
};

// The native session behind a JavaScript Session; ERR_INVALID_ARG if `value`
// is not one, ERR_SESSION_CLOSED if it was closed.
SessionPtr SessionFromJs(const Napi::Value& value, const char* what);

// createSession(pathOrBuffer, options) -> Promise<Session>
Napi::Value CreateSession(const Napi::CallbackInfo& info);

}  // namespace di::binding
