// PNG decoding straight through libpng, with handlers of our own: libpng's
// defaults (as cv::imdecode leaves them) print every complaint to stderr, and
// the caller would only learn "could not be decoded".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace di {

// Decodes to 8-bit BGR: palette, grey and low bit depths expanded, 16-bit
// scaled to 8, alpha and transparency dropped, interlacing undone.
// Throws ERR_IMAGE_TOO_LARGE over maxPixels (0: no limit) and ERR_IMAGE_DECODE
// with libpng's message when the file cannot be read; with failOnWarning also on
// damage libpng calls recoverable (extra image data in IDAT). Metadata chunks are
// skipped unread, so a broken colour profile or text chunk never fails it.
// libpng's first warning (without failOnWarning: the damage it let pass) goes to `warning`.
cv::Mat DecodePng(const uint8_t* data, size_t length, uint64_t maxPixels, bool failOnWarning, const std::string& what,
                  std::string* warning = nullptr);

}  // namespace di
