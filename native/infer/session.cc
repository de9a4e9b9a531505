#include "infer/session.h"

#include <algorithm>
#include <atomic>
#include <sstream>

#include "infer/ort_env.h"
#include "util/error.h"
#include "util/file.h"

namespace di {

std::string ElementTypeName(ONNXTensorElementDataType t) {
  switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return "bool";
    default: return "type" + std::to_string(static_cast<int>(t));
  }
}

namespace {

TensorInfo Describe(const std::string& name, const Ort::TypeInfo& typeInfo) {
  TensorInfo ti;
  ti.name = name;
  if (typeInfo.GetONNXType() != ONNX_TYPE_TENSOR) {
    ti.type = "non-tensor";
    return ti;
  }
  auto tensor = typeInfo.GetTensorTypeAndShapeInfo();
  ti.type = ElementTypeName(tensor.GetElementType());
  ti.shape = tensor.GetShape();
  const auto sym = tensor.GetSymbolicDimensions();
  for (size_t i = 0; i < ti.shape.size(); ++i) {
    ti.symbolic.emplace_back(i < sym.size() && sym[i] ? sym[i] : "");
    if (ti.shape[i] < 0) ti.shape[i] = -1;
  }
  return ti;
}

ModelInfo Introspect(Ort::Session& s) {
  ModelInfo info;
  Ort::AllocatorWithDefaultOptions alloc;
  for (size_t i = 0; i < s.GetInputCount(); ++i)
    info.inputs.push_back(Describe(s.GetInputNameAllocated(i, alloc).get(), s.GetInputTypeInfo(i)));
  for (size_t i = 0; i < s.GetOutputCount(); ++i)
    info.outputs.push_back(Describe(s.GetOutputNameAllocated(i, alloc).get(), s.GetOutputTypeInfo(i)));
  Ort::ModelMetadata meta = s.GetModelMetadata();
  info.producer = meta.GetProducerNameAllocated(alloc).get();
  info.graphName = meta.GetGraphNameAllocated(alloc).get();
  info.description = meta.GetDescriptionAllocated(alloc).get();
  info.domain = meta.GetDomainAllocated(alloc).get();
  info.version = meta.GetVersion();
  for (auto& key : meta.GetCustomMetadataMapKeysAllocated(alloc)) {
    auto value = meta.LookupCustomMetadataMapAllocated(key.get(), alloc);
    info.metadata[key.get()] = value ? value.get() : "";
  }
  return info;
}

// ORT prefixes messages with a source location and status ("... : FAIL : "); the
// part after it is what a user can act on.
std::string Actionable(const std::string& message) {
  const auto pos = message.rfind(" : FAIL : ");
  std::string out = pos == std::string::npos ? message : message.substr(pos + 10);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string JoinLog(const std::string& head, const std::vector<std::string>& log) {
  std::string out = Actionable(head);
  for (const auto& raw : log) {
    const std::string line = Actionable(raw);
    if (out.find(line) == std::string::npos) out += (out.empty() ? "" : " | ") + line;
  }
  return out;
}

// "images:1x3x640x640" for a TensorRT optimisation profile.
std::string ProfileShape(const TensorInfo& in, int batch, const ProviderConfig& pc) {
  std::string s = in.name + ":";
  for (size_t d = 0; d < in.shape.size(); ++d) {
    int64_t v = in.shape[d];
    if (v < 0) {
      if (d == 0) v = batch;
      else if (d == in.shape.size() - 2) v = pc.trtProfileHeight > 0 ? pc.trtProfileHeight : 640;
      else if (d == in.shape.size() - 1) v = pc.trtProfileWidth > 0 ? pc.trtProfileWidth : 640;
      else v = 3;
    }
    s += (d ? "x" : "") + std::to_string(v);
  }
  return s;
}

bool HasDynamicDims(const ModelInfo& info) {
  for (const auto& in : info.inputs)
    for (int64_t v : in.shape)
      if (v < 0) return true;
  return false;
}

void AppendTensorRT(Ort::SessionOptions& so, const ProviderConfig& pc, const ModelInfo* probe) {
  const OrtApi& api = Ort::GetApi();
  OrtTensorRTProviderOptionsV2* trt = nullptr;
  Ort::ThrowOnError(api.CreateTensorRTProviderOptions(&trt));
  std::unique_ptr<OrtTensorRTProviderOptionsV2, decltype(api.ReleaseTensorRTProviderOptions)> guard(
      trt, api.ReleaseTensorRTProviderOptions);
  std::vector<std::string> keys{"device_id", "trt_fp16_enable"};
  std::vector<std::string> vals{std::to_string(pc.deviceId), pc.fp16 ? "1" : "0"};
  if (!pc.trtEngineCacheDir.empty()) {
    keys.insert(keys.end(), {"trt_engine_cache_enable", "trt_engine_cache_path"});
    vals.insert(vals.end(), {"1", pc.trtEngineCacheDir});
  }
  if (!pc.trtTimingCacheDir.empty()) {
    keys.insert(keys.end(), {"trt_timing_cache_enable", "trt_timing_cache_path"});
    vals.insert(vals.end(), {"1", pc.trtTimingCacheDir});
  }
  if (probe && HasDynamicDims(*probe)) {
    std::string mn, op, mx;
    for (const auto& in : probe->inputs) {
      if (in.shape.size() != 4) continue;  // only image-like inputs get a batch profile
      mn += (mn.empty() ? "" : ",") + ProfileShape(in, pc.trtMinBatch, pc);
      op += (op.empty() ? "" : ",") + ProfileShape(in, pc.trtOptBatch, pc);
      mx += (mx.empty() ? "" : ",") + ProfileShape(in, pc.trtMaxBatch, pc);
    }
    if (!mn.empty()) {
      keys.insert(keys.end(), {"trt_profile_min_shapes", "trt_profile_opt_shapes", "trt_profile_max_shapes"});
      vals.insert(vals.end(), {mn, op, mx});
    }
  }
  std::vector<const char*> k, v;
  for (size_t i = 0; i < keys.size(); ++i) {
    k.push_back(keys[i].c_str());
    v.push_back(vals[i].c_str());
  }
  Ort::ThrowOnError(api.UpdateTensorRTProviderOptions(trt, k.data(), v.data(), k.size()));
  so.AppendExecutionProvider_TensorRT_V2(*trt);
}

void AppendCuda(Ort::SessionOptions& so, const ProviderConfig& pc) {
  const OrtApi& api = Ort::GetApi();
  OrtCUDAProviderOptionsV2* cuda = nullptr;
  Ort::ThrowOnError(api.CreateCUDAProviderOptions(&cuda));
  std::unique_ptr<OrtCUDAProviderOptionsV2, decltype(api.ReleaseCUDAProviderOptions)> guard(
      cuda, api.ReleaseCUDAProviderOptions);
  const std::string dev = std::to_string(pc.deviceId);
  const char* keys[] = {"device_id"};
  const char* vals[] = {dev.c_str()};
  Ort::ThrowOnError(api.UpdateCUDAProviderOptions(cuda, keys, vals, 1));
  so.AppendExecutionProvider_CUDA_V2(*cuda);
}

// Whether sessions can use the Env's shared pool. Not when another library in the
// process (onnxruntime-node's own API) created ORT's one Env first, without the pool:
// found out by the first session that tries, and remembered.
std::atomic<bool> gSharedPool{true};

bool IsNoSharedPool(const std::string& message) {
  return message.find("EnvCreatedWithGlobalThreadPools") != std::string::npos;
}

Ort::SessionOptions BaseOptions(const SessionConfig& cfg) {
  Ort::SessionOptions so;
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  if (cfg.intraOpThreads == 0 && cfg.interOpThreads == 0 && gSharedPool.load()) {
    so.DisablePerSessionThreads();  // the process-wide pool (ort_env.cc)
    return so;
  }
  // An explicit thread count gets the session its own pool of that size.
  so.SetIntraOpNumThreads(cfg.intraOpThreads > 0 ? cfg.intraOpThreads : UsableCpus());
  so.AddConfigEntry("session.intra_op.allow_spinning", "0");
  if (cfg.interOpThreads > 0) so.SetInterOpNumThreads(cfg.interOpThreads);
  return so;
}

std::unique_ptr<Ort::Session> Open(const std::string& path, const uint8_t* bytes, size_t length,
                                   const Ort::SessionOptions& so) {
  if (bytes) return std::make_unique<Ort::Session>(OrtEnv(), bytes, length, so);
  return std::make_unique<Ort::Session>(OrtEnv(), path.c_str(), so);
}

}  // namespace

std::shared_ptr<InferenceSession> InferenceSession::Create(const std::string& path, const uint8_t* bytes,
                                                           size_t length, const SessionConfig& cfg) {
  try {
    return CreateOnce(path, bytes, length, cfg);
  } catch (const Error& e) {
    if (!gSharedPool.load() || !IsNoSharedPool(e.what())) throw;
    gSharedPool.store(false);  // every later session, too, gets a pool of its own
    return CreateOnce(path, bytes, length, cfg);
  }
}

std::shared_ptr<InferenceSession> InferenceSession::CreateOnce(const std::string& path, const uint8_t* bytes,
                                                               size_t length, const SessionConfig& cfg) {
  if (!bytes) {
    uintmax_t size = 0;
    const PathKind kind = ProbePath(path, &size);
    if (kind == PathKind::kMissing) throw Error(code::kFileNotFound, "model file not found: " + path);
    if (kind == PathKind::kOther) throw Error(code::kModelLoad, "model path " + path + " is not a regular file");
  } else if (length == 0) {
    throw Error(code::kModelLoad, "model buffer is empty");
  }
  std::shared_ptr<InferenceSession> self(new InferenceSession());
  OrtEnv();
  const std::string what = bytes ? std::string("model buffer") : path;

  // TensorRT needs input shapes for its batch profile before the real session exists.
  std::unique_ptr<ModelInfo> probeInfo;
  const auto& order = cfg.providers.order;
  if (std::find(order.begin(), order.end(), "tensorrt") != order.end()) {
    try {
      Ort::SessionOptions plain;
      plain.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
      auto s = Open(path, bytes, length, plain);
      probeInfo = std::make_unique<ModelInfo>(Introspect(*s));
    } catch (const Ort::Exception& e) {
      throw Error(code::kModelLoad, "cannot load " + what + ": " + e.what());
    }
  }

  // Try the requested chain from its head; on failure drop the head and retry,
  // so a provider that appends but cannot create a session still falls back.
  for (size_t start = 0; start < order.size() && !self->session_; ++start) {
    Ort::SessionOptions so = BaseOptions(cfg);
    std::string head;
    OrtLogCapture capture;
    std::vector<ProviderAttempt> appended;
    for (size_t i = start; i < order.size(); ++i) {
      const std::string& name = order[i];
      if (name == "cpu") {
        if (head.empty()) head = "cpu";
        break;  // CPU is always last: later entries are never reached
      }
      ProviderAttempt attempt{name, false, ""};
      try {
        if (name == "tensorrt") AppendTensorRT(so, cfg.providers, probeInfo.get());
        else if (name == "cuda") AppendCuda(so, cfg.providers);
        else throw Error(code::kInvalidArg, "unknown execution provider '" + name + "'");
        attempt.ok = true;
        if (head.empty()) head = name;
      } catch (const std::exception& e) {
        attempt.reason = JoinLog(e.what(), capture.Take());
      }
      appended.push_back(attempt);
    }
    if (head.empty()) {  // nothing appended and no 'cpu' in the rest of the list: no session to try
      self->attempts_.insert(self->attempts_.end(), appended.begin(), appended.end());
      break;
    }
    try {
      self->session_ = Open(path, bytes, length, so);
      self->provider_ = head;
      for (auto& a : appended) {
        if (a.ok && a.name != self->provider_) a.reason = "available, used for nodes " + self->provider_ + " cannot run";
        self->attempts_.push_back(a);
      }
    } catch (const Ort::Exception& e) {
      const std::string reason = JoinLog(e.what(), capture.Take());
      if (head == "cpu") throw Error(code::kModelLoad, "cannot load " + what + ": " + reason);
      self->attempts_.push_back({head, false, "session creation failed: " + reason});
      // Providers tried but not the head still get their append outcome recorded.
      for (auto& a : appended)
        if (a.name != head && !a.ok) self->attempts_.push_back(a);
    }
  }
  if (!self->session_) {
    // A list without 'cpu' asks for those accelerators only: running a batch-16 GPU job on
    // the CPU instead would be a silent 50x slowdown, so say why each one failed. A model
    // the CPU cannot load either is the model's fault, not the providers'.
    try {
      Open(path, bytes, length, BaseOptions(cfg));
    } catch (const Ort::Exception& e) {
      throw Error(code::kModelLoad, "cannot load " + what + ": " + e.what());
    }
    std::string why;
    for (const auto& a : self->attempts_) {
      if (a.ok) continue;
      const std::string reason = a.reason.substr(0, a.reason.find('\n'));
      why += (why.empty() ? "" : "; ") + a.name + ": " + reason;
    }
    throw Error(code::kProviderUnavailable, "none of the requested execution providers could run " + what + " (" + why +
                                                "); add 'cpu' to the list to fall back to the CPU");
  }
  self->info_ = Introspect(*self->session_);
  for (const auto& o : self->info_.outputs) self->outputNames_.push_back(o.name);
  return self;
}

std::vector<Ort::Value> InferenceSession::Run(const std::vector<std::string>& inputNames,
                                              std::vector<Ort::Value>& inputs) {
  std::vector<const char*> in, out;
  for (const auto& n : inputNames) in.push_back(n.c_str());
  for (const auto& n : outputNames_) out.push_back(n.c_str());
  try {
    return session_->Run(runOptions_, in.data(), inputs.data(), inputs.size(), out.data(), out.size());
  } catch (const Ort::Exception& e) {
    throw Error(code::kInference, std::string("inference failed: ") + e.what());
  }
}

void InferenceSession::Terminate() { runOptions_.SetTerminate(); }

}  // namespace di
