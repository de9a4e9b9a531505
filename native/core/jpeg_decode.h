// JPEG decoding straight through libjpeg(-turbo), so that what the library says
// about damaged data reaches the caller: cv::imdecode prints those warnings to
// stderr and returns the damaged pixels as if nothing were wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace di {

// Decodes to 8-bit BGR at 1/scale of full size (scale 1, 2, 4 or 8: libjpeg
// scales in the DCT domain). Gray and CMYK/YCCK files are converted to BGR.
// Throws ERR_IMAGE_TOO_LARGE over maxPixels (0: no limit), ERR_IMAGE_DECODE when
// the decoder fails or, with failOnWarning, at the first warning it raises
// (corrupt entropy data, a premature end of a segment, stray bytes before a
// marker), naming `what` and the decoder's message. Without failOnWarning the
// first such warning goes to `warning` (when given) and the recovered pixels are returned.
cv::Mat DecodeJpeg(const uint8_t* data, size_t length, int scale, uint64_t maxPixels, bool failOnWarning,
                   const std::string& what, std::string* warning = nullptr);

}  // namespace di
