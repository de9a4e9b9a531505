// A TIFF's image data read once through libtiff, with handlers of this handle's
// own, before OpenCV decodes it: OpenCV's reader prints what goes wrong with
// damaged data to stderr and the caller would only learn "could not be decoded".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace di {

// Decodes every strip (or tile) of the first image, the one OpenCV reads.
// Throws ERR_IMAGE_DECODE with libtiff's message when the file cannot be opened
// or, with failOnWarning, when a strip's data is damaged; without it that message
// goes to `warning` and OpenCV decodes what it can. libtiff's warnings (unknown
// or private tags, mostly) fail nothing.
void CheckTiff(const uint8_t* data, size_t length, const std::string& what, bool failOnWarning,
               std::string* warning = nullptr);

}  // namespace di
