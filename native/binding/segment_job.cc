// session.segment(images, options): the best YOLO-seg detection per image, its
// mask reduced to a package quad (the proposal of the `seg` ROI strategy).
#include "binding/jobs.h"
#include "binding/promise_worker.h"
#include "infer/segmenter.h"

namespace di::binding {

namespace {

class SegmentJob : public PromiseWorker {
 public:
  SegmentJob(Napi::Env env, SessionPtr session, PinnedImages images, SegmentConfig config)
      : PromiseWorker(env), session_(std::move(session)), images_(std::move(images)), config_(config) {}

 protected:
  void Run() override { results_ = SegmentBatch(*session_, images_.sources, config_); }

  Napi::Value Result(Napi::Env env) override {
    return ItemsToJs(env, results_, [env](Napi::Object& o, const SegmentResult& r) {
      if (!r.detection) return;
      const Box& b = r.detection->box;
      o.Set("box", BoxToJs(env, cv::Vec4d(b.x1, b.y1, b.x2, b.y2)));
      o.Set("score", r.detection->score);
      o.Set("classId", r.detection->classId);
      o.Set("maskArea", r.quad ? r.quad->area : 0.0);
      if (r.quad) o.Set("quad", QuadToJs(env, r.quad->corners));
    });
  }

 private:
  SessionPtr session_;
  PinnedImages images_;
  SegmentConfig config_;
  std::vector<SegmentResult> results_;
};

}  // namespace

Napi::Value StartSegment(const Napi::CallbackInfo& info, SessionPtr session) {
  const Napi::Object o = OptionsArg(info, 1);
  PinnedImages images = ToImageSources(info[0], o);
  SegmentConfig config;
  config.detect = ParseDetectConfig(o);
  config.classId = GetInt(o, "classId", -1);
  config.maskThreshold = static_cast<float>(GetNumber(o, "maskThreshold", 0.5));
  if (!(config.maskThreshold > 0.f && config.maskThreshold < 1.f))
    throw MakeError(info.Env(), code::kInvalidArg, "option 'maskThreshold' must lie in (0, 1)");
  return (new SegmentJob(info.Env(), std::move(session), std::move(images), config))->Start();
}

}  // namespace di::binding
