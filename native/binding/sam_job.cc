// samSegment(encoder, decoder, images, boxes, options): box-prompted SAM masks
// reduced to package quads (the proposals of the `sam` ROI strategy). Both
// model runs and all pre/post-processing happen off the JavaScript thread.
#include <cmath>

#include "binding/exports.h"
#include "binding/promise_worker.h"
#include "binding/session_object.h"
#include "infer/sam.h"

namespace di::binding {

namespace {

class SamJob : public PromiseWorker {
 public:
  SamJob(Napi::Env env, SessionPtr encoder, SessionPtr decoder, PinnedImages images,
         std::vector<std::optional<Box>> boxes, SamConfig config)
      : PromiseWorker(env),
        encoder_(std::move(encoder)),
        decoder_(std::move(decoder)),
        images_(std::move(images)),
        boxes_(std::move(boxes)),
        config_(config) {}

 protected:
  void Run() override { results_ = SamSegment(*encoder_, *decoder_, images_.sources, boxes_, config_); }

  Napi::Value Result(Napi::Env env) override {
    return ItemsToJs(env, results_, [env](Napi::Object& o, const SamResult& r) {
      if (!r.prompted) return;
      o.Set("maskIndex", r.maskIndex);
      o.Set("iouPrediction", r.iouPrediction);
      o.Set("maskArea", r.quad ? r.quad->area : 0.0);
      if (r.quad) o.Set("quad", QuadToJs(env, r.quad->corners));
    });
  }

 private:
  SessionPtr encoder_, decoder_;
  PinnedImages images_;
  std::vector<std::optional<Box>> boxes_;
  SamConfig config_;
  std::vector<SamResult> results_;
};

std::vector<std::optional<Box>> ParseBoxes(Napi::Env env, const Napi::Value& v, size_t count) {
  if (!v.IsArray() || v.As<Napi::Array>().Length() != count)
    throw MakeError(env, code::kInvalidArg, "samSegment: boxes must hold one [x1, y1, x2, y2] (or null) per image");
  const Napi::Array arr = v.As<Napi::Array>();
  std::vector<std::optional<Box>> out(count);
  for (uint32_t i = 0; i < count; ++i) {
    const Napi::Value b = arr.Get(i);
    if (b.IsNull() || b.IsUndefined()) continue;
    float c[4];
    if (!b.IsArray() || b.As<Napi::Array>().Length() != 4)
      throw MakeError(env, code::kInvalidArg, "samSegment: a box is [x1, y1, x2, y2]");
    for (uint32_t k = 0; k < 4; ++k) {
      const Napi::Value x = b.As<Napi::Array>().Get(k);
      if (!x.IsNumber() || !std::isfinite(x.As<Napi::Number>().DoubleValue()))
        throw MakeError(env, code::kInvalidArg, "samSegment: box coordinates must be finite numbers");
      c[k] = x.As<Napi::Number>().FloatValue();
    }
    if (!(c[2] > c[0] && c[3] > c[1])) throw MakeError(env, code::kInvalidArg, "samSegment: a box needs x2 > x1, y2 > y1");
    out[i] = Box{c[0], c[1], c[2], c[3]};
  }
  return out;
}

Napi::Value SamSegmentBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionPtr encoder = SessionFromJs(info[0], "encoder");
  SessionPtr decoder = SessionFromJs(info[1], "decoder");
  const Napi::Object o = OptionsArg(info, 4);
  PinnedImages images = ToImageSources(info[2], o);
  std::vector<std::optional<Box>> boxes = ParseBoxes(env, info[3], images.sources.size());
  SamConfig config;
  config.padPoint = GetBool(o, "padPoint", false);
  config.maskThreshold = static_cast<float>(GetNumber(o, "maskThreshold", 0));
  return (new SamJob(env, std::move(encoder), std::move(decoder), std::move(images), std::move(boxes), config))
      ->Start();
}

}  // namespace

void InitSam(Napi::Env env, Napi::Object exports) {
  exports.Set("samSegment", Napi::Function::New<SamSegmentBinding>(env, "samSegment"));
}

}  // namespace di::binding
