// roiCapture(images, options) -> Promise<RoiResult[]>: acquisition mode,
// package quad, upright crop (raw BGR, handed over without a copy), die angle.
#include <cmath>

#include "binding/exports.h"
#include "binding/promise_worker.h"
#include "pipeline/roi_capture.h"

namespace di::binding {

namespace {

const char* StatusName(RoiResult::Status s) {
  switch (s) {
    case RoiResult::Status::kOk: return "ok";
    case RoiResult::Status::kNotFound: return "not_found";
    case RoiResult::Status::kSkipped: return "skipped";
  }
  return "not_found";
}

// Everything but the error, width and height, which ItemsToJs sets.
void RoiResultToJs(Napi::Env env, Napi::Object& o, RoiResult& r) {
  Napi::Array means = Napi::Array::New(env, 3);
  for (uint32_t c = 0; c < 3; ++c) means.Set(c, r.meansBgr[c]);
  o.Set("meansBgr", means);
  o.Set("mode", roi::AcquisitionModeName(r.mode));
  o.Set("status", StatusName(r.status));
  Napi::Object timings = Napi::Object::New(env);
  timings.Set("decodeMs", r.decodeMs);
  timings.Set("locateMs", r.locateMs);
  timings.Set("warpMs", r.warpMs);
  o.Set("timings", timings);
  if (r.status != RoiResult::Status::kOk) return;
  o.Set("quad", QuadToJs(env, r.quad));
  o.Set("angle", r.angle);
  o.Set("score", r.score);
  o.Set("cueUsed", r.cueUsed);
  o.Set("refined", r.refined);
  o.Set("cropWidth", r.warp.size.width);
  o.Set("cropHeight", r.warp.size.height);
  o.Set("cropToImage", MatrixToJs(env, r.warp.cropToImage));
  o.Set("imageToCrop", MatrixToJs(env, r.warp.imageToCrop));
  if (!r.crop.empty()) {
    Napi::Object img = Napi::Object::New(env);
    img.Set("data", MatToBuffer(env, r.crop));
    img.Set("width", r.crop.cols);
    img.Set("height", r.crop.rows);
    img.Set("channels", 3);
    o.Set("crop", img);
  }
  if (r.die) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("angle", r.die->angle);
    d.Set("quad", QuadToJs(env, r.die->quad));
    d.Set("refined", r.die->refined);
    o.Set("die", d);
  }
}

class RoiJob : public PromiseWorker {
 public:
  RoiJob(Napi::Env env, PinnedImages images, RoiConfig config, Proposer proposer)
      : PromiseWorker(env), images_(std::move(images)), config_(config), proposer_(std::move(proposer)) {}

 protected:
  void Run() override { results_ = CaptureRoi(images_.sources, config_, proposer_); }
  Napi::Value Result(Napi::Env env) override {
    return ItemsToJs(env, results_, [env](Napi::Object& o, RoiResult& r) { RoiResultToJs(env, o, r); });
  }

