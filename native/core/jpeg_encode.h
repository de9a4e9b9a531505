// JPEG encoding straight through libjpeg(-turbo), so that no image codec
// library sits between the addon and the one that does the work.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace di {

// Encodes an 8-bit BGR or grey image as a baseline JFIF JPEG: `quality` 1-100
// (values outside are clamped), 4:2:0 chroma, Huffman tables not optimised, not
// progressive (OpenCV's defaults, 95 among them).
// Throws ERR_INVALID_ARG for a side over 65500 pixels (the format's limit),
// ERR_INTERNAL for another image type or when libjpeg fails.
std::vector<uint8_t> EncodeJpeg(const cv::Mat& img, int quality = 95);

}  // namespace di
