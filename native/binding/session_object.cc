#include "binding/session_object.h"

#include <optional>

#include "binding/convert.h"
#include "binding/promise_worker.h"

namespace di::binding {

namespace {

// Per-environment constructor, so the addon works in worker_threads too.
struct ConstructorData {
  Napi::FunctionReference session;
};

class LoadJob : public PromiseWorker {
 public:
  // `owner` is the Buffer an in-memory source points into (empty for a path).
  LoadJob(Napi::Env env, ModelSource source, Napi::Object owner, SessionConfig config)
      : PromiseWorker(env), source_(std::move(source)), config_(std::move(config)) {
    if (!owner.IsEmpty()) owner_.emplace(owner);
  }

 protected:
  void Run() override { session_ = InferenceSession::Create(source_, config_); }
  Napi::Value Result(Napi::Env env) override { return SessionObject::Wrap(env, session_); }

 private:
  ModelSource source_;
  std::optional<BufferPin> owner_;  // keeps a Buffer model alive while ORT parses it
  SessionConfig config_;
  SessionPtr session_;
};

// createSession's model argument: a file path or a Uint8Array of the model's bytes.
ModelSource ModelSourceFromJs(const Napi::Value& v) {
  Napi::Env env = v.Env();
  if (v.IsString()) {
    std::string path = v.As<Napi::String>().Utf8Value();
    if (path.empty()) throw MakeError(env, code::kInvalidArg, "model path is empty");
    return ModelSource::File(std::move(path));
  }
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    const Napi::TypedArray ta = v.As<Napi::TypedArray>();
    const auto* bytes = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    return ModelSource::Buffer(bytes, ta.ByteLength());
  }
  throw MakeError(env, code::kInvalidArg, "model must be a file path or a Buffer");
}

}  // namespace

Napi::Function SessionObject::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "Session",
                                    {
                                        InstanceMethod<&SessionObject::Info>("info"),
                                        InstanceMethod<&SessionObject::Detect>("detect"),
                                        InstanceMethod<&SessionObject::Segment>("segment"),
                                        InstanceMethod<&SessionObject::Classify>("classify"),
                                        InstanceMethod<&SessionObject::ExplainClassify>("explainClassify"),
                                        InstanceMethod<&SessionObject::ExplainDetect>("explainDetect"),
                                        InstanceMethod<&SessionObject::Run>("run"),
                                        InstanceMethod<&SessionObject::Benchmark>("benchmark"),
                                        InstanceMethod<&SessionObject::Close>("close"),
                                    });
  auto* data = new ConstructorData{Napi::Persistent(ctor)};
  env.SetInstanceData<ConstructorData>(data);
  return ctor;
}

Napi::Object SessionObject::Wrap(Napi::Env env, SessionPtr session) {
  auto* data = env.GetInstanceData<ConstructorData>();
  auto* holder = new SessionPtr(std::move(session));
  // The External hands the shared_ptr to the constructor, which takes it over.
  Napi::Object obj = data->session.New({Napi::External<SessionPtr>::New(env, holder)});
  delete holder;
  return obj;
}

SessionObject::SessionObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionObject>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw MakeError(info.Env(), code::kInvalidArg, "Session is created with createSession(), not new");
  session_ = *info[0].As<Napi::External<SessionPtr>>().Data();
}

SessionPtr SessionObject::Live(const Napi::CallbackInfo& info) {
  if (!session_) throw MakeError(info.Env(), code::kSessionClosed, "session is closed");
  return session_;
}

Napi::Value SessionObject::Info(const Napi::CallbackInfo& info) {
  SessionPtr s = Live(info);
  Napi::Env env = info.Env();
  Napi::Object o = ModelInfoToJs(env, s->info());
  o.Set("provider", s->provider());
  Napi::Array attempts = Napi::Array::New(env, s->attempts().size());
  for (size_t i = 0; i < s->attempts().size(); ++i) {
    const ProviderAttempt& a = s->attempts()[i];
    Napi::Object ao = Napi::Object::New(env);
    ao.Set("provider", a.name);
    ao.Set("ok", a.ok);
    ao.Set("reason", a.reason);
    attempts.Set(i, ao);
  }
  o.Set("providerAttempts", attempts);
  o.Set("ioBinding", s->ioBinding());
  o.Set("pinnedInput", s->pinnedInput());
  return o;
}

Napi::Value SessionObject::Detect(const Napi::CallbackInfo& info) { return StartDetect(info, Live(info)); }
Napi::Value SessionObject::Segment(const Napi::CallbackInfo& info) { return StartSegment(info, Live(info)); }
Napi::Value SessionObject::Classify(const Napi::CallbackInfo& info) { return StartClassify(info, Live(info)); }
Napi::Value SessionObject::ExplainClassify(const Napi::CallbackInfo& info) { return StartExplainClassify(info, Live(info)); }
Napi::Value SessionObject::ExplainDetect(const Napi::CallbackInfo& info) { return StartExplainDetect(info, Live(info)); }
Napi::Value SessionObject::Run(const Napi::CallbackInfo& info) { return StartRun(info, Live(info)); }
Napi::Value SessionObject::Benchmark(const Napi::CallbackInfo& info) { return StartBenchmark(info, Live(info)); }

SessionPtr SessionObject::Get(const Napi::Value& value, const char* what) {
  Napi::Env env = value.Env();
  auto* data = env.GetInstanceData<ConstructorData>();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(data->session.Value()))
    throw MakeError(env, code::kInvalidArg, std::string(what) + " must be a Session");
  SessionObject* obj = Unwrap(value.As<Napi::Object>());
  if (!obj->session_) throw MakeError(env, code::kSessionClosed, std::string(what) + " session is closed");
  return obj->session_;
}

SessionPtr SessionFromJs(const Napi::Value& value, const char* what) { return SessionObject::Get(value, what); }

Napi::Value SessionObject::Close(const Napi::CallbackInfo& info) {
  session_.reset();
  return info.Env().Undefined();
}

Napi::Value CreateSession(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw MakeError(env, code::kInvalidArg, "createSession(model, options): model missing");
  const SessionConfig config = ParseSessionConfig(OptionsArg(info, 1));
  ModelSource source = ModelSourceFromJs(info[0]);
  const Napi::Object owner = source.inMemory ? info[0].As<Napi::Object>() : Napi::Object();
  return (new LoadJob(env, std::move(source), owner, config))->Start();
}

}  // namespace di::binding
