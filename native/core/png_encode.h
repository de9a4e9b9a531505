// PNG encoding straight through libpng, with handlers of our own (libpng's
// defaults print to stderr).
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace di {

// Encodes an 8-bit BGR or grey image (or a 16-bit grey one, as a 16-bit PNG:
// saliency maps) as a non-interlaced 8-bit RGB or grey PNG
// with no chunks but IHDR, IDAT and IEND. `compression` is zlib's level, 0-9
// (values outside are clamped); at 1 and below rows are filtered with Sub and
// compressed as runs (OpenCV's fast default), above with libpng's adaptive
// filters and zlib's default strategy.
// Throws ERR_INTERNAL for another image type or when libpng fails.
std::vector<uint8_t> EncodePng(const cv::Mat& img, int compression = 1);

}  // namespace di
