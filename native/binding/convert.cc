#include "binding/convert.h"

#include <cmath>
#include <memory>
#include <mutex>
#include <unordered_set>

namespace di::binding {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

Napi::Object ItemErrorToJs(Napi::Env env, const ItemError& e) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("code", e.code);
  o.Set("message", e.message);
  return o;
}

Napi::Object RegistrationToJs(Napi::Env env, const Registration& r) {
  Napi::Object g = Napi::Object::New(env);
  g.Set("dx", r.dx);
  g.Set("dy", r.dy);
  g.Set("angle", r.angle);
  g.Set("correlation", r.correlation);
  return g;
}

namespace {

// What jobs hold, by ArrayBuffer memory (an ArrayBuffer may back several arrays, and
// worker_threads have their own JavaScript threads).
std::mutex gPinMutex;
std::unordered_multiset<const void*> gPinned;

}  // namespace

BufferPin::BufferPin(const Napi::Object& typedArray) : ref_(Napi::Persistent(typedArray)) {
  if (!typedArray.IsTypedArray()) return;
  data_ = typedArray.As<Napi::TypedArray>().ArrayBuffer().Data();
  if (!data_) return;
  std::lock_guard<std::mutex> lock(gPinMutex);
  gPinned.insert(data_);
}

BufferPin::~BufferPin() { Unregister(); }

BufferPin::BufferPin(BufferPin&& other) noexcept : ref_(std::move(other.ref_)), data_(other.data_) { other.data_ = nullptr; }

BufferPin& BufferPin::operator=(BufferPin&& other) noexcept {
  if (this != &other) {
    Unregister();
    ref_ = std::move(other.ref_);
    data_ = other.data_;
    other.data_ = nullptr;
  }
  return *this;
}

void BufferPin::Unregister() {
  if (!data_) return;
  std::lock_guard<std::mutex> lock(gPinMutex);
  if (auto it = gPinned.find(data_); it != gPinned.end()) gPinned.erase(it);
  data_ = nullptr;
}

bool BufferPin::Held(const void* data) {
  std::lock_guard<std::mutex> lock(gPinMutex);
  return data && gPinned.count(data) > 0;
}

namespace {

[[noreturn]] void Invalid(Napi::Env env, const std::string& message) {
  throw MakeError(env, code::kInvalidArg, message);
}

ImageSource FromBytes(const Napi::Value& v) {
  ImageSource s;
  s.kind = ImageSource::Kind::kEncoded;
  const Napi::TypedArray ta = v.As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  s.data = static_cast<const uint8_t*>(ab.Data()) + ta.ByteOffset();
  s.length = ta.ByteLength();
  return s;
}

// A raw image's width, height or channel count, or 0 when it is not a whole
// number an int holds: LoadBgr then fails that image alone, as for any bad size.
int RawInt(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  const double d = v.IsUndefined() || v.IsNull() ? fallback : v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  return d >= 1 && d <= double(INT32_MAX) && d == std::floor(d) ? static_cast<int>(d) : 0;
}

// One image: path | encoded bytes | raw pixels | (when `pairs`) {image, reference}.
ImageSource ParseImage(const Napi::Value& v, const std::string& where, PinnedImages& out, bool pairs,
                       uint64_t maxPixels, bool failOnWarning, bool autoOrient) {
  Napi::Env env = v.Env();
  ImageSource s;
  if (v.IsString()) {
    s.path = v.As<Napi::String>().Utf8Value();
    if (s.path.empty()) Invalid(env, where + ": empty path");
  } else if (v.IsTypedArray()) {
    if (v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      Invalid(env, where + ": encoded image must be a Buffer or Uint8Array");
    out.owners.emplace_back(v.As<Napi::Object>());
    s = FromBytes(v);
  } else if (!v.IsObject()) {
    Invalid(env, where + ": expected a path, a Buffer, {data, width, height, channels} or {image, reference}");
  } else if (v.As<Napi::Object>().Has("reference")) {
    const Napi::Object o = v.As<Napi::Object>();
    if (!pairs) Invalid(env, where + ": a reference cannot have a reference of its own");
    s = ParseImage(o.Get("image"), where + ".image", out, false, maxPixels, failOnWarning, autoOrient);
    s.reference = std::make_shared<const ImageSource>(
        ParseImage(o.Get("reference"), where + ".reference", out, false, maxPixels, failOnWarning, autoOrient));
    const Napi::Value align = o.Get("align");
    if (!align.IsUndefined() && !align.IsBoolean()) Invalid(env, where + ".align: expected true or false");
    s.alignReference = align.IsBoolean() && align.As<Napi::Boolean>().Value();
  } else {
    const Napi::Object o = v.As<Napi::Object>();
    const Napi::Value data = o.Get("data");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      Invalid(env, where + ": raw image needs data (Uint8Array), width, height, channels");
    s = FromBytes(data);
    s.kind = ImageSource::Kind::kRaw;
    s.width = RawInt(o, "width", 0);
    s.height = RawInt(o, "height", 0);
    s.channels = RawInt(o, "channels", 3);
    s.rgb = GetBool(o, "rgb", false);
    out.owners.emplace_back(data.As<Napi::Object>());
  }
  s.maxPixels = maxPixels;
  s.failOnWarning = failOnWarning;
  s.autoOrient = autoOrient;
  return s;
}

uint64_t PixelLimit(const Napi::Object& options) {
  const Napi::Value v = options.Get("limitInputPixels");
  if (v.IsUndefined() || v.IsNull()) return kDefaultMaxPixels;
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? kDefaultMaxPixels : 0;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 9007199254740991.0) || d != std::floor(d))
    Invalid(options.Env(), "option 'limitInputPixels' must be a whole number of pixels (0 for no limit) or a boolean");
  return static_cast<uint64_t>(d);
}