 private:
  PinnedImages images_;
  RoiConfig config_;
  Proposer proposer_;
  std::vector<RoiResult> results_;
};

RoiConfig ParseRoiConfig(Napi::Env env, const Napi::Object& o) {
  RoiConfig c;
  c.contour.blockSize = GetInt(o, "blockSize", c.contour.blockSize);
  c.contour.c = GetNumber(o, "c", c.contour.c);
  c.contour.minContourFrac = GetNumber(o, "minContourFrac", c.contour.minContourFrac);
  c.contour.minRectFrac = GetNumber(o, "minRectFrac", c.contour.minRectFrac);
  c.contour.maxRectFrac = GetNumber(o, "maxRectFrac", c.contour.maxRectFrac);
  c.contour.epsilonFrac = GetNumber(o, "epsilonFrac", c.contour.epsilonFrac);
  if (c.contour.blockSize < 3 || !(c.contour.minContourFrac >= 0 && c.contour.minRectFrac >= 0 &&
                                   c.contour.maxRectFrac <= 1 && c.contour.epsilonFrac >= 0 && c.contour.epsilonFrac < 0.5))
    throw MakeError(env, code::kInvalidArg,
                    "roi: blockSize >= 3; minContourFrac, minRectFrac, maxRectFrac in [0, 1]; epsilonFrac in [0, 0.5)");
  c.modeRule.brightfieldMin = GetNumber(o, "brightfieldMin", c.modeRule.brightfieldMin);
  const std::string orient = GetString(o, "orientation", "die-left");
  if (orient == "die-left") c.orientation = roi::OrientationRule::kDieLeft;
  else if (orient == "long-side") c.orientation = roi::OrientationRule::kLongSide;
  else throw MakeError(env, code::kInvalidArg, "roi: orientation must be 'die-left' or 'long-side'");
  c.refine = GetBool(o, "refine", true);
  c.crops = GetBool(o, "crops", true);
  c.measureDie = GetBool(o, "measureDie", true);
  c.brightfieldOnly = GetBool(o, "brightfieldOnly", false);
  c.cropScale = GetNumber(o, "cropScale", 1.0);
  if (!(c.cropScale > 0 && c.cropScale <= 4)) throw MakeError(env, code::kInvalidArg, "roi: cropScale must lie in (0, 4]");
  return c;
}

Napi::Value RoiCaptureBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = OptionsArg(info, 1);
  PinnedImages images = ToImageSources(info[0], o);
  RoiConfig config = ParseRoiConfig(env, o);
  // Model strategies (seg, sam) locate the package themselves and pass their
  // outlines as `proposals`; the rest of the chain is shared.
  if (o.Has("proposals") && !o.Get("proposals").IsUndefined()) {
    const Napi::Value v = o.Get("proposals");
    if (!v.IsArray() || v.As<Napi::Array>().Length() != images.sources.size())
      throw MakeError(env, code::kInvalidArg, "roiCapture: proposals must hold one quad (or null) per image");
    const Napi::Value radii = o.Get("proposalRadii");
    if (!radii.IsUndefined() && (!radii.IsArray() || radii.As<Napi::Array>().Length() != images.sources.size()))
      throw MakeError(env, code::kInvalidArg, "roiCapture: proposalRadii must hold one number per image");
    const Napi::Array arr = v.As<Napi::Array>();
    std::vector<std::optional<Proposal>> given(arr.Length());
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      const Napi::Value q = arr.Get(i);
      if (q.IsNull() || q.IsUndefined()) continue;
      if (!q.IsArray() || q.As<Napi::Array>().Length() != 4)
        throw MakeError(env, code::kInvalidArg, "roiCapture: a proposal is four [x, y] corners");
      Proposal p;
      for (uint32_t k = 0; k < 4; ++k) {
        const Napi::Value pt = q.As<Napi::Array>().Get(k);
        if (!pt.IsArray() || pt.As<Napi::Array>().Length() != 2 || !pt.As<Napi::Array>().Get(0u).IsNumber() ||
            !pt.As<Napi::Array>().Get(1u).IsNumber())
          throw MakeError(env, code::kInvalidArg, "roiCapture: a proposal is four [x, y] corners");
        p.corners[k] = {pt.As<Napi::Array>().Get(0u).As<Napi::Number>().DoubleValue(),
                        pt.As<Napi::Array>().Get(1u).As<Napi::Number>().DoubleValue()};
        if (!std::isfinite(p.corners[k].x) || !std::isfinite(p.corners[k].y))
          throw MakeError(env, code::kInvalidArg, "roiCapture: proposal corners must be finite");
      }
      p.score = 1;
      if (radii.IsArray()) {
        const Napi::Value r = radii.As<Napi::Array>().Get(i);
        if (!r.IsUndefined() && !r.IsNull()) {
          const double px = r.IsNumber() ? r.As<Napi::Number>().DoubleValue() : NAN;
          if (!(px >= 0 && px <= 256))
            throw MakeError(env, code::kInvalidArg, "roiCapture: a proposal radius is a number of pixels in [0, 256]");
          p.searchRadius = px;
        }
      }
      given[i] = p;
    }
    Proposer fixed = [given](const std::vector<cv::Mat>&, const std::vector<uint8_t>& active, std::vector<ItemError>&) {
      std::vector<std::optional<Proposal>> out = given;
      for (size_t i = 0; i < out.size(); ++i)
        if (!active[i]) out[i].reset();
      return out;
    };
    return (new RoiJob(env, std::move(images), config, std::move(fixed)))->Start();
  }
  return (new RoiJob(env, std::move(images), config, ContourProposer(config.contour)))->Start();
}

}  // namespace

void InitRoi(Napi::Env env, Napi::Object exports) {
  exports.Set("roiCapture", Napi::Function::New<RoiCaptureBinding>(env, "roiCapture"));
}

}  // namespace di::binding
