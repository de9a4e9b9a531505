#include "infer/ort_env.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#ifdef __linux__
#include <sched.h>
#endif

namespace di {

namespace {

std::mutex gCaptureMutex;  // one capture at a time
std::mutex gLogMutex;      // guards gLog / gCapturing
bool gCapturing = false;
std::vector<std::string> gLog;

void ORT_API_CALL LogSink(void*, OrtLoggingLevel severity, const char* category, const char*, const char* where,
                          const char* message) {
  if (severity < ORT_LOGGING_LEVEL_WARNING) return;
  std::lock_guard<std::mutex> lock(gLogMutex);
  if (!gCapturing) return;
  if (gLog.size() < 64) gLog.emplace_back(message ? message : "");
}

#ifdef __linux__
// A container's CPU quota in whole CPUs (cgroup v2 cpu.max, else v1), 0 if none.
int CgroupCpuQuota() {
  double quota = -1, period = 0;
  if (std::ifstream v2("/sys/fs/cgroup/cpu.max"); v2) {
    std::string q;
    if (v2 >> q >> period && q != "max") quota = std::atof(q.c_str());
  } else {
    std::ifstream q1("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p1("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (!(q1 >> quota && p1 >> period)) quota = -1;
  }
  return quota > 0 && period > 0 ? std::max(1, int(std::ceil(quota / period))) : 0;
}
#endif

}  // namespace

int UsableCpus() {
#ifdef __linux__
  int n = int(std::thread::hardware_concurrency());
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (const int quota = CgroupCpuQuota(); quota > 0) n = std::min(n, quota);
  return std::max(1, n);
#else
  return std::max(1u, std::thread::hardware_concurrency());
#endif
}

Ort::Env& OrtEnv() {
  // Never destroyed: ORT's own static teardown order at process exit is not ours to race.
  static Ort::Env* env = [] {
    // One intra-op pool, one thread per usable CPU, for every session without its own
    // thread count: an Inspector's four models run at once, and a machine-sized pool each
    // would put four threads on every core. No spin-waiting: the pool idles between calls.
    Ort::ThreadingOptions pool;
    pool.SetGlobalIntraOpNumThreads(UsableCpus());
    pool.SetGlobalInterOpNumThreads(1);
    pool.SetGlobalSpinControl(0);
    return new Ort::Env(pool, LogSink, nullptr, ORT_LOGGING_LEVEL_WARNING, "die-inspect");
  }();
  return *env;
}

OrtLogCapture::OrtLogCapture() {
  gCaptureMutex.lock();
  std::lock_guard<std::mutex> lock(gLogMutex);
  gLog.clear();
  gCapturing = true;
}

OrtLogCapture::~OrtLogCapture() {
  {
    std::lock_guard<std::mutex> lock(gLogMutex);
    gCapturing = false;
    gLog.clear();
  }
  gCaptureMutex.unlock();
}

std::vector<std::string> OrtLogCapture::Take() {
  std::lock_guard<std::mutex> lock(gLogMutex);
  std::vector<std::string> out;
  out.swap(gLog);
  return out;
}

}  // namespace di