// failOn: 'warning' (default) refuses data the decoder had to patch up; 'error' accepts it.
bool FailOnWarning(const Napi::Object& options) {
  const Napi::Value v = options.Get("failOn");
  if (v.IsUndefined() || v.IsNull()) return true;
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s != "warning" && s != "error") Invalid(options.Env(), "option 'failOn' must be 'warning' or 'error'");
  return s == "warning";
}

// autoOrient: true turns a JPEG upright by its EXIF Orientation before anything else sees it.
bool AutoOrient(const Napi::Object& options) {
  const Napi::Value v = options.Get("autoOrient");
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsBoolean()) Invalid(options.Env(), "option 'autoOrient' must be true or false");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace

PinnedImages ToImageSources(const Napi::Value& value, const Napi::Object& options) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) Invalid(env, "images must be an array");
  const uint64_t maxPixels = PixelLimit(options);
  const bool failOnWarning = FailOnWarning(options);
  const bool autoOrient = AutoOrient(options);
  const Napi::Array arr = value.As<Napi::Array>();
  PinnedImages out;
  out.sources.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    out.sources.push_back(ParseImage(arr.Get(i), "image " + std::to_string(i), out, true, maxPixels, failOnWarning, autoOrient));
  }
  return out;
}

double GetNumber(const Napi::Object& o, const char* key, double fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) Invalid(o.Env(), std::string("option '") + key + "' must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) Invalid(o.Env(), std::string("option '") + key + "' must be finite");
  return d;
}

int GetInt(const Napi::Object& o, const char* key, int fallback) {
  const double d = GetNumber(o, key, fallback);
  if (d != std::floor(d) || d < double(INT32_MIN) || d > double(INT32_MAX))
    Invalid(o.Env(), std::string("option '") + key + "' must be a whole number");
  return static_cast<int>(d);
}

bool GetBool(const Napi::Object& o, const char* key, bool fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) Invalid(o.Env(), std::string("option '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) Invalid(o.Env(), std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::array<float, 3> GetTriple(const Napi::Object& o, const char* key, std::array<float, 3> fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3)
    Invalid(o.Env(), std::string("option '") + key + "' must be an array of 3 numbers");
  std::array<float, 3> out{};
  const Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; ++i) {
    const Napi::Value e = a.Get(i);
    if (!e.IsNumber()) Invalid(o.Env(), std::string("option '") + key + "' must be an array of 3 numbers");
    out[i] = e.As<Napi::Number>().FloatValue();
    if (!std::isfinite(out[i])) Invalid(o.Env(), std::string("option '") + key + "' must hold finite numbers");
  }
  return out;
}

Napi::Object OptionsArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull())
    return Napi::Object::New(info.Env());
  if (!info[index].IsObject()) Invalid(info.Env(), "options must be an object");
  return info[index].As<Napi::Object>();
}

