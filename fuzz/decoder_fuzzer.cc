// One encoded-image decoder on arbitrary bytes, compiled once per format
// (DI_FUZZ_FORMAT: 0 JPEG, 1 PNG, 2 BMP, 3 TIFF). Properties: a typed decode
// error or an 8-bit BGR image of exactly the size its header promised (the
// pixel limit is checked against the header, so a decoder that produced another
// size would slip past it); `warning` only ever set when warnings do not fail.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bmp_decode.h"
#include "core/image_header.h"
#include "core/jpeg_decode.h"
#include "core/png_decode.h"
#include "core/tiff_decode.h"
#include "support.h"

namespace {

constexpr uint64_t kMaxPixels = 1u << 22;  // 4 Mpx: big enough for any seed, small enough to stay fast

cv::Mat Decode(const uint8_t* data, size_t size, int scale, bool failOnWarning, std::string* warning) {
  const std::string what = "fuzz input";
#if DI_FUZZ_FORMAT == 0
  return di::DecodeJpeg(data, size, scale, kMaxPixels, failOnWarning, what, warning);
#elif DI_FUZZ_FORMAT == 1
  return di::DecodePng(data, size, kMaxPixels, failOnWarning, what, warning);
#elif DI_FUZZ_FORMAT == 2
  return di::DecodeBmp(data, size, kMaxPixels, failOnWarning, what, warning);
#else
  return di::DecodeTiff(data, size, kMaxPixels, failOnWarning, what, warning);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The options come from the length, so that every byte stays the image's own.
  const int scale = DI_FUZZ_FORMAT == 0 ? 1 << (size % 4) : 1;
  const bool failOnWarning = (size / 4) % 2 == 0;
  const auto header = di::PeekImageHeader(data, size);
  di::fuzz::Guard({di::code::kImageDecode, di::code::kImageTooLarge}, [&] {
    std::string warning;
    const cv::Mat img = Decode(data, size, scale, failOnWarning, &warning);
    di::fuzz::Check(!img.empty() && img.type() == CV_8UC3, "a decoded image is 8-bit BGR");
    di::fuzz::Check(uint64_t(img.total()) <= kMaxPixels, "a decoded image is within the pixel limit");
    di::fuzz::Check(!failOnWarning || warning.empty(), "warning set although warnings fail the image");
    if (header) {
      const uint64_t w = (header->width + scale - 1) / scale, h = (header->height + scale - 1) / scale;
      di::fuzz::Check(uint64_t(img.cols) == w && uint64_t(img.rows) == h,
                      "decoded " + std::to_string(img.cols) + "x" + std::to_string(img.rows) + ", header says " +
                          std::to_string(w) + "x" + std::to_string(h));
    }
  });
  return 0;
}
