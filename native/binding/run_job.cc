// session.run(feeds): a raw model call. Inputs are wrapped in place (no copy);
// outputs are handed to JavaScript as external buffers that own the ORT tensor.
#include <cmath>
#include <cstdint>
#include <random>

#include "binding/jobs.h"
#include "binding/promise_worker.h"

namespace di::binding {

namespace {

struct Feed {
  std::string name;
  ONNXTensorElementDataType type;
  void* data;
  size_t bytes;
  std::vector<int64_t> dims;
};

ONNXTensorElementDataType FeedType(const Napi::TypedArray& ta, const std::string& declared, size_t& elemSize) {
  switch (ta.TypedArrayType()) {
    case napi_float32_array: elemSize = 4; return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case napi_float64_array: elemSize = 8; return ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE;
    case napi_int32_array: elemSize = 4; return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case napi_bigint64_array: elemSize = 8; return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    case napi_int8_array: elemSize = 1; return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8;
    case napi_uint8_array:
      elemSize = 1;
      return declared == "bool" ? ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL : ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    default: elemSize = 0; return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
}

Napi::Value OutputArray(Napi::Env env, Ort::Value* owned, ONNXTensorElementDataType type, size_t count) {
  void* data = owned->GetTensorMutableRawData();
  size_t elem = 0;
  napi_typedarray_type t;
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: t = napi_float32_array; elem = 4; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: t = napi_float64_array; elem = 8; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: t = napi_int32_array; elem = 4; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: t = napi_bigint64_array; elem = 8; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: t = napi_uint8_array; elem = 1; break;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: t = napi_int8_array; elem = 1; break;
    default:
      delete owned;
      throw MakeError(env, code::kOutputLayout, "output type " + ElementTypeName(type) + " is not supported by run()");
  }
  Napi::ArrayBuffer ab;
  if (count == 0) {
    // An external buffer without data would reach JavaScript detached.
    delete owned;
    ab = Napi::ArrayBuffer::New(env, 0);
  } else {
    try {
      ab = Napi::ArrayBuffer::New(env, data, count * elem, [](Napi::Env, void*, Ort::Value* v) { delete v; }, owned);
    } catch (...) {
      delete owned;
      throw;
    }
  }
  napi_value out;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, t, count, ab, 0, &out), Napi::Value());
  return Napi::Value(env, out);
}

class RunJob : public PromiseWorker {
 public:
  RunJob(Napi::Env env, SessionPtr session, std::vector<Feed> feeds, std::vector<BufferPin> owners)
      : PromiseWorker(env), session_(std::move(session)), feeds_(std::move(feeds)), owners_(std::move(owners)) {}

 protected:
  void Run() override {
    const Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    std::vector<std::string> names;
    std::vector<Ort::Value> values;
    for (Feed& f : feeds_) {
      names.push_back(f.name);
      values.push_back(Ort::Value::CreateTensor(mem, f.data, f.bytes, f.dims.data(), f.dims.size(), f.type));
    }
    outputs_ = session_->Run(names, values);
    const auto& infos = session_->info().outputs;
    for (size_t i = 0; i < outputs_.size(); ++i) {
      if (!outputs_[i].IsTensor())
        throw Error(code::kOutputLayout, "output '" + infos[i].name + "' is a sequence or map; run() returns tensors only");
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object out = Napi::Object::New(env);
    const auto& infos = session_->info().outputs;
    for (size_t i = 0; i < outputs_.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      auto ti = outputs_[i].GetTensorTypeAndShapeInfo();
      const std::vector<int64_t> shape = ti.GetShape();
      Napi::Array dims = Napi::Array::New(env, shape.size());
      for (size_t d = 0; d < shape.size(); ++d) dims.Set(d, Napi::Number::New(env, static_cast<double>(shape[d])));
      const auto type = ti.GetElementType();
      const size_t count = ti.GetElementCount();
      o.Set("dims", dims);
      o.Set("type", ElementTypeName(type));
      o.Set("data", OutputArray(env, new Ort::Value(std::move(outputs_[i])), type, count));
      out.Set(infos[i].name, o);
    }
    return out;
  }

 private:
  SessionPtr session_;
  std::vector<Feed> feeds_;
  std::vector<BufferPin> owners_;
  std::vector<Ort::Value> outputs_;
};

}  // namespace

Napi::Value StartRun(const Napi::CallbackInfo& info, SessionPtr session) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw MakeError(env, code::kInvalidArg, "run(feeds): feeds must be {inputName: {data, dims}}");
  const Napi::Object feedsObj = info[0].As<Napi::Object>();
  std::vector<Feed> feeds;
  std::vector<BufferPin> owners;
  for (const TensorInfo& in : session->info().inputs) {
    const Napi::Value fv = feedsObj.Get(in.name);
    if (!fv.IsObject()) throw MakeError(env, code::kInvalidArg, "run(): input '" + in.name + "' missing");
    const Napi::Object f = fv.As<Napi::Object>();
    const Napi::Value data = f.Get("data");
    const Napi::Value dimsV = f.Get("dims");
    if (!data.IsTypedArray() || !dimsV.IsArray())
      throw MakeError(env, code::kInvalidArg, "run(): input '" + in.name + "' needs data (TypedArray) and dims");
    const Napi::TypedArray ta = data.As<Napi::TypedArray>();
    size_t elem = 0;
    Feed feed{in.name, FeedType(ta, in.type, elem), nullptr, 0, {}};
    if (elem == 0) throw MakeError(env, code::kInvalidArg, "run(): input '" + in.name + "' has an unsupported array type");
    if (ElementTypeName(feed.type) != in.type)
      throw MakeError(env, code::kModelInput, "run(): input '" + in.name + "' is " + in.type + ", got " +
                                                  ElementTypeName(feed.type) + " data");
    const Napi::Array dims = dimsV.As<Napi::Array>();
    if (dims.Length() != in.shape.size())
      throw MakeError(env, code::kModelInput, "run(): input '" + in.name + "' needs rank " +
                                                  std::to_string(in.shape.size()) + ", got " +
                                                  std::to_string(dims.Length()));
    size_t count = 1;
    for (uint32_t d = 0; d < dims.Length(); ++d) {
      const Napi::Value dv = dims.Get(d);
      const double v = dv.IsNumber() ? dv.As<Napi::Number>().DoubleValue() : -1;
      if (!(v >= 0 && v <= 9007199254740991.0) || v != std::floor(v))
        throw MakeError(env, code::kInvalidArg, "run(): dims of '" + in.name + "' must be non-negative integers");
      if (in.shape[d] >= 0 && in.shape[d] != static_cast<int64_t>(v))
        throw MakeError(env, code::kModelInput, "run(): input '" + in.name + "' dim " + std::to_string(d) +
                                                    " must be " + std::to_string(in.shape[d]));
      feed.dims.push_back(static_cast<int64_t>(v));
      if (v != 0 && count > SIZE_MAX / static_cast<size_t>(v))
        throw MakeError(env, code::kInvalidArg, "run(): dims of '" + in.name + "' overflow");
      count *= static_cast<size_t>(v);
    }
    if (count != ta.ElementLength())
      throw MakeError(env, code::kInvalidArg, "run(): input '" + in.name + "' has " +
                                                  std::to_string(ta.ElementLength()) + " elements, dims need " +
                                                  std::to_string(count));
    feed.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    feed.bytes = count * elem;
    feeds.push_back(std::move(feed));
    owners.emplace_back(data.As<Napi::Object>());
  }
  return (new RunJob(env, std::move(session), std::move(feeds), std::move(owners)))->Start();
}

}  // namespace di::binding
