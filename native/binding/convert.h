// JavaScript <-> C++ conversions shared by the bindings: typed errors, image
// sources (pinned, not copied), option objects, model descriptions.
#pragma once

#include <napi.h>

#include <array>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/preprocess.h"
#include "infer/session.h"
#include "util/error.h"
#include "util/geometry.h"

namespace di::binding {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message);
Napi::Object ItemErrorToJs(Napi::Env env, const ItemError& e);

Napi::Object RegistrationToJs(Napi::Env env, const Registration& r);

// A batch result for JavaScript: one object per image, `{error}` for a failed
// image, else its width and height (and registration, for an aligned reference
// pair) plus what `fill(object, item)` adds.
template <typename Item, typename Fill>
Napi::Array ItemsToJs(Napi::Env env, std::vector<Item>& items, Fill fill) {
  Napi::Array arr = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Item& r = items[i];
    Napi::Object o = Napi::Object::New(env);
    arr.Set(uint32_t(i), o);
    if (!r.error.ok()) {
      o.Set("error", ItemErrorToJs(env, r.error));
      continue;
    }
    o.Set("width", r.width);
    o.Set("height", r.height);
    if constexpr (HasRegistration<Item>::value) {
      if (r.registration.done) o.Set("registration", RegistrationToJs(env, r.registration));
    }
    if constexpr (HasWarning<Item>::value) {
      if (!r.warning.empty()) o.Set("warning", r.warning);
    }
    fill(o, r);
  }
  return arr;
}

// A typed array a job reads on a worker thread, held until the job ends: referenced, so
// that the collector leaves it, and registered, so that releaseBuffers() leaves it too
// (freeing it then would free memory the worker is reading). Made and destroyed on the
// JavaScript thread, as jobs are.
class BufferPin {
 public:
  explicit BufferPin(const Napi::Object& typedArray);
  ~BufferPin();
  BufferPin(BufferPin&& other) noexcept;
  BufferPin& operator=(BufferPin&& other) noexcept;
  BufferPin(const BufferPin&) = delete;
  BufferPin& operator=(const BufferPin&) = delete;

  // Whether a job holds the ArrayBuffer whose memory starts at `data`.
  static bool Held(const void* data);

 private:
  void Unregister();
  Napi::ObjectReference ref_;
  const void* data_ = nullptr;  // the ArrayBuffer's memory; null: nothing registered
};

// Images keep their JavaScript owners pinned until the job that reads them ends.
struct PinnedImages {
  std::vector<ImageSource> sources;
  std::vector<BufferPin> owners;
};

// Accepts an array of: path string | Buffer/Uint8Array (encoded file) |
// {data, width, height, channels, rgb?} (raw 8-bit pixels) | {image, reference}
// (one of those compared with an aligned reference). `options.limitInputPixels`
// (a whole number, 0 or false for none; default kDefaultMaxPixels) applies to
// every image and reference, as does `options.failOn` ('warning' or 'error', see
// ImageSource::failOnWarning). Throws ERR_INVALID_ARG.
PinnedImages ToImageSources(const Napi::Value& value, const Napi::Object& options);

// Option readers: absent/undefined -> fallback; wrong type -> ERR_INVALID_ARG.
double GetNumber(const Napi::Object& o, const char* key, double fallback);
// A whole number an int holds (a cast of any other double would be undefined behaviour).
int GetInt(const Napi::Object& o, const char* key, int fallback);
bool GetBool(const Napi::Object& o, const char* key, bool fallback);
std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback);
std::array<float, 3> GetTriple(const Napi::Object& o, const char* key, std::array<float, 3> fallback);
Napi::Object OptionsArg(const Napi::CallbackInfo& info, size_t index);

// {data: Float32Array, width, height} as a CV_32F matrix (copied; NaN -> 0); `what`
// names it in errors. Sides 1..kMaxInputSide, data exactly width x height values.
// {data: Float32Array of planes x height x width values, width, height}: the array, its sides
// checked (1..maxSide, the length planes x width x height) before anything reads the data.
Napi::Float32Array FloatPlanesArg(Napi::Env env, const Napi::Value& v, const std::string& what, int planes, int maxSide,
                                   int* width, int* height);
cv::Mat ToFloatMap(Napi::Env env, const Napi::Value& v, const std::string& what);
PreprocessSpec ParsePreprocess(const Napi::Object& o, PreprocessSpec defaults);
SessionConfig ParseSessionConfig(const Napi::Object& o);

Napi::Object ModelInfoToJs(Napi::Env env, const ModelInfo& info);

// Geometry out: [[x, y], ...], [x1, y1, x2, y2], row-major 3x3 as 9 numbers.
Napi::Array PointsToJs(Napi::Env env, const std::vector<cv::Point2d>& pts);
Napi::Array QuadToJs(Napi::Env env, const Quad& q);
Napi::Array BoxToJs(Napi::Env env, const cv::Vec4d& b);
Napi::Array MatrixToJs(Napi::Env env, const cv::Matx33d& m);

// Hands bytes to JavaScript without copying them.
Napi::Buffer<uint8_t> MoveToBuffer(Napi::Env env, std::vector<uint8_t>&& bytes);
// Hands a continuous 8-bit Mat's pixels to JavaScript; the Buffer keeps the Mat alive.
Napi::Buffer<uint8_t> MatToBuffer(Napi::Env env, const cv::Mat& mat);

}  // namespace di::binding
