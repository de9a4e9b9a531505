// Width and height from an encoded image's header, read before anything is
// decoded: a few hundred bytes of PNG can claim a gigapixel, and the decoder
// would allocate it. Only the formats we promise (JPEG, PNG, BMP, TIFF) are
// recognised, so no other decoder ever sees untrusted input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace di {

enum class ImageFormat { kJpeg, kPng, kBmp, kTiff };

struct ImageHeader {
  ImageFormat format;
  uint64_t width = 0, height = 0;
  uint64_t samples = 1;  // samples a pixel (a TIFF's SamplesPerPixel; 1 for the others, which CheckPixels covers)
};

// The format and size, or nullopt when the bytes are none of the four formats
// or their header is cut short or names a zero size.
std::optional<ImageHeader> PeekImageHeader(const uint8_t* data, size_t length);

// Whether a JPEG's compressed data ends with its end-of-image marker. libjpeg
// decodes a truncated file "successfully", greying out the missing rows, so a
// half-transferred image would otherwise get a verdict.
bool JpegHasEnd(const uint8_t* data, size_t length);

// A JPEG's EXIF Orientation (APP1 "Exif", IFD0 tag 0x0112): 1 (as stored) to 8, or 1
// when the file has none or it is out of range or cut short. Every offset is held to
// the segment before it is read.
int JpegExifOrientation(const uint8_t* data, size_t length);

// Throws ERR_IMAGE_TOO_LARGE when width x height is over maxPixels (0: no limit),
// naming `what`; `verb` says where the size comes from ("is": a header or a raw
// image's size, "decoded to": what a decoder produced).
void CheckPixels(uint64_t width, uint64_t height, uint64_t maxPixels, const std::string& what, const char* verb = "is");

// Throws ERR_IMAGE_TOO_LARGE when an image of more than 4 samples a pixel (a TIFF's
// extra channels) holds more samples than maxPixels four-sample pixels (0: no limit):
// its size counts as width x height x ceil(samples / 4) pixels.
void CheckSamples(uint64_t width, uint64_t height, uint64_t samples, uint64_t maxPixels, const std::string& what);

// What a buffer that is none of the four formats is refused with, after `what`: the
// plain "is not a JPEG, PNG, BMP or TIFF image", or what it seems to be instead.
std::string NotAnImage(const uint8_t* data, size_t length);

}  // namespace di
