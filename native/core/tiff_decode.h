// TIFF decoding straight through libtiff, with handlers of this handle's own:
// libtiff's defaults (as OpenCV's reader leaves them) print what goes wrong with
// damaged data to stderr, and the caller would only learn "could not be decoded".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace di {

// Decodes the first image of a TIFF to 8-bit BGR, in one pass over its strips
// (or tiles). 16-bit grey and RGB samples are scaled to 8 bits as v / 257,
// rounded (MinIsWhite inverted), alpha dropped; every other kind libtiff knows
// (palettes, 1-8-bit grey, YCbCr, CMYK, JPEG-compressed...) goes through its
// RGBA reader, which premultiplies unassociated alpha and honours Orientation.
// Throws ERR_IMAGE_TOO_LARGE over maxPixels (0: no limit) and ERR_IMAGE_DECODE
// with libtiff's message when the file cannot be read or, with failOnWarning,
// when a strip's data is damaged; without it that message goes to `warning`
// and what libtiff recovered is returned. libtiff's warnings (unknown or
// private tags, mostly) fail nothing.
cv::Mat DecodeTiff(const uint8_t* data, size_t length, uint64_t maxPixels, bool failOnWarning, const std::string& what,
                   std::string* warning = nullptr);

}  // namespace di
