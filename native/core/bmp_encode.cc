#include "core/bmp_encode.h"

#include <algorithm>

#include "util/error.h"

namespace di {

namespace {

void Put16(uint8_t* p, uint32_t v) { p[0] = uint8_t(v), p[1] = uint8_t(v >> 8); }
void Put32(uint8_t* p, uint32_t v) { Put16(p, v), Put16(p + 2, v >> 16); }

}  // namespace

std::vector<uint8_t> EncodeBmp(const cv::Mat& img) {
  if (img.empty() || img.depth() != CV_8U || (img.channels() != 1 && img.channels() != 3))
    throw Error(code::kInternal, "BMP encoding takes an 8-bit BGR or grey image");
  const int channels = img.channels();
  const uint64_t rowBytes = uint64_t(img.cols) * channels, stride = (rowBytes + 3) & ~uint64_t(3);
  const uint64_t pixelsAt = 14 + 40 + (channels == 1 ? 1024 : 0);
  const uint64_t total = pixelsAt + stride * uint64_t(img.rows);
  if (total > UINT32_MAX) throw Error(code::kImageTooLarge, "the image is too large for a BMP (over 4 GiB)");
  std::vector<uint8_t> out(size_t(total), 0);  // the padding stays 0
  uint8_t* d = out.data();
  d[0] = 'B', d[1] = 'M';
  Put32(d + 2, uint32_t(total));
  Put32(d + 10, uint32_t(pixelsAt));
  Put32(d + 14, 40);
  Put32(d + 18, uint32_t(img.cols));
  Put32(d + 22, uint32_t(img.rows));  // positive: bottom-up
  Put16(d + 26, 1);                   // planes
  Put16(d + 28, uint32_t(8 * channels));
  // Compression (none), image size, resolution and colour counts stay 0.
  if (channels == 1)
    for (int i = 0; i < 256; ++i) std::fill(d + 54 + 4 * i, d + 54 + 4 * i + 3, uint8_t(i));
  for (int y = 0; y < img.rows; ++y) {
    const uint8_t* src = img.ptr<uint8_t>(img.rows - 1 - y);
    std::copy(src, src + rowBytes, d + pixelsAt + uint64_t(y) * stride);
  }
  return out;
}

}  // namespace di
