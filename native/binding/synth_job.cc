// synthRender(options) -> Promise<Part[]>: renders parts [start, start+count)
// of a seeded synthetic dataset in parallel and returns encoded images plus
// ground truth. Files are written by lib/tools/synth.ts. Per-part overrides put
// pixels made elsewhere (generated defects, boards) into the scene.
// synthPlan(options) -> PlanPart[]: what those parts are before anything is
// drawn (defects, die placement, canvas size); synchronous, as it only samples.
#include <algorithm>
#include <cmath>

#include <opencv2/core/utility.hpp>

#include "binding/exports.h"
#include "binding/promise_worker.h"
#include "core/jpeg_encode.h"
#include "core/png_encode.h"
#include "synth/render.h"
#include "synth/scene.h"

namespace di::binding {

namespace {

constexpr int kMaxPatchSide = 4096;
constexpr int kMaxBoardSide = 8192;
constexpr uint32_t kMaxPastes = 64;

// What an override changes in one part's sampled scene.
struct PartOverride {
  bool defectFree = false;
  std::vector<synth::Paste> pastes;
  cv::Mat board;
};

struct SynthBaton {
  synth::SceneOptions scene;
  synth::RenderOptions render;
  uint64_t seed = 0;
  int64_t start = 0;
  int count = 0;
  std::vector<PartOverride> overrides;  // empty, or one per part
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
    // Sampling is cheap: every scene first, so that an override that does not fit its
    // part fails the job before anything is drawn.
    for (int i = 0; i < b_.count; ++i) {
      PartOut& p = parts_[i];
      const uint64_t index = static_cast<uint64_t>(b_.start + i);
      p.scene = synth::SampleScene(b_.scene, b_.seed, index);
      if (!b_.overrides.empty()) ApplyOverride(std::move(b_.overrides[i]), p.scene, index);
      p.labels = synth::GroundTruth(p.scene);
    }
    cv::parallel_for_(cv::Range(0, b_.count), [&](const cv::Range& r) {
      for (int i = r.start; i < r.end; ++i) {
        PartOut& p = parts_[i];
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
        if (!p.labels[k].source.empty()) l.Set("source", p.labels[k].source);
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
  void ApplyOverride(PartOverride o, synth::Scene& sc, uint64_t index) const {
    if (o.defectFree) synth::MakeDefectFree(sc, b_.scene, b_.seed, index);
    for (synth::Paste& p : o.pastes) {
      if (!(p.box[0] >= 0 && p.box[1] >= 0 && p.box[2] <= sc.pw && p.box[3] <= sc.ph))
        throw Error(code::kInvalidArg, "synth: a paste box of part " + std::to_string(index) + " lies outside its canvas (" +
                                           std::to_string(sc.pw) + " x " + std::to_string(sc.ph) + ")");
      sc.pastes.push_back(std::move(p));
    }
    if (!o.board.empty()) sc.board = std::move(o.board);
  }

  SynthBaton b_;
  std::vector<PartOut> parts_;
};

// {data: Float32Array of 3 x height x width values (planes R, G, B, 0..1), width, height}
// -> 8-bit BGR, copied; the sizes are checked before the data is read.
cv::Mat ToBgrPixels(Napi::Env env, const Napi::Value& v, const std::string& what, int maxSide) {
  int w = 0, h = 0;
  const Napi::Float32Array data = FloatPlanesArg(env, v, what, 3, maxSide, &w, &h);
  const size_t plane = size_t(w) * h;
  const float* bgr[3] = {data.Data() + 2 * plane, data.Data() + plane, data.Data()};
  cv::Mat out(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    uchar* row = out.ptr<uchar>(y);
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) {
        const float f = bgr[c][size_t(y) * w + x];
        if (!std::isfinite(f)) throw MakeError(env, code::kInvalidArg, what + " holds NaN or infinite values");
        row[3 * x + c] = cv::saturate_cast<uchar>(f * 255.f);
      }
    }
  }
  return out;
}

synth::Paste ToPaste(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (!v.IsObject()) throw MakeError(env, code::kInvalidArg, what + " is {label, box, context, patch}");
  const Napi::Object o = v.As<Napi::Object>();
  synth::Paste p;
  p.label = GetString(o, "label", "");
  if (p.label != "die_crack" && p.label != "die_rotation")
    throw MakeError(env, code::kInvalidArg, what + ".label is die_crack or die_rotation");
  const Napi::Value bv = o.Get("box");
  if (!bv.IsArray() || bv.As<Napi::Array>().Length() != 4) throw MakeError(env, code::kInvalidArg, what + ".box is [x1, y1, x2, y2]");
  for (uint32_t k = 0; k < 4; ++k) {
    const Napi::Value e = bv.As<Napi::Array>().Get(k);
    if (!e.IsNumber() || !std::isfinite(e.As<Napi::Number>().DoubleValue()))
      throw MakeError(env, code::kInvalidArg, what + ".box holds four finite numbers");
    p.box[k] = e.As<Napi::Number>().DoubleValue();
  }
  if (!(p.box[0] < p.box[2] && p.box[1] < p.box[3])) throw MakeError(env, code::kInvalidArg, what + ".box needs x1 < x2 and y1 < y2");
  p.context = GetNumber(o, "context", 0);
  if (!(p.context >= 0 && p.context <= 4)) throw MakeError(env, code::kInvalidArg, what + ".context must lie in [0, 4]");
  p.patch = ToBgrPixels(env, o.Get("patch"), what + ".patch", kMaxPatchSide);
  return p;
}

// overrides: one entry per part of the chunk, null or undefined where the part stays as sampled.
std::vector<PartOverride> ToOverrides(Napi::Env env, const Napi::Object& o, int count) {
  std::vector<PartOverride> out;
  const Napi::Value v = o.Get("overrides");
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsArray() || v.As<Napi::Array>().Length() != static_cast<uint32_t>(count))
    throw MakeError(env, code::kInvalidArg, "synth: overrides must be an array with one entry per part (count)");
  const Napi::Array arr = v.As<Napi::Array>();
  out.resize(count);
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value e = arr.Get(i);
    if (e.IsUndefined() || e.IsNull()) continue;
    const std::string what = "synth: overrides[" + std::to_string(i) + "]";
    if (!e.IsObject()) throw MakeError(env, code::kInvalidArg, what + " is {defectFree, pastes, board}, null or undefined");
    const Napi::Object eo = e.As<Napi::Object>();
    out[i].defectFree = GetBool(eo, "defectFree", false);
    const Napi::Value pv = eo.Get("pastes");
    if (!pv.IsUndefined() && !pv.IsNull()) {
      if (!pv.IsArray() || pv.As<Napi::Array>().Length() > kMaxPastes)
        throw MakeError(env, code::kInvalidArg, what + ".pastes is an array of at most " + std::to_string(kMaxPastes));
      const Napi::Array pa = pv.As<Napi::Array>();
      for (uint32_t k = 0; k < pa.Length(); ++k) out[i].pastes.push_back(ToPaste(env, pa.Get(k), what + ".pastes[" + std::to_string(k) + "]"));
    }
    const Napi::Value board = eo.Get("board");
    if (!board.IsUndefined() && !board.IsNull()) out[i].board = ToBgrPixels(env, board, what + ".board", kMaxBoardSide);
  }
  return out;
}

// The options synthRender and synthPlan share: size, seed, the parts, the mix of defects.
SynthBaton ToBaton(Napi::Env env, const Napi::Object& o) {
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
  return b;
}

Napi::Value SynthRenderBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = OptionsArg(info, 0);
  SynthBaton b = ToBaton(env, o);
  b.overrides = ToOverrides(env, o, b.count);
  return (new SynthJob(env, std::move(b)))->Start();
}

