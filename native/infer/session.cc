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
  std::vector<std::string> keys{"device_id", "trt_fp16_enable", "trt_int8_enable", "trt_cuda_graph_enable"};
  std::vector<std::string> vals{std::to_string(pc.deviceId), pc.fp16 ? "1" : "0", pc.trtInt8 ? "1" : "0",
                                pc.cudaGraph ? "1" : "0"};
  if (pc.trtBuilderOptimizationLevel >= 0) {
    keys.push_back("trt_builder_optimization_level");
    vals.push_back(std::to_string(pc.trtBuilderOptimizationLevel));
  }
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
  const char* keys[] = {"device_id", "enable_cuda_graph"};
  const char* vals[] = {dev.c_str(), pc.cudaGraph ? "1" : "0"};
  Ort::ThrowOnError(api.UpdateCUDAProviderOptions(cuda, keys, vals, 2));
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
  if (cfg.intraOpThreads == 0 && cfg.interOpThreads == 0 && !cfg.intraOpSpinning && gSharedPool.load()) {
    so.DisablePerSessionThreads();  // the process-wide pool (ort_env.cc)
    return so;
  }
  // An explicit thread count, or spinning (the shared pool never spins), gets the
  // session its own pool.
  so.SetIntraOpNumThreads(cfg.intraOpThreads > 0 ? cfg.intraOpThreads : UsableCpus());
  so.AddConfigEntry("session.intra_op.allow_spinning", cfg.intraOpSpinning ? "1" : "0");
  if (cfg.interOpThreads > 0) so.SetInterOpNumThreads(cfg.interOpThreads);
  return so;
}

std::unique_ptr<Ort::Session> Open(const ModelSource& src, const Ort::SessionOptions& so) {
  if (src.inMemory) return std::make_unique<Ort::Session>(OrtEnv(), src.bytes, src.length, so);
  return std::make_unique<Ort::Session>(OrtEnv(), src.path.c_str(), so);
}

Error LoadError(const ModelSource& src, const std::string& reason) {
  return Error(code::kModelLoad, "cannot load " + src.label() + ": " + reason);
}

// Before ORT opens anything: a FIFO or a device as the model would block or never end.
void CheckSource(const ModelSource& src) {
  if (src.inMemory) {
    if (src.length == 0) throw Error(code::kModelLoad, "model buffer is empty");
    return;
  }
  uintmax_t size = 0;
  const PathKind kind = ProbePath(src.path, &size);
  if (kind == PathKind::kMissing) throw Error(code::kFileNotFound, "model file not found: " + src.path);
  if (kind == PathKind::kOther) throw Error(code::kModelLoad, "model path " + src.path + " is not a regular file");
}

// TensorRT needs input shapes for its batch profile before the real session
// exists; null when TensorRT is not requested.
std::unique_ptr<ModelInfo> ProbeForTensorRT(const ModelSource& src, const std::vector<std::string>& order) {
  if (std::find(order.begin(), order.end(), "tensorrt") == order.end()) return nullptr;
  try {
    Ort::SessionOptions plain;
    plain.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);
    auto s = Open(src, plain);
    return std::make_unique<ModelInfo>(Introspect(*s));
  } catch (const Ort::Exception& e) {
    throw LoadError(src, e.what());
  }
}

void AppendProvider(Ort::SessionOptions& so, const std::string& name, const ProviderConfig& pc,
                    const ModelInfo* probe) {
  if (name == "tensorrt") AppendTensorRT(so, pc, probe);
  else if (name == "cuda") AppendCuda(so, pc);
  else throw Error(code::kInvalidArg, "unknown execution provider '" + name + "'");
}

// Session options for the chain order[start..]: every provider up to 'cpu'
// appended in turn, with what each append did.
struct ChainOptions {
  Ort::SessionOptions options;
  std::string head;  // the provider the session would use first; "" if none appended and no 'cpu' follows
  std::vector<ProviderAttempt> appended;
};