PreprocessSpec ParsePreprocess(const Napi::Object& o, PreprocessSpec d) {
  const std::string resize = GetString(o, "resize", d.mode == ResizeMode::kLetterbox ? "letterbox" : "stretch");
  if (resize == "letterbox") d.mode = ResizeMode::kLetterbox;
  else if (resize == "stretch") d.mode = ResizeMode::kStretch;
  else Invalid(o.Env(), "option 'resize' must be 'letterbox' or 'stretch'");
  d.padValue = static_cast<float>(GetNumber(o, "padValue", d.padValue));
  d.swapRB = GetBool(o, "swapRB", d.swapRB);
  d.scale = static_cast<float>(GetNumber(o, "scale", d.scale));
  d.mean = GetTriple(o, "mean", d.mean);
  d.std = GetTriple(o, "std", d.std);
  for (float s : d.std)
    if (s == 0.f) Invalid(o.Env(), "option 'std' must not contain 0");
  const Napi::Value region = o.Get("region");
  if (!region.IsUndefined() && !region.IsNull()) {
    if (!region.IsArray() || region.As<Napi::Array>().Length() != 4) Invalid(o.Env(), "option 'region' must be [x1, y1, x2, y2]");
    for (uint32_t i = 0; i < 4; ++i) {
      const Napi::Value v = region.As<Napi::Array>().Get(i);
      if (!v.IsNumber()) Invalid(o.Env(), "option 'region' must hold numbers");
      d.region[i] = v.As<Napi::Number>().FloatValue();
    }
    const auto& r = d.region;
    if (!(r[0] >= 0 && r[1] >= 0 && r[2] <= 1 && r[3] <= 1 && r[0] < r[2] && r[1] < r[3]))
      Invalid(o.Env(), "option 'region' must satisfy 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1");
  }
  return d;
}

SessionConfig ParseSessionConfig(const Napi::Object& o) {
  SessionConfig c;
  const Napi::Value providers = o.Get("providers");
  if (!providers.IsUndefined() && !providers.IsNull()) {
    if (!providers.IsArray()) Invalid(o.Env(), "option 'providers' must be an array");
    const Napi::Array a = providers.As<Napi::Array>();
    c.providers.order.clear();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      const Napi::Value e = a.Get(i);
      if (!e.IsString()) Invalid(o.Env(), "option 'providers' must hold strings");
      const std::string name = e.As<Napi::String>().Utf8Value();
      if (name != "cpu" && name != "cuda" && name != "tensorrt")
        Invalid(o.Env(), "unknown execution provider '" + name + "' (cpu, cuda, tensorrt)");
      c.providers.order.push_back(name);
    }
    if (c.providers.order.empty()) c.providers.order.push_back("cpu");
  }
  c.providers.deviceId = GetInt(o, "deviceId", 0);
  c.providers.fp16 = GetBool(o, "fp16", false);
  c.providers.trtInt8 = GetBool(o, "trtInt8", false);
  c.providers.cudaGraph = GetBool(o, "cudaGraph", false);
  c.providers.trtBuilderOptimizationLevel = GetInt(o, "trtBuilderOptimizationLevel", -1);
  const int level = c.providers.trtBuilderOptimizationLevel;
  if (level != -1 && (level < 0 || level > 5)) Invalid(o.Env(), "option 'trtBuilderOptimizationLevel' must be 0 to 5");
  c.providers.trtEngineCacheDir = GetString(o, "trtEngineCacheDir", "");
  c.providers.trtTimingCacheDir = GetString(o, "trtTimingCacheDir", "");
  c.providers.trtMinBatch = GetInt(o, "trtMinBatch", 1);
  c.providers.trtOptBatch = GetInt(o, "trtOptBatch", 16);
  c.providers.trtMaxBatch = GetInt(o, "trtMaxBatch", 32);
  c.providers.trtProfileHeight = GetInt(o, "trtProfileHeight", 0);
  c.providers.trtProfileWidth = GetInt(o, "trtProfileWidth", 0);
  const Napi::Value binding = o.Get("ioBinding");
  if (!binding.IsUndefined() && !binding.IsNull()) c.ioBinding = GetBool(o, "ioBinding", false) ? 1 : 0;
  c.intraOpThreads = GetInt(o, "intraOpThreads", 0);
  c.intraOpSpinning = GetBool(o, "intraOpSpinning", false);
  c.interOpThreads = GetInt(o, "interOpThreads", 0);
  if (c.intraOpThreads < 0 || c.interOpThreads < 0) Invalid(o.Env(), "thread counts must be >= 0");
  return c;
}

