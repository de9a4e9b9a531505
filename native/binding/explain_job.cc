// session.explainClassify(images, options) / session.explainDetect(images, options):
// saliency maps, one ExplainJob per call.
#include "binding/jobs.h"
#include "binding/promise_worker.h"
#include "infer/explain.h"

namespace di::binding {

namespace {

ExplainConfig ParseExplainConfig(const Napi::Object& o, const char* defaultMethod) {
  ExplainConfig c;
  const std::string method = GetString(o, "method", defaultMethod);
  if (method == "cam") c.method = SaliencyMethod::kCam;
  else if (method == "rise") c.method = SaliencyMethod::kRise;
  else if (method == "occlusion") c.method = SaliencyMethod::kOcclusion;
  else throw MakeError(o.Env(), code::kInvalidArg, "option 'method' must be cam, rise or occlusion");
  c.target = GetInt(o, "target", -1);
  c.featureOutput = GetInt(o, "featureOutput", -1);
  c.classes = GetInt(o, "camClasses", 0);
  if (o.Has("camWeights")) {
    const Napi::Value v = o.Get("camWeights");
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw MakeError(o.Env(), code::kInvalidArg, "option 'camWeights' must be a Float32Array");
    const Napi::Float32Array w = v.As<Napi::Float32Array>();
    c.weights.assign(w.Data(), w.Data() + w.ElementLength());
  }
  c.shifts = GetInt(o, "shifts", c.shifts);
  c.masks = GetInt(o, "masks", c.masks);
  c.cells = GetInt(o, "cells", c.cells);
  c.keep = static_cast<float>(GetNumber(o, "keep", c.keep));
  c.seed = static_cast<uint32_t>(GetInt(o, "seed", 0));
  c.grid = GetInt(o, "grid", c.grid);
  c.mapSide = GetInt(o, "mapSide", c.mapSide);
  c.maxMaps = GetInt(o, "maxMaps", c.maxMaps);
  return c;
}

Napi::Object MapToJs(Napi::Env env, const SaliencyMap& m, bool withBox) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("classId", m.classId);
  o.Set("score", m.score);
  if (withBox) o.Set("box", BoxToJs(env, cv::Vec4d(m.box.x1, m.box.y1, m.box.x2, m.box.y2)));
  o.Set("width", m.map.cols);
  o.Set("height", m.map.rows);
  Napi::Float32Array data = Napi::Float32Array::New(env, m.map.total());
  std::copy_n(m.map.ptr<float>(), m.map.total(), data.Data());
  o.Set("data", data);
  Napi::Object peak = Napi::Object::New(env);
  peak.Set("x", m.peak.x);
  peak.Set("y", m.peak.y);
  o.Set("peak", peak);
  o.Set("peakValue", m.peakValue);
  return o;
}

class ExplainJob : public PromiseWorker {
 public:
  using Work = std::function<std::vector<ImageExplanation>(const std::vector<ImageSource>&)>;
  ExplainJob(Napi::Env env, SessionPtr session, PinnedImages images, Work work, bool detector)
      : PromiseWorker(env), session_(std::move(session)), images_(std::move(images)), work_(std::move(work)),
        detector_(detector) {}

 protected:
  void Run() override { results_ = work_(images_.sources); }

  Napi::Value Result(Napi::Env env) override {
    return ItemsToJs(env, results_, [env, this](Napi::Object& o, const ImageExplanation& r) {
      if (!detector_) {
        Napi::Float32Array p = Napi::Float32Array::New(env, r.probabilities.size());
        std::copy(r.probabilities.begin(), r.probabilities.end(), p.Data());
        o.Set("probabilities", p);
      }
      Napi::Array maps = Napi::Array::New(env, r.maps.size());
      for (size_t i = 0; i < r.maps.size(); ++i) maps.Set(uint32_t(i), MapToJs(env, r.maps[i], detector_));
      o.Set("maps", maps);
    });
  }

 private:
  SessionPtr session_;
  PinnedImages images_;
  Work work_;
  bool detector_;
  std::vector<ImageExplanation> results_;
};

}  // namespace

namespace {

// Parses the task's own options and the explain options, then starts the job.
template <class Config, class Parse, class Explain>
Napi::Value StartExplain(const Napi::CallbackInfo& info, SessionPtr session, Parse parse, Explain explain,
                         const char* defaultMethod, bool detector) {
  const Napi::Object o = OptionsArg(info, 1);
  PinnedImages images = ToImageSources(info[0], o);
  const Config config = parse(o);
  const ExplainConfig ec = ParseExplainConfig(o, defaultMethod);
  InferenceSession* s = session.get();  // kept alive by the job's session_
  auto work = [s, config, ec, explain](const std::vector<ImageSource>& sources) { return explain(*s, sources, config, ec); };
  return (new ExplainJob(info.Env(), std::move(session), std::move(images), work, detector))->Start();
}

}  // namespace

Napi::Value StartExplainClassify(const Napi::CallbackInfo& info, SessionPtr session) {
  return StartExplain<ClassifyConfig>(info, std::move(session), ParseClassifyConfig, ExplainClassification, "cam", false);
}

Napi::Value StartExplainDetect(const Napi::CallbackInfo& info, SessionPtr session) {
  return StartExplain<DetectConfig>(info, std::move(session), ParseDetectConfig, ExplainDetections, "occlusion", true);
}

}  // namespace di::binding
