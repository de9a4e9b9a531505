// TIFF encoding through libtiff into memory, with handlers of this handle's own
// (libtiff's defaults print to stderr).
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace di {

// Encodes an 8-bit BGR or grey image as a little-endian RGB or grey TIFF:
// LZW with horizontal differencing, strips of about 8 KiB (the layout OpenCV
// writes), the directory after the pixel data.
// Throws ERR_INTERNAL for another image type or when libtiff fails.
std::vector<uint8_t> EncodeTiff(const cv::Mat& img);

}  // namespace di
