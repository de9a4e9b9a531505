// Typed errors shared by every native module. The `code` crosses to JavaScript
// unchanged (err.code), so callers can branch on it without parsing messages.
#pragma once

#include <stdexcept>
#include <string>

namespace di {

namespace code {
inline constexpr const char* kInvalidArg = "ERR_INVALID_ARG";
inline constexpr const char* kFileNotFound = "ERR_FILE_NOT_FOUND";
inline constexpr const char* kImageDecode = "ERR_IMAGE_DECODE";
inline constexpr const char* kImageTooLarge = "ERR_IMAGE_TOO_LARGE";
inline constexpr const char* kModelLoad = "ERR_MODEL_LOAD";
inline constexpr const char* kProviderUnavailable = "ERR_PROVIDER_UNAVAILABLE";
inline constexpr const char* kModelInput = "ERR_MODEL_INPUT";
inline constexpr const char* kOutputLayout = "ERR_OUTPUT_LAYOUT";
inline constexpr const char* kNanOutput = "ERR_NAN_OUTPUT";
inline constexpr const char* kInference = "ERR_INFERENCE";
inline constexpr const char* kSessionClosed = "ERR_SESSION_CLOSED";
inline constexpr const char* kRoiNotFound = "ERR_ROI_NOT_FOUND";
inline constexpr const char* kAlign = "ERR_ALIGN";
inline constexpr const char* kInternal = "ERR_INTERNAL";
}  // namespace code

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// A per-item failure that must not abort the rest of a batch.
struct ItemError {
  std::string code;
  std::string message;
  bool ok() const { return code.empty(); }
};

}  // namespace di
