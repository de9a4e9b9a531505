// annotateImage(image, shapes, {format, quality, maxSide}) -> Promise<Buffer>:
// decode, optionally downscale, draw, encode, all off the JS thread.
// layoutTexts(width, height, shapes, {maxSide}) -> where annotateImage puts each text.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "binding/exports.h"
#include "binding/promise_worker.h"
#include "core/annotate.h"
#include "core/heatmap.h"
#include "core/jpeg_encode.h"
#include "core/png_encode.h"
#include "util/geometry.h"

namespace di::binding {

namespace {

// A saliency map to blend under the outlines (options.heatmap).
struct Heat {
  cv::Mat map;  // empty: none
  bool onQuad = false;
  Quad quad{};
  double alpha = 0.5;
};

class AnnotateJob : public PromiseWorker {
 public:
  AnnotateJob(Napi::Env env, PinnedImages image, std::vector<Shape> shapes, Heat heat, std::string ext, int quality, int maxSide)
      : PromiseWorker(env),
        image_(std::move(image)),
        shapes_(std::move(shapes)),
        heat_(std::move(heat)),
        ext_(std::move(ext)),
        quality_(quality),
        maxSide_(maxSide) {}

 protected:
  void Run() override {
    cv::Mat img = LoadBgr(image_.sources.at(0)).clone();
    const double scale = DrawScale(img.size(), maxSide_);
    if (scale < 1) cv::resize(img, img, ScaledSize(img.size(), scale), 0, 0, cv::INTER_AREA);
    if (!heat_.map.empty()) BlendHeatmap(img, heat_.map, heat_.onQuad ? &heat_.quad : nullptr, heat_.alpha, scale);
    DrawShapes(img, shapes_, scale);
    bytes_ = ext_ == ".jpg" ? EncodeJpeg(img, quality_) : EncodePng(img);
  }
  Napi::Value Result(Napi::Env env) override { return MoveToBuffer(env, std::move(bytes_)); }

 private:
  PinnedImages image_;
  std::vector<Shape> shapes_;
  Heat heat_;
  std::string ext_;
  int quality_, maxSide_;
  std::vector<uint8_t> bytes_;
};

cv::Point2d ToPoint(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 2) throw MakeError(env, code::kInvalidArg, "annotate: points are [x, y]");
  const Napi::Array a = v.As<Napi::Array>();
  const Napi::Value x = a.Get(0u), y = a.Get(1u);
  if (!x.IsNumber() || !y.IsNumber()) throw MakeError(env, code::kInvalidArg, "annotate: points are [x, y] numbers");
  const cv::Point2d p(x.As<Napi::Number>().DoubleValue(), y.As<Napi::Number>().DoubleValue());
  if (!std::isfinite(p.x) || !std::isfinite(p.y) || std::abs(p.x) > 1e6 || std::abs(p.y) > 1e6)
    throw MakeError(env, code::kInvalidArg, "annotate: point coordinates must be finite");
  return p;
}

std::vector<Shape> ToShapes(Napi::Env env, const Napi::Value& v) {
  if (!v.IsArray()) throw MakeError(env, code::kInvalidArg, "annotate: shapes must be an array");
  const Napi::Array arr = v.As<Napi::Array>();
  std::vector<Shape> shapes;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    if (!arr.Get(i).IsObject()) throw MakeError(env, code::kInvalidArg, "annotate: each shape is an object");
    const Napi::Object o = arr.Get(i).As<Napi::Object>();
    Shape s;
    const std::string type = GetString(o, "type", "polygon");
    if (type == "text") {
      s.kind = Shape::Kind::kText;
      s.points.push_back(ToPoint(env, o.Get("at")));
      s.text = GetString(o, "text", "");
    } else if (type == "polygon") {
      if (!o.Get("points").IsArray()) throw MakeError(env, code::kInvalidArg, "annotate: polygon needs points");
      const Napi::Array pts = o.Get("points").As<Napi::Array>();
      for (uint32_t k = 0; k < pts.Length(); ++k) s.points.push_back(ToPoint(env, pts.Get(k)));
      s.closed = GetBool(o, "closed", true);
      if (!o.Get("label").IsUndefined() && !o.Get("label").IsString())
        throw MakeError(env, code::kInvalidArg, "annotate: a polygon's label is a string");
      s.text = GetString(o, "label", "");
    } else {
      throw MakeError(env, code::kInvalidArg, "annotate: shape type is 'polygon' or 'text'");
    }
    s.fontScale = GetNumber(o, "fontScale", 0.6);
    if (!(s.fontScale > 0 && s.fontScale < 20)) throw MakeError(env, code::kInvalidArg, "annotate: fontScale in (0, 20)");
    const std::array<float, 3> c = GetTriple(o, "color", {0.f, 255.f, 0.f});
    s.color = cv::Scalar(c[0], c[1], c[2]);
    s.thickness = GetNumber(o, "thickness", 2);
    if (!(s.thickness > 0 && s.thickness < 100)) throw MakeError(env, code::kInvalidArg, "annotate: thickness in (0, 100)");
    shapes.push_back(std::move(s));
  }
  return shapes;
}

