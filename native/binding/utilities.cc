// Stand-alone building blocks: nms(), preprocess(), decodeImage(), encodeImage(). The detector uses the
// same C++ code internally; these exist for tests, baselines and custom heads.
#include <cmath>

#include <opencv2/core/utility.hpp>

#include "binding/exports.h"
#include "binding/promise_worker.h"
#include "core/bmp_encode.h"
#include "core/jpeg_encode.h"
#include "core/nms.h"
#include "core/png_encode.h"
#include "core/tiff_encode.h"

namespace di::binding {

namespace {

// nms(boxes: Float32Array[4n], scores: Float32Array[n], classIds: Int32Array[n] | null, options)
// -> Int32Array of kept indices, best first. Synchronous: O(n log n) on data already in memory.
Napi::Value NmsBinding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw MakeError(env, code::kInvalidArg, "nms(boxes: Float32Array, scores: Float32Array, classIds?, options?)");
  const Napi::Float32Array boxes = info[0].As<Napi::Float32Array>();
  const Napi::Float32Array scores = info[1].As<Napi::Float32Array>();
  const size_t n = scores.ElementLength();
  if (boxes.ElementLength() != 4 * n) throw MakeError(env, code::kInvalidArg, "nms: boxes must hold 4 values per score");
  const int32_t* classes = nullptr;
  if (info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined()) {
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[2].As<Napi::Int32Array>().ElementLength() != n)
      throw MakeError(env, code::kInvalidArg, "nms: classIds must be an Int32Array with one id per score");
    classes = info[2].As<Napi::Int32Array>().Data();
  }
  const Napi::Object o = OptionsArg(info, 3);
  NmsParams p;
  p.iouThreshold = static_cast<float>(GetNumber(o, "iou", 0.45));
  p.agnostic = GetBool(o, "agnostic", false);
  p.maxDetections = GetInt(o, "maxDet", 0);
  p.topK = GetInt(o, "topK", 0);
  const float conf = static_cast<float>(GetNumber(o, "conf", -INFINITY));
  std::vector<Candidate> cands;
  cands.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(scores[i] > conf)) continue;  // also drops NaN scores
    const float* b = boxes.Data() + 4 * i;
    // A NaN coordinate gives NaN overlaps, which suppress nothing: refuse it.
    if (!std::isfinite(b[0]) || !std::isfinite(b[1]) || !std::isfinite(b[2]) || !std::isfinite(b[3]))
      throw MakeError(env, code::kInvalidArg, "nms: box " + std::to_string(i) + " has a non-finite coordinate");
    cands.push_back({{b[0], b[1], b[2], b[3]}, scores[i], classes ? classes[i] : 0, static_cast<int32_t>(i)});
  }
  const std::vector<Candidate> kept = Nms(cands, p);
  Napi::Int32Array out = Napi::Int32Array::New(env, kept.size());
  for (size_t k = 0; k < kept.size(); ++k) out[k] = kept[k].index;
  return out;
}

class PreprocessJob : public PromiseWorker {
 public:
  PreprocessJob(Napi::Env env, PinnedImages images, PreprocessSpec spec)
      : PromiseWorker(env), images_(std::move(images)), spec_(spec) {}

 protected:
  void Run() override {
    const size_t n = images_.sources.size();
    const size_t per = static_cast<size_t>(3) * spec_.width * spec_.height;
    tensor_.assign(n * per, 0.f);
    maps_.resize(n);
    errors_.resize(n);
    cv::parallel_for_(cv::Range(0, static_cast<int>(n)), [&](const cv::Range& r) {
      for (int i = r.start; i < r.end; ++i) {
        try {
          maps_[i] = PreprocessInto(LoadBgr(images_.sources[i]), spec_, tensor_.data() + i * per);
        } catch (const Error& e) {
          errors_[i] = {e.code(), e.what()};
        } catch (const std::exception& e) {
          errors_[i] = {code::kImageDecode, e.what()};
        }
      }
    });
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    Napi::Float32Array t = Napi::Float32Array::New(env, tensor_.size());
    std::copy(tensor_.begin(), tensor_.end(), t.Data());
    Napi::Array maps = Napi::Array::New(env, maps_.size());
    for (size_t i = 0; i < maps_.size(); ++i) {
      Napi::Object m = Napi::Object::New(env);
      if (!errors_[i].ok()) {
        m.Set("error", ItemErrorToJs(env, errors_[i]));
      } else {
        m.Set("scaleX", maps_[i].scaleX);
        m.Set("scaleY", maps_[i].scaleY);
        m.Set("padX", maps_[i].padX);
        m.Set("padY", maps_[i].padY);
        m.Set("width", maps_[i].srcWidth);
        m.Set("height", maps_[i].srcHeight);
      }
      maps.Set(i, m);
    }
    o.Set("tensor", t);
    o.Set("images", maps);
    Napi::Array dims = Napi::Array::New(env, 4);
    dims.Set(0u, static_cast<double>(maps_.size()));
    dims.Set(1u, 3.0);
    dims.Set(2u, static_cast<double>(spec_.height));
    dims.Set(3u, static_cast<double>(spec_.width));
    o.Set("dims", dims);
    return o;
  }

 private:
  PinnedImages images_;
  PreprocessSpec spec_;
  std::vector<float> tensor_;
  std::vector<LetterboxMap> maps_;
  std::vector<ItemError> errors_;
};

