// synthRender(options) -> Promise<Part[]>: renders parts [start, start+count)
// of a seeded synthetic dataset in parallel and returns encoded images plus
// ground truth. Files are written by lib/tools/synth.ts.
#include <opencv2/core/utility.hpp>

#include "binding/exports.h"
#include "binding/promise_worker.h"
#include "core/jpeg_encode.h"
#include "core/png_encode.h"
#include "synth/render.h"
#include "synth/scene.h"

namespace di::binding {

namespace {

struct SynthBaton {
  synth::SceneOptions scene;
  synth::RenderOptions render;
  uint64_t seed = 0;
  int64_t start = 0;
  int count = 0;
};

struct PartOut {
  synth::Scene scene;
  std::vector<synth::Label> labels;
  std::vector<std::vector<uint8_t>> images;
  std::vector<cv::Scalar> means;
  std::vector<uint8_t> crop, mask;
};

class SynthJob : public PromiseWorker {
 public:
  SynthJob(Napi::Env env, SynthBaton baton) : PromiseWorker(env), b_(std::move(baton)) {}

 protected:
  void Run() override {
    parts_.resize(b_.count);
    cv::parallel_for_(cv::Range(0, b_.count), [&](const cv::Range& r) {
      for (int i = r.start; i < r.end; ++i) {
        PartOut& p = parts_[i];
        p.scene = synth::SampleScene(b_.scene, b_.seed, static_cast<uint64_t>(b_.start + i));
        p.labels = synth::GroundTruth(p.scene);
        synth::Rendered px = synth::RenderScene(p.scene, b_.render);
        for (const cv::Mat& m : px.images) {
          p.means.push_back(cv::mean(m));
          p.images.push_back(EncodeJpeg(m, p.scene.jpegQuality));
        }
        if (!px.crop.empty()) p.crop = EncodeJpeg(px.crop, 95);
        if (!px.mask.empty()) p.mask = EncodePng(px.mask, 1);
      }
    });
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array arr = Napi::Array::New(env, parts_.size());
    for (size_t i = 0; i < parts_.size(); ++i) {
      PartOut& p = parts_[i];
      const synth::Scene& sc = p.scene;
      const cv::Matx33d toImage = sc.CanvasToImage();
      Napi::Object o = Napi::Object::New(env);
      o.Set("index", static_cast<double>(b_.start + static_cast<int64_t>(i)));
      o.Set("packageQuad", QuadToJs(env, sc.PackageQuad()));
      o.Set("packageAngle", sc.angle);
      const Quad dq = sc.DieQuadCanvas();
      std::vector<cv::Point2d> dieImage;
      for (const auto& pt : dq) dieImage.push_back(Apply(toImage, pt));
      o.Set("dieQuad", PointsToJs(env, dieImage));
      o.Set("dieQuadCrop", QuadToJs(env, dq));
      o.Set("dieAngle", sc.dieAngle);
      o.Set("cropWidth", sc.pw);
      o.Set("cropHeight", sc.ph);
      o.Set("cropToImage", MatrixToJs(env, toImage));
      Napi::Array labels = Napi::Array::New(env, p.labels.size());
      for (size_t k = 0; k < p.labels.size(); ++k) {
        Napi::Object l = Napi::Object::New(env);
        l.Set("label", p.labels[k].label);
        l.Set("box", BoxToJs(env, p.labels[k].box));
        l.Set("cropBox", BoxToJs(env, p.labels[k].cropBox));
        l.Set("quad", PointsToJs(env, p.labels[k].quad));
        labels.Set(static_cast<uint32_t>(k), l);
      }
      o.Set("labels", labels);
      Napi::Array images = Napi::Array::New(env, p.images.size());
      for (size_t k = 0; k < p.images.size(); ++k) {
        Napi::Object im = Napi::Object::New(env);
        im.Set("mode", synth::ModeName(b_.render.modes[k]));
        im.Set("data", MoveToBuffer(env, std::move(p.images[k])));
        Napi::Array means = Napi::Array::New(env, 3);
        for (uint32_t c = 0; c < 3; ++c) means.Set(c, p.means[k][c]);
        im.Set("meansBgr", means);
        images.Set(static_cast<uint32_t>(k), im);
      }
      o.Set("images", images);
      if (!p.crop.empty()) o.Set("crop", MoveToBuffer(env, std::move(p.crop)));
      if (!p.mask.empty()) o.Set("mask", MoveToBuffer(env, std::move(p.mask)));
      arr.Set(static_cast<uint32_t>(i), o);
    }
    return arr;
  }