// {data: Float32Array (0..1), width, height, quad?: four [x, y], alpha?}, copied: the job owns it.
Heat ToHeat(Napi::Env env, const Napi::Object& o) {
  Heat h;
  if (!o.Has("heatmap") || o.Get("heatmap").IsUndefined()) return h;
  h.map = ToFloatMap(env, o.Get("heatmap"), "annotate: heatmap");
  const Napi::Object m = o.Get("heatmap").As<Napi::Object>();
  h.alpha = GetNumber(m, "alpha", 0.5);
  if (!(h.alpha >= 0 && h.alpha <= 1)) throw MakeError(env, code::kInvalidArg, "annotate: heatmap.alpha in [0, 1]");
  if (m.Has("quad") && !m.Get("quad").IsUndefined()) {
    const Napi::Value q = m.Get("quad");
    if (!q.IsArray() || q.As<Napi::Array>().Length() != 4) throw MakeError(env, code::kInvalidArg, "annotate: heatmap.quad is four [x, y]");
    for (uint32_t k = 0; k < 4; ++k) h.quad[k] = ToPoint(env, q.As<Napi::Array>().Get(k));
    h.onQuad = true;
  }
  return h;
}

Napi::Value AnnotateBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array one = Napi::Array::New(env, 1);
  one.Set(0u, info.Length() > 0 ? info[0] : env.Undefined());
  PinnedImages image = ToImageSources(one, OptionsArg(info, 2));
  std::vector<Shape> shapes = ToShapes(env, info.Length() > 1 ? info[1] : env.Undefined());
  const Napi::Object o = OptionsArg(info, 2);
  const std::string format = GetString(o, "format", "jpg");
  if (format != "jpg" && format != "png") throw MakeError(env, code::kInvalidArg, "annotate: format is jpg or png");
  const int quality = GetInt(o, "quality", 90);
  const int maxSide = GetInt(o, "maxSide", 0);
  Heat heat = ToHeat(env, o);
  return (new AnnotateJob(env, std::move(image), std::move(shapes), std::move(heat), "." + format, quality, maxSide))->Start();
}

Napi::Array PointArray(Napi::Env env, cv::Point2d p) {
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, p.x);
  a.Set(1u, p.y);
  return a;
}

// Synchronous: measuring a few texts costs less than a trip through the thread pool.
Napi::Value LayoutTextsBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto side = [&](size_t i) {
    const double v = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : 0;
    if (!(v >= 1 && v <= 1e6 && v == std::floor(v)))
      throw MakeError(env, code::kInvalidArg, "layoutTexts: width and height are whole pixels from 1");
    return int(v);
  };
  const cv::Size original(side(0), side(1));
  const std::vector<Shape> shapes = ToShapes(env, info.Length() > 2 ? info[2] : env.Undefined());
  const double scale = DrawScale(original, GetInt(OptionsArg(info, 3), "maxSide", 0));
  const std::vector<TextPlacement> texts = LayoutTexts(scale < 1 ? ScaledSize(original, scale) : original, shapes, scale);
  Napi::Array out = Napi::Array::New(env, texts.size());
  for (uint32_t i = 0; i < texts.size(); ++i) {
    const TextPlacement& t = texts[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("shape", t.shape);
    Napi::Array box = Napi::Array::New(env, 4);
    box.Set(0u, t.rect.x);
    box.Set(1u, t.rect.y);
    box.Set(2u, t.rect.x + t.rect.width);
    box.Set(3u, t.rect.y + t.rect.height);
    o.Set("box", box);
    if (t.leader) {
      Napi::Array leader = Napi::Array::New(env, 2);
      leader.Set(0u, PointArray(env, t.leaderFrom));
      leader.Set(1u, PointArray(env, t.leaderTo));
      o.Set("leader", leader);
    }
    out.Set(i, o);
  }
  return out;
}

}  // namespace

void InitAnnotate(Napi::Env env, Napi::Object exports) {
  exports.Set("annotateImage", Napi::Function::New<AnnotateBinding>(env, "annotateImage"));
  exports.Set("layoutTexts", Napi::Function::New<LayoutTextsBinding>(env, "layoutTexts"));
}

}  // namespace di::binding