namespace {

Napi::Array TensorInfosToJs(Napi::Env env, const std::vector<TensorInfo>& list) {
  Napi::Array arr = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const TensorInfo& t = list[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.name);
    o.Set("type", t.type);
    Napi::Array shape = Napi::Array::New(env, t.shape.size());
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] >= 0) shape.Set(d, Napi::Number::New(env, static_cast<double>(t.shape[d])));
      else shape.Set(d, t.symbolic[d].empty() ? Napi::Value(env.Null()) : Napi::String::New(env, t.symbolic[d]));
    }
    o.Set("shape", shape);
    arr.Set(i, o);
  }
  return arr;
}

}  // namespace

Napi::Object ModelInfoToJs(Napi::Env env, const ModelInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("inputs", TensorInfosToJs(env, info.inputs));
  o.Set("outputs", TensorInfosToJs(env, info.outputs));
  Napi::Object meta = Napi::Object::New(env);
  for (const auto& [k, v] : info.metadata) meta.Set(k, v);
  o.Set("metadata", meta);
  o.Set("producer", info.producer);
  o.Set("graphName", info.graphName);
  o.Set("description", info.description);
  o.Set("domain", info.domain);
  o.Set("version", Napi::Number::New(env, static_cast<double>(info.version)));
  return o;
}

Napi::Array PointsToJs(Napi::Env env, const std::vector<cv::Point2d>& pts) {
  Napi::Array a = Napi::Array::New(env, pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    Napi::Array p = Napi::Array::New(env, 2);
    p.Set(0u, pts[i].x);
    p.Set(1u, pts[i].y);
    a.Set(static_cast<uint32_t>(i), p);
  }
  return a;
}

Napi::Array QuadToJs(Napi::Env env, const Quad& q) { return PointsToJs(env, {q.begin(), q.end()}); }

Napi::Array BoxToJs(Napi::Env env, const cv::Vec4d& b) {
  Napi::Array a = Napi::Array::New(env, 4);
  for (uint32_t i = 0; i < 4; ++i) a.Set(i, b[i]);
  return a;
}

Napi::Array MatrixToJs(Napi::Env env, const cv::Matx33d& m) {
  Napi::Array a = Napi::Array::New(env, 9);
  for (uint32_t i = 0; i < 9; ++i) a.Set(i, m.val[i]);
  return a;
}

Napi::Buffer<uint8_t> MoveToBuffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  if (bytes.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  return Napi::Buffer<uint8_t>::New(env, owned->data(), owned->size(),
                                    [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, owned);
}

Napi::Buffer<uint8_t> MatToBuffer(Napi::Env env, const cv::Mat& mat) {
  cv::Mat* owned = new cv::Mat(mat.isContinuous() ? mat : mat.clone());
  const size_t bytes = owned->total() * owned->elemSize();
  return Napi::Buffer<uint8_t>::New(env, owned->data, bytes, [](Napi::Env, uint8_t*, cv::Mat* m) { delete m; }, owned);
}

Napi::Float32Array FloatPlanesArg(Napi::Env env, const Napi::Value& v, const std::string& what, int planes, int maxSide,
                                   int* width, int* height) {
  if (!v.IsObject()) throw MakeError(env, code::kInvalidArg, what + " is {data, width, height}");
  const Napi::Object m = v.As<Napi::Object>();
  const int w = GetInt(m, "width", 0), h = GetInt(m, "height", 0);
  const Napi::Value d = m.Get("data");
  if (!d.IsTypedArray() || d.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw MakeError(env, code::kInvalidArg, what + ".data must be a Float32Array");
  const Napi::Float32Array data = d.As<Napi::Float32Array>();
  if (w < 1 || h < 1 || w > maxSide || h > maxSide || data.ElementLength() != static_cast<size_t>(planes) * w * h)
    throw MakeError(env, code::kInvalidArg, what + ".data must hold " + (planes == 3 ? "3 x " : "") + "width x height values (" +
                                                (planes == 3 ? "planes R, G, B; " : "") + "sides 1.." + std::to_string(maxSide) + ")");
  *width = w;
  *height = h;
  return data;
}

cv::Mat ToFloatMap(Napi::Env env, const Napi::Value& v, const std::string& what) {
  int w = 0, h = 0;
  const Napi::Float32Array data = FloatPlanesArg(env, v, what, 1, kMaxInputSide, &w, &h);
  cv::Mat out(h, w, CV_32F);
  std::copy_n(data.Data(), data.ElementLength(), out.ptr<float>());
  cv::patchNaNs(out, 0);
  return out;
}

}  // namespace di::binding
