// Where an image comes from and how it becomes a BGR cv::Mat. Decoding runs on
// worker threads, so sources only point at memory that JavaScript keeps alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include <opencv2/core.hpp>

#include "core/align.h"

namespace di {

// Pixels an input may have before it is refused unread (16383 x 16383, the limit
// image libraries conventionally default to); 0 lifts the limit.
inline constexpr uint64_t kDefaultMaxPixels = 16383ull * 16383ull;

struct ImageSource {
  enum class Kind { kPath, kEncoded, kRaw };
  Kind kind = Kind::kPath;
  std::string path;               // kPath
  const uint8_t* data = nullptr;  // kEncoded / kRaw: borrowed, owner pinned by the binding
  size_t length = 0;
  int width = 0, height = 0, channels = 0;  // kRaw: interleaved, 8-bit, BGR(A) or gray
  bool rgb = false;                         // kRaw: channel order is RGB(A) instead of BGR(A)
  // Set: the image is loaded as (image, reference, difference), see core/reference_pair.h.
  std::shared_ptr<const ImageSource> reference;
  bool alignReference = false;  // register the reference to the image first (core/align.h)
  uint64_t maxPixels = kDefaultMaxPixels;  // checked against the header, before decoding
  bool failOnWarning = true;  // corrupt data the decoder can paper over still fails (failOn: 'warning')
  bool autoOrient = false;    // a JPEG is turned upright by its EXIF Orientation (autoOrient: true)
};

// Decodes (or wraps) a source into an 8-bit 3-channel BGR image; a source with
// a reference becomes its reference pair.
// Throws di::Error with ERR_FILE_NOT_FOUND, ERR_IMAGE_DECODE (also for any format
// but JPEG, PNG, BMP and TIFF), ERR_IMAGE_TOO_LARGE (over maxPixels), ERR_INVALID_ARG
// or (a reference that cannot be registered) ERR_ALIGN.
// `registration`, when given, receives what aligning a reference found; `warning`,
// what the decoder let pass when failOnWarning is off (empty when nothing).
cv::Mat LoadBgr(const ImageSource& src, Registration* registration = nullptr, std::string* warning = nullptr);

// As LoadBgr, but a JPEG that is headed for a much smaller model input is
// decoded at reduced scale (never below the target size). `original` receives
// the full-resolution size, which coordinates must be mapped back to. A
// reference pair is decoded at full size (the difference is taken pixel for pixel).
cv::Mat LoadBgrForTarget(const ImageSource& src, int targetWidth, int targetHeight, cv::Size* original,
                         Registration* registration = nullptr, std::string* warning = nullptr);

// Whether a per-image result type carries the decoder's `warning` to report.
template <class T, class = void>
struct HasWarning : std::false_type {};
template <class T>
struct HasWarning<T, std::void_t<decltype(T::warning)>> : std::true_type {};

// Reads a whole file; throws ERR_FILE_NOT_FOUND.
std::string ReadFile(const std::string& path);

}  // namespace di
