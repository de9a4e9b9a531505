// BMP decoding of our own, so that no image codec library is needed for it:
// every size and offset the file names is held to the buffer before it is
// read, and a damaged file fails with what is wrong with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace di {

// Decodes a BMP with a BITMAPCOREHEADER or a BITMAPINFOHEADER (or its V2-V5
// extensions) to 8-bit BGR: 1, 4 and 8-bit palettes (RLE8 and RLE4 too), 16 and
// 32-bit pixels with or without bit-field masks (channels of under 8 bits are
// shifted up, not stretched), 24-bit pixels; rows stored bottom-up or top-down.
// Alpha is dropped; pixels that RLE data skips take palette entry 0, and indices
// past the palette are black.
// Throws ERR_IMAGE_TOO_LARGE over maxPixels (0: no limit) and ERR_IMAGE_DECODE
// naming `what` and the fault: a header, palette, pixel rows or RLE data cut short,
// an unknown compression, bit depth or header kind, RLE data that runs past a row.
// An index past the palette (such pixels black) fails with failOnWarning; without it,
// that goes to `warning`, and RLE codes that run past a row are cut at its end (warned
// the same way) instead of failing.
cv::Mat DecodeBmp(const uint8_t* data, size_t length, uint64_t maxPixels, bool failOnWarning, const std::string& what,
                  std::string* warning = nullptr);

}  // namespace di