ChainOptions BuildChainOptions(const SessionConfig& cfg, size_t start, const ModelInfo* probe,
                               OrtLogCapture& capture) {
  ChainOptions chain{BaseOptions(cfg), "", {}};
  const auto& order = cfg.providers.order;
  for (size_t i = start; i < order.size(); ++i) {
    const std::string& name = order[i];
    if (name == "cpu") {
      if (chain.head.empty()) chain.head = "cpu";
      break;  // CPU is always last: later entries are never reached
    }
    ProviderAttempt attempt{name, false, ""};
    try {
      AppendProvider(chain.options, name, cfg.providers, probe);
      attempt.ok = true;
      if (chain.head.empty()) chain.head = name;
    } catch (const std::exception& e) {
      attempt.reason = JoinLog(e.what(), capture.Take());
    }
    chain.appended.push_back(attempt);
  }
  return chain;
}

// The fallback walk so far: the session once a chain opens, and why each
// provider is or is not in use.
struct Selection {
  std::unique_ptr<Ort::Session> session;
  std::string provider;
  std::vector<ProviderAttempt> attempts;
};

void RecordOpened(ChainOptions& chain, Selection& out) {
  out.provider = chain.head;
  for (auto& a : chain.appended) {
    if (a.ok && a.name != out.provider) a.reason = "available, used for nodes " + out.provider + " cannot run";
    out.attempts.push_back(a);
  }
}

void RecordFailed(const ChainOptions& chain, const std::string& reason, Selection& out) {
  out.attempts.push_back({chain.head, false, "session creation failed: " + reason});
  // Providers tried but not the head still get their append outcome recorded.
  for (const auto& a : chain.appended)
    if (a.name != chain.head && !a.ok) out.attempts.push_back(a);
}

// Opens the model with the chain order[start..]. False when the chain has
// nothing to open with (then neither has any shorter one).
bool TryChain(const ModelSource& src, const SessionConfig& cfg, size_t start, const ModelInfo* probe,
              Selection& out) {
  OrtLogCapture capture;  // the appends and the session creation explain failures only in the log
  ChainOptions chain = BuildChainOptions(cfg, start, probe, capture);
  if (chain.head.empty()) {
    out.attempts.insert(out.attempts.end(), chain.appended.begin(), chain.appended.end());
    return false;
  }
  try {
    out.session = Open(src, chain.options);
  } catch (const Ort::Exception& e) {
    const std::string reason = JoinLog(e.what(), capture.Take());
    if (chain.head == "cpu") throw LoadError(src, reason);
    RecordFailed(chain, reason, out);
    return true;
  }
  RecordOpened(chain, out);
  return true;
}

// Tries the requested chain from its head; on failure drops the head and retries,
// so a provider that appends but cannot create a session still falls back.
Selection SelectProvider(const ModelSource& src, const SessionConfig& cfg, const ModelInfo* probe) {
  Selection out;
  for (size_t start = 0; start < cfg.providers.order.size() && !out.session; ++start)
    if (!TryChain(src, cfg, start, probe, out)) break;
  return out;
}

std::string FailureReasons(const std::vector<ProviderAttempt>& attempts) {
  std::string why;
  for (const auto& a : attempts) {
    if (a.ok) continue;
    const std::string reason = a.reason.substr(0, a.reason.find('\n'));
    why += (why.empty() ? "" : "; ") + a.name + ": " + reason;
  }
  return why;
}

// A list without 'cpu' asks for those accelerators only: running a batch-16 GPU job on
// the CPU instead would be a silent 50x slowdown, so say why each one failed. A model
// the CPU cannot load either is the model's fault, not the providers'.
[[noreturn]] void ThrowNoProvider(const ModelSource& src, const SessionConfig& cfg,
                                  const std::vector<ProviderAttempt>& attempts) {
  try {
    Open(src, BaseOptions(cfg));
  } catch (const Ort::Exception& e) {
    throw LoadError(src, e.what());
  }
  throw Error(code::kProviderUnavailable, "none of the requested execution providers could run " + src.label() +
                                              " (" + FailureReasons(attempts) +
                                              "); add 'cpu' to the list to fall back to the CPU");
}

}  // namespace

