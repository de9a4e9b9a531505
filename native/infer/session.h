// One loaded ONNX model: execution-provider selection with fallbacks, model
// introspection, and thread-safe Run (ORT sessions may run concurrently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <onnxruntime_cxx_api.h>

namespace di {

struct ProviderConfig {
  std::vector<std::string> order{"cpu"};  // tried in turn: "tensorrt", "cuda", "cpu"
  int deviceId = 0;
  bool fp16 = false;                 // TensorRT fp16 kernels
  bool trtInt8 = false;              // TensorRT INT8 kernels (a QDQ model gives the scales)
  bool cudaGraph = false;            // capture the run as a CUDA graph (TensorRT and CUDA)
  int trtBuilderOptimizationLevel = -1;  // 0..5; -1: TensorRT's own default (3)
  std::string trtEngineCacheDir;     // empty: no engine cache
  std::string trtTimingCacheDir;     // empty: no timing cache
  int trtMinBatch = 1, trtOptBatch = 16, trtMaxBatch = 32;
  int trtProfileHeight = 0, trtProfileWidth = 0;  // for dynamic H/W inputs; 0: model's or 640
};

struct SessionConfig {
  ProviderConfig providers;
  int intraOpThreads = 0;  // 0: one per CPU this process may use
  int interOpThreads = 0;
  bool intraOpSpinning = false;  // true: a pool of its own whose idle threads spin-wait
  bool enableProfiling = false;
  // Runs through an ORT I/O binding: -1 for CUDA and TensorRT only, 0 never, 1 always.
  int ioBinding = -1;
};

struct TensorInfo {
  std::string name;
  std::string type;                   // "float32", "int64", ...
  std::vector<int64_t> shape;         // -1 for symbolic dims
  std::vector<std::string> symbolic;  // name of each symbolic dim ("" when fixed)
};

struct ModelInfo {
  std::vector<TensorInfo> inputs, outputs;
  std::map<std::string, std::string> metadata;  // custom metadata map
  std::string producer, graphName, description, domain;
  int64_t version = 0;
};

// A model to load: a file, or bytes in memory that the caller keeps alive until
// Create returns. An empty buffer is still a buffer (its own error), not a path.
struct ModelSource {
  std::string path;
  const uint8_t* bytes = nullptr;
  size_t length = 0;
  bool inMemory = false;

  static ModelSource File(std::string path) {
    ModelSource s;
    s.path = std::move(path);
    return s;
  }
  static ModelSource Buffer(const uint8_t* bytes, size_t length) {
    ModelSource s;
    s.bytes = bytes;
    s.length = length;
    s.inMemory = true;
    return s;
  }
  // The source as error messages name it.
  std::string label() const { return inMemory ? "model buffer" : path; }
};

struct ProviderAttempt {
  std::string name;
  bool ok = false;
  std::string reason;  // why it is not in use (ORT's message and log lines)
};

class InferenceSession {
 public:
  // Throws ERR_MODEL_LOAD, ERR_FILE_NOT_FOUND or ERR_PROVIDER_UNAVAILABLE.
  static std::shared_ptr<InferenceSession> Create(const ModelSource& source, const SessionConfig& config);

  const ModelInfo& info() const { return info_; }
  const std::string& provider() const { return provider_; }
  const std::vector<ProviderAttempt>& attempts() const { return attempts_; }

  // Runs with the given inputs (names parallel to values) and returns all outputs.
  std::vector<Ort::Value> Run(const std::vector<std::string>& inputNames, std::vector<Ort::Value>& inputs);

  // Host memory for an input batch: page-locked (the CUDA provider's pinned
  // allocator) where the session has it, so the batch goes to the device in one
  // copy; ordinary heap memory otherwise. `info` describes it for CreateTensor.
  struct HostBuffer {
    std::shared_ptr<float> data;
    const OrtMemoryInfo* info = nullptr;
  };
  HostBuffer AllocateInput(size_t floats);

  bool ioBinding() const { return ioBinding_; }
  bool pinnedInput() const { return pinned_ != nullptr; }

  // Signals in-flight Run calls to stop early (used by close()).
  void Terminate();

 private:
  InferenceSession() = default;
  // One try; Create retries once with per-session pools when the Env has no shared one.
  static std::shared_ptr<InferenceSession> CreateOnce(const ModelSource& source, const SessionConfig& config);
  std::unique_ptr<Ort::Session> session_;
  ModelInfo info_;
  std::string provider_;
  std::vector<ProviderAttempt> attempts_;
  std::vector<std::string> outputNames_;
  Ort::RunOptions runOptions_;
  bool ioBinding_ = false;
  std::shared_ptr<Ort::Allocator> pinned_;  // null: no pinned memory for this provider
  Ort::MemoryInfo cpuInfo_ = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
};

std::string ElementTypeName(ONNXTensorElementDataType t);

}  // namespace di
