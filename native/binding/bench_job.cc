// session.benchmark(options): the study's protocol run natively (random input,
// warm-up, timed iterations, no post-processing), so timings carry no JS cost.
#include <chrono>
#include <random>

#include "binding/jobs.h"
#include "binding/promise_worker.h"
#include "infer/batch_runner.h"

namespace di::binding {

namespace {

class BenchJob : public PromiseWorker {
 public:
  BenchJob(Napi::Env env, SessionPtr session, int batch, int warmup, int iters, int height, int width)
      : PromiseWorker(env), session_(std::move(session)), batch_(batch), warmup_(warmup), iters_(iters),
        height_(height), width_(width) {}

 protected:
  void Run() override {
    const ImageInputSpec in = ResolveImageInput(session_->info(), height_, width_, 32);
    if (in.fixedBatch > 0 && in.fixedBatch != batch_)
      throw Error(code::kModelInput, "model has a fixed batch of " + std::to_string(in.fixedBatch));
    const std::vector<int64_t> shape{batch_, 3, in.height, in.width};
    std::vector<float> data(static_cast<size_t>(batch_) * 3 * in.height * in.width);
    std::mt19937 rng(0);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    for (float& v : data) v = u(rng);
    const Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<Ort::Value> feeds;
    feeds.push_back(Ort::Value::CreateTensor<float>(mem, data.data(), data.size(), shape.data(), shape.size()));
    for (int i = 0; i < warmup_; ++i) session_->Run({in.name}, feeds);
    times_.reserve(iters_);
    for (int i = 0; i < iters_; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      session_->Run({in.name}, feeds);
      times_.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    height_ = in.height;
    width_ = in.width;
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Float64Array ms = Napi::Float64Array::New(env, times_.size());
    std::copy(times_.begin(), times_.end(), ms.Data());
    o.Set("ms", ms);
    o.Set("batch", batch_);
    o.Set("height", height_);
    o.Set("width", width_);
    return o;
  }

 private:
  SessionPtr session_;
  int batch_, warmup_, iters_, height_, width_;
  std::vector<double> times_;
};

}  // namespace

Napi::Value StartBenchmark(const Napi::CallbackInfo& info, SessionPtr session) {
  const Napi::Object o = OptionsArg(info, 0);
  const int batch = GetInt(o, "batch", 1);
  const int warmup = GetInt(o, "warmup", 10);
  const int iters = GetInt(o, "iters", 50);
  const int height = GetInt(o, "height", 640);
  const int width = GetInt(o, "width", height);
  if (batch < 1 || warmup < 0 || iters < 1 || height < 1 || width < 1)
    throw MakeError(info.Env(), code::kInvalidArg, "benchmark: batch, iters, height, width >= 1 and warmup >= 0");
  if (height > kMaxInputSide || width > kMaxInputSide || InputTensorBytes(batch, height, width) > kMaxInputTensorBytes)
    throw MakeError(info.Env(), code::kInvalidArg, "benchmark: sides up to 16384 px and an input tensor up to 4 GiB");
  return (new BenchJob(info.Env(), std::move(session), batch, warmup, iters, height, width))->Start();
}

}  // namespace di::binding
