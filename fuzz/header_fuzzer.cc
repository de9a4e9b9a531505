// The header sniffer, the JPEG end and EXIF readers and the not-an-image
// message on arbitrary bytes: none may read outside the buffer (the sanitizers
// watch), and each answer stays in its documented range.
#include <cstddef>
#include <cstdint>

#include "core/image_header.h"
#include "support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using di::fuzz::Check;
  if (const auto h = di::PeekImageHeader(data, size)) {
    Check(h->width > 0 && h->height > 0, "a recognised header names a size");
    Check(h->samples >= 1, "a pixel has at least one sample");
    di::fuzz::Guard({di::code::kImageTooLarge}, [&] {
      di::CheckPixels(h->width, h->height, 1u << 24, "fuzz input");
      di::CheckSamples(h->width, h->height, h->samples, 1u << 24, "fuzz input");
    });
  } else {
    Check(!di::NotAnImage(data, size).empty(), "a refusal says why");
  }
  const int o = di::JpegExifOrientation(data, size);
  Check(o >= 1 && o <= 8, "EXIF orientation in 1..8");
  (void)di::JpegHasEnd(data, size);
  return 0;
}
