// session.classify(images, options): one ClassifyJob per call.
#include "binding/jobs.h"
#include "binding/promise_worker.h"
#include "infer/classifier.h"

namespace di::binding {

namespace {

class ClassifyJob : public PromiseWorker {
 public:
  ClassifyJob(Napi::Env env, SessionPtr session, PinnedImages images, ClassifyConfig config)
      : PromiseWorker(env), session_(std::move(session)), images_(std::move(images)), config_(config) {}

 protected:
  void Run() override { results_ = ClassifyBatch(*session_, images_.sources, config_); }

  Napi::Value Result(Napi::Env env) override {
    return ItemsToJs(env, results_, [env](Napi::Object& o, const ImageClassification& r) {
      Napi::Float32Array p = Napi::Float32Array::New(env, r.probabilities.size());
      std::copy(r.probabilities.begin(), r.probabilities.end(), p.Data());
      o.Set("probabilities", p);
    });
  }

 private:
  SessionPtr session_;
  PinnedImages images_;
  ClassifyConfig config_;
  std::vector<ImageClassification> results_;
};

}  // namespace

ClassifyConfig ParseClassifyConfig(const Napi::Object& o) {
  ClassifyConfig c;
  PreprocessSpec d;
  d.mode = ResizeMode::kStretch;
  c.preprocess = ParsePreprocess(o, d);
  c.imgszHeight = GetInt(o, "height", 224);
  c.imgszWidth = GetInt(o, "width", c.imgszHeight);
  c.maxBatch = GetInt(o, "maxBatch", 16);
  c.outputIndex = GetInt(o, "outputIndex", 0);
  const std::string scores = GetString(o, "scores", "auto");
  if (scores == "auto") c.scores = ScoreKind::kAuto;
  else if (scores == "logits") c.scores = ScoreKind::kLogits;
  else if (scores == "probabilities") c.scores = ScoreKind::kProbabilities;
  else throw MakeError(o.Env(), code::kInvalidArg, "option 'scores' must be auto, logits or probabilities");
  if (c.imgszHeight < 1 || c.imgszWidth < 1 || c.maxBatch < 1)
    throw MakeError(o.Env(), code::kInvalidArg, "height, width and maxBatch must be >= 1");
  return c;
}

Napi::Value StartClassify(const Napi::CallbackInfo& info, SessionPtr session) {
  PinnedImages images = ToImageSources(info[0], OptionsArg(info, 1));
  const ClassifyConfig config = ParseClassifyConfig(OptionsArg(info, 1));
  return (new ClassifyJob(info.Env(), std::move(session), std::move(images), config))->Start();
}

}  // namespace di::binding