std::shared_ptr<InferenceSession> InferenceSession::Create(const ModelSource& source, const SessionConfig& cfg) {
  try {
    return CreateOnce(source, cfg);
  } catch (const Error& e) {
    if (!gSharedPool.load() || !IsNoSharedPool(e.what())) throw;
    gSharedPool.store(false);  // every later session, too, gets a pool of its own
    return CreateOnce(source, cfg);
  }
}

std::shared_ptr<InferenceSession> InferenceSession::CreateOnce(const ModelSource& source, const SessionConfig& cfg) {
  CheckSource(source);
  OrtEnv();
  const std::unique_ptr<ModelInfo> probe = ProbeForTensorRT(source, cfg.providers.order);
  Selection chosen = SelectProvider(source, cfg, probe.get());
  if (!chosen.session) ThrowNoProvider(source, cfg, chosen.attempts);
  std::shared_ptr<InferenceSession> self(new InferenceSession());
  self->session_ = std::move(chosen.session);
  self->provider_ = std::move(chosen.provider);
  self->attempts_ = std::move(chosen.attempts);
  self->info_ = Introspect(*self->session_);
  for (const auto& o : self->info_.outputs) self->outputNames_.push_back(o.name);
  const bool gpu = self->provider_ == "cuda" || self->provider_ == "tensorrt";
  self->ioBinding_ = cfg.ioBinding < 0 ? gpu : cfg.ioBinding == 1;
  if (gpu) {
    try {
      const Ort::MemoryInfo pinned("CudaPinned", OrtDeviceAllocator, cfg.providers.deviceId, OrtMemTypeCPUOutput);
      self->pinned_ = std::make_shared<Ort::Allocator>(*self->session_, pinned);
    } catch (const Ort::Exception&) {
      self->pinned_.reset();  // the provider registered no pinned allocator: heap memory, still correct
    }
  }
  return self;
}

InferenceSession::HostBuffer InferenceSession::AllocateInput(size_t floats) {
  HostBuffer b;
  const size_t count = std::max<size_t>(1, floats);
  if (pinned_) {
    std::shared_ptr<Ort::Allocator> owner = pinned_;  // outlives the buffer even if the session goes first
    b.data = std::shared_ptr<float>(static_cast<float*>(owner->Alloc(count * sizeof(float))), [owner](float* p) { owner->Free(p); });
    b.info = owner->GetInfo();
    return b;
  }
  b.data = std::shared_ptr<float>(new float[count], std::default_delete<float[]>());
  b.info = cpuInfo_;
  return b;
}

std::vector<Ort::Value> InferenceSession::Run(const std::vector<std::string>& inputNames,
                                              std::vector<Ort::Value>& inputs) {
  std::vector<const char*> in, out;
  for (const auto& n : inputNames) in.push_back(n.c_str());
  for (const auto& n : outputNames_) out.push_back(n.c_str());
  try {
    if (!ioBinding_) return session_->Run(runOptions_, in.data(), inputs.data(), inputs.size(), out.data(), out.size());
    // Outputs bound to host memory: ORT copies each one back once, into tensors it owns.
    Ort::IoBinding binding(*session_);
    for (size_t i = 0; i < inputs.size(); ++i) binding.BindInput(in[i], inputs[i]);
    for (const char* name : out) binding.BindOutput(name, cpuInfo_);
    session_->Run(runOptions_, binding);
    binding.SynchronizeOutputs();
    return binding.GetOutputValues();
  } catch (const Ort::Exception& e) {
    throw Error(code::kInference, std::string("inference failed: ") + e.what());
  }
}

void InferenceSession::Terminate() { runOptions_.SetTerminate(); }

}  // namespace di
