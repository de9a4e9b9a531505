// BMP encoding of our own: the format is a header and padded rows.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace di {

// Encodes an 8-bit BGR image as a 24-bit BMP, or a grey one as an 8-bit BMP with
// a grey palette: a 40-byte BITMAPINFOHEADER, uncompressed rows stored bottom-up,
// each padded to 4 bytes.
// Throws ERR_INTERNAL for another image type, ERR_IMAGE_TOO_LARGE for one whose
// file would pass 4 GiB (the header's size fields are 32-bit).
std::vector<uint8_t> EncodeBmp(const cv::Mat& img);

}  // namespace di
