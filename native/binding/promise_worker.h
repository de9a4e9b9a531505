// Base of every async job: Run() on a libuv worker thread, Result() back on the
// JS thread; native exceptions become promise rejections with a `code`.
#pragma once

#include <napi.h>

#include <opencv2/core.hpp>
#include <onnxruntime_cxx_api.h>

#include "binding/convert.h"
#include "util/error.h"

namespace di::binding {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "die-inspect"), deferred_(Napi::Promise::Deferred::New(env)) {}

  // Queues the job and returns its promise.
  Napi::Promise Start() {
    Napi::Promise p = deferred_.Promise();
    Queue();
    return p;
  }

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void Execute() final {
    try {
      Run();
    } catch (const Error& e) {
      Fail(e.code(), e.what());
    } catch (const Ort::Exception& e) {
      Fail(code::kInference, e.what());
    } catch (const cv::Exception& e) {
      Fail(code::kInternal, e.what());
    } catch (const std::bad_alloc&) {
      Fail(code::kInternal, "out of memory");
    } catch (const std::exception& e) {
      Fail(code::kInternal, e.what());
    }
  }
  void Fail(const std::string& c, const std::string& message) {
    code_ = c;
    SetError(message);
  }
  // Anything Result() throws must become a rejection: an exception escaping a
  // libuv callback would terminate the process.
  void OnOK() final {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(Result(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const Error& e) {
      deferred_.Reject(MakeError(Env(), e.code(), e.what()).Value());
    } catch (const Ort::Exception& e) {
      deferred_.Reject(MakeError(Env(), code::kInference, e.what()).Value());
    } catch (const std::exception& e) {
      deferred_.Reject(MakeError(Env(), code::kInternal, e.what()).Value());
    }
  }
  void OnError(const Napi::Error& e) final {
    Napi::HandleScope scope(Env());
    deferred_.Reject(MakeError(Env(), code_, e.Message()).Value());
  }

  Napi::Promise::Deferred deferred_;
  std::string code_ = code::kInternal;
};

}  // namespace di::binding
