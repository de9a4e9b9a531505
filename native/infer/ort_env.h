// The process-wide Ort::Env. ORT allows one per process; its log callback is
// kept so provider failures (only explained in the log) can be shown to users,
// and it owns the intra-op thread pool that sessions share.
#pragma once

#include <string>
#include <vector>

#include <onnxruntime_cxx_api.h>

namespace di {

Ort::Env& OrtEnv();

// CPUs this process may run on: the affinity mask, capped by a container's CPU quota.
int UsableCpus();

// Collects ORT warnings/errors logged on any thread while alive. Scopes nest
// under a mutex, so keep them short (provider setup, session creation).
class OrtLogCapture {
 public:
  OrtLogCapture();
  ~OrtLogCapture();
  std::vector<std::string> Take();
};

}  // namespace di
