#include "infer/ort_env.h"

#include <mutex>

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

}  // namespace

Ort::Env& OrtEnv() {
  // Never destroyed: ORT's own static teardown order at process exit is not ours to race.
  static Ort::Env* env = new Ort::Env(ORT_LOGGING_LEVEL_WARNING, "die-inspect", LogSink, nullptr);
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
