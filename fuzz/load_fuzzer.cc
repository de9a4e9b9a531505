// The path every encoded image takes (LoadBgrForTarget): header check, format
// dispatch, JPEG decode at reduced scale for a target size, EXIF orientation.
// Properties: a typed error, or an 8-bit BGR image whose full-resolution size
// is the header's (turned for EXIF orientations 5-8) and which is never smaller
// than the target asked for.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/image.h"
#include "core/image_header.h"
#include "support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  di::ImageSource src;
  src.kind = di::ImageSource::Kind::kEncoded;
  src.data = data;
  src.length = size;
  src.maxPixels = 1u << 22;
  src.failOnWarning = size % 2 == 0;
  src.autoOrient = (size / 2) % 2 == 0;
  const int target = (size / 4) % 3 == 0 ? 0 : int(16 << (size % 5));  // 0: full size
  const auto header = di::PeekImageHeader(data, size);
  di::fuzz::Guard({di::code::kImageDecode, di::code::kImageTooLarge}, [&] {
    cv::Size original;
    std::string warning;
    const cv::Mat img = di::LoadBgrForTarget(src, target, target, &original, nullptr, &warning);
    di::fuzz::Check(!img.empty() && img.type() == CV_8UC3, "a loaded image is 8-bit BGR");
    di::fuzz::Check(header.has_value(), "only a recognised header decodes");
    const bool turned = src.autoOrient && header->format == di::ImageFormat::kJpeg &&
                        di::JpegExifOrientation(data, size) >= 5;
    const int w = int(turned ? header->height : header->width), h = int(turned ? header->width : header->height);
    di::fuzz::Check(original.width == w && original.height == h, "the full size is the header's");
    di::fuzz::Check(img.cols <= w && img.rows <= h, "a reduced decode is no larger than the image");
    if (target > 0)
      di::fuzz::Check(img.cols >= std::min(w, target) || img.rows >= std::min(h, target),
                      "a reduced decode keeps at least the target resolution");
  });
  return 0;
}