Napi::Value SynthPlanBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const SynthBaton b = ToBaton(env, OptionsArg(info, 0));
  Napi::Array arr = Napi::Array::New(env, b.count);
  for (int i = 0; i < b.count; ++i) {
    const uint64_t index = static_cast<uint64_t>(b.start + i);
    const synth::Scene sc = synth::SampleScene(b.scene, b.seed, index);
    Napi::Array defects = Napi::Array::New(env);
    if (sc.dieRotationDefect) defects.Set(defects.Length(), "die_rotation");
    if (std::any_of(sc.flaws.begin(), sc.flaws.end(), [](const synth::Flaw& f) { return !f.distractor; }))
      defects.Set(defects.Length(), "die_crack");
    Napi::Object p = Napi::Object::New(env);
    p.Set("index", static_cast<double>(index));
    p.Set("defects", defects);
    p.Set("cropWidth", sc.pw);
    p.Set("cropHeight", sc.ph);
    Napi::Array center = Napi::Array::New(env, 2);
    center.Set(0u, sc.dieCenter.x);
    center.Set(1u, sc.dieCenter.y);
    p.Set("dieCenter", center);
    p.Set("dieWidth", sc.dieW);
    p.Set("dieHeight", sc.dieH);
    p.Set("uprightDieAngle", synth::UprightDieAngle(sc, b.scene, b.seed, index));
    arr.Set(static_cast<uint32_t>(i), p);
  }
  return arr;
}

}  // namespace

void InitSynth(Napi::Env env, Napi::Object exports) {
  exports.Set("synthRender", Napi::Function::New<SynthRenderBinding>(env, "synthRender"));
  exports.Set("synthPlan", Napi::Function::New<SynthPlanBinding>(env, "synthPlan"));
}

}  // namespace di::binding