// preprocess(images, {width, height, resize, padValue, scale, mean, std, swapRB})
// -> Promise<{tensor: Float32Array, dims, images: [{scaleX, scaleY, padX, padY, width, height} | {error}]}>
Napi::Value PreprocessBinding(const Napi::CallbackInfo& info) {
  const Napi::Object o = OptionsArg(info, 1);
  PinnedImages images = ToImageSources(info[0], o);
  PreprocessSpec spec = ParsePreprocess(o, PreprocessSpec{});
  spec.height = GetInt(o, "height", 640);
  spec.width = GetInt(o, "width", spec.height);
  if (spec.width < 1 || spec.height < 1 || spec.width > kMaxInputSide || spec.height > kMaxInputSide)
    throw MakeError(info.Env(), code::kInvalidArg, "preprocess: width and height must lie in [1, 16384]");
  if (InputTensorBytes(double(images.sources.size()), spec.height, spec.width) > kMaxInputTensorBytes)
    throw MakeError(info.Env(), code::kInvalidArg, "preprocess: the tensor of all the images would be over 4 GiB; pass fewer at a time");
  return (new PreprocessJob(info.Env(), std::move(images), spec))->Start();
}

// decodeImage(image) -> Promise<{data: Buffer (BGR), width, height, channels: 3, warning?}>
class DecodeJob : public PromiseWorker {
 public:
  DecodeJob(Napi::Env env, PinnedImages images) : PromiseWorker(env), images_(std::move(images)) {}

 protected:
  void Run() override {
    const cv::Mat m = LoadBgr(images_.sources.at(0), nullptr, &warning_);
    bgr_ = m.isContinuous() ? m : m.clone();
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("data", MatToBuffer(env, bgr_));
    o.Set("width", bgr_.cols);
    o.Set("height", bgr_.rows);
    o.Set("channels", 3);
    if (!warning_.empty()) o.Set("warning", warning_);
    return o;
  }

 private:
  PinnedImages images_;
  cv::Mat bgr_;
  std::string warning_;
};

// encodeImage(image, {format: 'png'|'jpg', quality}) -> Promise<Buffer>
class EncodeJob : public PromiseWorker {
 public:
  EncodeJob(Napi::Env env, PinnedImages images, std::string ext, int quality)
      : PromiseWorker(env), images_(std::move(images)), ext_(std::move(ext)), quality_(quality) {}

 protected:
  void Run() override {
    const cv::Mat m = LoadBgr(images_.sources.at(0));
    if (ext_ == ".jpg") bytes_ = EncodeJpeg(m, quality_);
    else if (ext_ == ".png") bytes_ = EncodePng(m);
    else if (ext_ == ".bmp") bytes_ = EncodeBmp(m);
    else bytes_ = EncodeTiff(m);
  }
  Napi::Value Result(Napi::Env env) override { return MoveToBuffer(env, std::move(bytes_)); }

 private:
  PinnedImages images_;
  std::string ext_;
  int quality_;
  std::vector<uint8_t> bytes_;
};

// encodeMapPng({data, width, height}) -> Promise<Buffer>: a 0..1 map as a 16-bit grey PNG.
class EncodeMapJob : public PromiseWorker {
 public:
  EncodeMapJob(Napi::Env env, cv::Mat map) : PromiseWorker(env), map_(std::move(map)) {}

 protected:
  void Run() override {
    cv::Mat wide;
    cv::min(cv::max(map_, 0.0), 1.0, map_);
    map_.convertTo(wide, CV_16U, 65535.0);
    bytes_ = EncodePng(wide, 6);
  }
  Napi::Value Result(Napi::Env env) override { return MoveToBuffer(env, std::move(bytes_)); }

 private:
  cv::Mat map_;
  std::vector<uint8_t> bytes_;
};

PinnedImages OneImage(const Napi::CallbackInfo& info, const Napi::Object& options) {
  Napi::Array arr = Napi::Array::New(info.Env(), 1);
  arr.Set(0u, info.Length() > 0 ? info[0] : info.Env().Undefined());
  return ToImageSources(arr, options);
}

// decodeImage(image, {limitInputPixels})
Napi::Value DecodeBinding(const Napi::CallbackInfo& info) {
  return (new DecodeJob(info.Env(), OneImage(info, OptionsArg(info, 1))))->Start();
}

Napi::Value EncodeBinding(const Napi::CallbackInfo& info) {
  const Napi::Object o = OptionsArg(info, 1);
  PinnedImages images = OneImage(info, o);
  const std::string format = GetString(o, "format", "png");
  if (format != "png" && format != "jpg" && format != "jpeg" && format != "bmp" && format != "tiff")
    throw MakeError(info.Env(), code::kInvalidArg, "format must be png, jpg, bmp or tiff");
  const int quality = GetInt(o, "quality", 90);
  const std::string ext = format == "jpeg" ? ".jpg" : "." + format;
  return (new EncodeJob(info.Env(), std::move(images), ext, quality))->Start();
}

Napi::Value EncodeMapBinding(const Napi::CallbackInfo& info) {
  cv::Mat map = ToFloatMap(info.Env(), info.Length() > 0 ? info[0] : info.Env().Undefined(), "encodeMapPng: map");
  return (new EncodeMapJob(info.Env(), std::move(map)))->Start();
}

}  // namespace

void InitUtilities(Napi::Env env, Napi::Object exports) {
  exports.Set("nms", Napi::Function::New<NmsBinding>(env, "nms"));
  exports.Set("preprocess", Napi::Function::New<PreprocessBinding>(env, "preprocess"));
  exports.Set("decodeImage", Napi::Function::New<DecodeBinding>(env, "decodeImage"));
  exports.Set("encodeImage", Napi::Function::New<EncodeBinding>(env, "encodeImage"));
  exports.Set("encodeMapPng", Napi::Function::New<EncodeMapBinding>(env, "encodeMapPng"));
}

}  // namespace di::binding