 private:
  SynthBaton b_;
  std::vector<PartOut> parts_;
};

Napi::Value SynthRenderBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = OptionsArg(info, 0);
  SynthBaton b;
  b.render.width = b.scene.width = GetInt(o, "width", 1280);
  b.render.height = b.scene.height = GetInt(o, "height", 960);
  if (b.scene.width < 128 || b.scene.height < 96 || b.scene.width > 8192 || b.scene.height > 8192)
    throw MakeError(env, code::kInvalidArg, "synth: width must lie in [128, 8192] and height in [96, 8192]");
  const double seed = GetNumber(o, "seed", 0);
  const double start = GetNumber(o, "start", 0);
  const double count = GetNumber(o, "count", 1);
  if (!(seed >= 0 && seed <= 9007199254740991.0) || seed != std::floor(seed))
    throw MakeError(env, code::kInvalidArg, "synth: seed must be a non-negative integer");
  if (!(start >= 0 && start == std::floor(start)) || !(count >= 0 && count <= 4096 && count == std::floor(count)))
    throw MakeError(env, code::kInvalidArg, "synth: start must be a non-negative integer and count an integer in [0, 4096]");
  b.seed = static_cast<uint64_t>(seed);
  b.start = static_cast<int64_t>(start);
  b.count = static_cast<int>(count);
  b.scene.goodFraction = GetNumber(o, "goodFraction", b.scene.goodFraction);
  b.scene.crackFraction = GetNumber(o, "crackFraction", b.scene.crackFraction);
  b.scene.distractorRate = GetNumber(o, "distractorRate", b.scene.distractorRate);
  if (!(b.scene.goodFraction >= 0 && b.scene.crackFraction >= 0 && b.scene.goodFraction + b.scene.crackFraction <= 1 &&
        b.scene.distractorRate >= 0 && b.scene.distractorRate <= 1))
    throw MakeError(env, code::kInvalidArg, "synth: goodFraction + crackFraction must lie in [0, 1], distractorRate in [0, 1]");
  b.render.crop = GetBool(o, "crops", false);
  b.render.mask = GetBool(o, "masks", false);
  b.render.package = !GetBool(o, "boardsOnly", false);
  if (!b.render.package && (b.render.crop || b.render.mask))
    throw MakeError(env, code::kInvalidArg, "synth: boardsOnly renders no package, so it has no crops or masks");
  if (o.Has("modes") && !o.Get("modes").IsUndefined()) {
    if (!o.Get("modes").IsArray()) throw MakeError(env, code::kInvalidArg, "synth: modes must be an array of mode names");
    Napi::Array modes = o.Get("modes").As<Napi::Array>();
    b.render.modes.clear();
    for (uint32_t i = 0; i < modes.Length(); ++i) {
      synth::Mode m;
      const Napi::Value v = modes.Get(i);
      if (!v.IsString() || !synth::ParseMode(v.As<Napi::String>().Utf8Value(), &m))
        throw MakeError(env, code::kInvalidArg, "synth: modes are brightfield, darkfield-white and darkfield-blue");
      b.render.modes.push_back(m);
    }
    if (b.render.modes.empty()) throw MakeError(env, code::kInvalidArg, "synth: at least one mode is needed");
  }
  return (new SynthJob(env, std::move(b)))->Start();
}

}  // namespace

void InitSynth(Napi::Env env, Napi::Object exports) {
  exports.Set("synthRender", Napi::Function::New<SynthRenderBinding>(env, "synthRender"));
}

}  // namespace di::binding
