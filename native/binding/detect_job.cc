// session.detect(images, options): one DetectJob per call.
#include "binding/jobs.h"
#include "binding/promise_worker.h"
#include "infer/detector.h"

namespace di::binding {

namespace {

YoloLayout ParseLayout(const Napi::Object& o) {
  const std::string s = GetString(o, "layout", "auto");
  if (s == "auto") return YoloLayout::kAuto;
  if (s == "yolov5" || s == "yolov7") return YoloLayout::kAnchorBased;
  if (s == "yolov8" || s == "yolo11") return YoloLayout::kAnchorFree;
  throw MakeError(o.Env(), code::kInvalidArg, "option 'layout' must be auto, yolov5, yolov7, yolov8 or yolo11");
}

class DetectJob : public PromiseWorker {
 public:
  DetectJob(Napi::Env env, SessionPtr session, PinnedImages images, DetectConfig config)
      : PromiseWorker(env), session_(std::move(session)), images_(std::move(images)), config_(config) {}

 protected:
  void Run() override { results_ = DetectBatch(*session_, images_.sources, config_, &stats_); }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array arr = ItemsToJs(env, results_, [env](Napi::Object& o, const ImageDetections& r) {
      const size_t n = r.detections.size();
      Napi::Float32Array boxes = Napi::Float32Array::New(env, n * 4);
      Napi::Float32Array scores = Napi::Float32Array::New(env, n);
      Napi::Int32Array classes = Napi::Int32Array::New(env, n);
      for (size_t k = 0; k < n; ++k) {
        const Candidate& c = r.detections[k];
        boxes[4 * k] = c.box.x1;
        boxes[4 * k + 1] = c.box.y1;
        boxes[4 * k + 2] = c.box.x2;
        boxes[4 * k + 3] = c.box.y2;
        scores[k] = c.score;
        classes[k] = c.classId;
      }
      o.Set("boxes", boxes);
      o.Set("scores", scores);
      o.Set("classIds", classes);
    });
    Napi::Object out = Napi::Object::New(env);
    out.Set("images", arr);
    out.Set("layout", LayoutName(stats_.shape.layout));
    out.Set("numClasses", Napi::Number::New(env, static_cast<double>(stats_.shape.numClasses)));
    out.Set("inputHeight", stats_.input.height);
    out.Set("inputWidth", stats_.input.width);
    return out;
  }

 private:
  SessionPtr session_;
  PinnedImages images_;
  DetectConfig config_;
  DetectStats stats_;
  std::vector<ImageDetections> results_;
};

}  // namespace

DetectConfig ParseDetectConfig(const Napi::Object& o) {
  DetectConfig c;
  c.preprocess = ParsePreprocess(o, PreprocessSpec{});
  c.imgszHeight = GetInt(o, "height", 640);
  c.imgszWidth = GetInt(o, "width", c.imgszHeight);
  c.stride = GetInt(o, "stride", 32);
  c.maxBatch = GetInt(o, "maxBatch", 16);
  c.outputIndex = GetInt(o, "outputIndex", 0);
  c.layout = ParseLayout(o);
  c.numClasses = GetInt(o, "numClasses", 0);
  c.decode.confThreshold = static_cast<float>(GetNumber(o, "conf", 0.25));
  c.decode.multiLabel = GetBool(o, "multiLabel", false);
  c.nms.iouThreshold = static_cast<float>(GetNumber(o, "iou", 0.45));
  c.nms.agnostic = GetBool(o, "agnostic", false);
  c.nms.maxDetections = GetInt(o, "maxDet", 300);
  c.nms.topK = GetInt(o, "topK", 30000);
  if (c.imgszHeight < 1 || c.imgszWidth < 1 || c.stride < 1 || c.maxBatch < 1 || c.numClasses < 0)
    throw MakeError(o.Env(), code::kInvalidArg, "height, width, stride and maxBatch must be >= 1");
  if (c.nms.iouThreshold < 0.f || c.nms.iouThreshold > 1.f)
    throw MakeError(o.Env(), code::kInvalidArg, "option 'iou' must lie in [0, 1]");
  return c;
}

Napi::Value StartDetect(const Napi::CallbackInfo& info, SessionPtr session) {
  PinnedImages images = ToImageSources(info[0], OptionsArg(info, 1));
  const DetectConfig config = ParseDetectConfig(OptionsArg(info, 1));
  return (new DetectJob(info.Env(), std::move(session), std::move(images), config))->Start();
}

}  // namespace di::binding
