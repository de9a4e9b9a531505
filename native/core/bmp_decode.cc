#include "core/bmp_decode.h"

#include <algorithm>
#include <array>
#include <climits>

#include "core/image_header.h"
#include "util/error.h"

namespace di {

namespace {

uint32_t U16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t U32(const uint8_t* p) { return U16(p) | U16(p + 2) << 16; }

enum : uint32_t { kRgb = 0, kRle8 = 1, kRle4 = 2, kBitFields = 3 };

constexpr const char* kHeaderCut = "the BMP header is cut short";
constexpr const char* kRleCut = "the BMP's RLE data is cut short (truncated)";

// One channel of a 16 or 32-bit pixel: its mask's lowest bit and width.
struct Channel {
  uint32_t mask = 0;
  int shift = 0, bits = 0;
  uint8_t Of(uint32_t px) const {
    const uint32_t v = (px & mask) >> shift;
    return uint8_t(bits >= 8 ? v >> (bits - 8) : v << (8 - bits));
  }
};

// False when the mask's bits are not one run (a zero mask is a channel that is always 0).
bool MakeChannel(uint32_t mask, Channel* c) {
  c->mask = mask;
  if (mask == 0) return true;
  while (!((mask >> c->shift) & 1)) ++c->shift;
  const uint32_t run = mask >> c->shift;
  while (c->bits < 32 && ((run >> c->bits) & 1)) ++c->bits;
  return c->bits == 32 || (run >> c->bits) == 0;
}

struct Layout {
  uint64_t offset = 0;  // bfOffBits: where the pixel data starts
  uint64_t width = 0, height = 0;
  bool topDown = false;
  uint32_t bpp = 0, compression = kRgb;
  std::array<std::array<uint8_t, 3>, 256> palette{};  // BGR; entries the file lacks stay black
  unsigned paletteSize = 0;                            // entries the file has (bpp <= 8)
  std::array<Channel, 3> channels;                    // B, G, R of 16 and 32-bit pixels
};

// Reads and checks everything the header says, before a pixel is read or allocated.
// Returns the fault, or nullptr.
const char* ReadLayout(const uint8_t* d, size_t n, Layout* l) {
  if (n < 26) return kHeaderCut;
  l->offset = U32(d + 10);
  const uint64_t headerSize = U32(d + 14);
  uint64_t colours = 0;
  unsigned entryBytes = 4;
  if (headerSize == 12) {  // BITMAPCOREHEADER (OS/2 1.x): 16-bit sides, 3-byte palette entries
    l->width = U16(d + 18), l->height = U16(d + 20), l->bpp = U16(d + 24);
    if (l->bpp <= 8) colours = 1u << l->bpp;
    entryBytes = 3;
  } else {
    if (headerSize < 40) return "the BMP's header is of no known kind (neither core nor info)";
    if (n < 54) return kHeaderCut;
    const int32_t w = int32_t(U32(d + 18)), h = int32_t(U32(d + 22));
    if (w <= 0 || h == 0 || h == INT32_MIN) return "the BMP names a zero or negative width, or a zero height";
    l->width = uint64_t(w);
    l->topDown = h < 0;
    l->height = h < 0 ? uint64_t(-int64_t(h)) : uint64_t(h);
    l->bpp = U16(d + 28), l->compression = U32(d + 30);
    const uint32_t used = U32(d + 46);
    if (used > 256) return "the BMP's palette claims more than 256 colours";
    if (l->bpp <= 8) colours = used != 0 ? used : 1u << l->bpp;
  }
  if (l->width == 0 || l->height == 0) return "the BMP names a zero width or height";
  if (l->compression > kBitFields) return "the BMP uses a compression other than none, RLE8, RLE4 or bit fields";
  const uint32_t bpp = l->bpp;
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) return "the BMP names an unsupported bit depth";
  if ((l->compression == kRle8 && bpp != 8) || (l->compression == kRle4 && bpp != 4) ||
      (l->compression == kBitFields && bpp != 16 && bpp != 32))
    return "the BMP's compression does not fit its bit depth";
  if (colours > 0) {
    // The colour table follows the header; 1 << bpp entries at most are ever indexed.
    const uint64_t at = 14 + headerSize, count = std::min<uint64_t>(colours, 256);
    if (at > n || (n - at) / entryBytes < count) return "the BMP's palette is cut short";
    for (uint64_t i = 0; i < count; ++i) {
      const uint8_t* e = d + at + i * entryBytes;
      l->palette[i] = {e[0], e[1], e[2]};
    }
    l->paletteSize = unsigned(count);
  }
  if (bpp == 16 || bpp == 32) {
    std::array<uint32_t, 3> masks;  // B, G, R
    if (l->compression == kBitFields) {
      // Red, green, blue masks: right after a 40-byte header, inside the larger ones, at the same place.
      if (n < 66) return kHeaderCut;
      masks = {U32(d + 62), U32(d + 58), U32(d + 54)};
      if (bpp == 16) for (uint32_t& m : masks) m &= 0xFFFF;
    } else {
      masks = bpp == 16 ? std::array<uint32_t, 3>{0x001F, 0x03E0, 0x7C00} : std::array<uint32_t, 3>{0xFF, 0xFF00, 0xFF0000};
    }
    for (int c = 0; c < 3; ++c)
      if (!MakeChannel(masks[c], &l->channels[c])) return "the BMP's bit-field masks are not runs of bits";
  }
  return nullptr;
}

// Paints RLE codes into the image, or (img null) only lets WalkRle check the stream.
// With `clip` (failOn 'error'), codes that run or move past the end of a row are cut
// at it, and the first such fault is kept in `damage` instead of ending the walk.
class RlePainter {
 public:
  RlePainter(cv::Mat* img, const Layout& l, bool rle8, bool clip) : img_(img), l_(l), rle8_(rle8), clip_(clip) {}

  const char* Run(unsigned count, uint8_t value) {
    if (const char* f = Room(count)) return f;
    const uint8_t pair[2] = {uint8_t(rle8_ ? value : value >> 4), uint8_t(rle8_ ? value : value & 15)};
    for (unsigned i = 0; i < count; ++i) Put(pair[i & 1]);
    return nullptr;
  }
  const char* Literal(const uint8_t* p, unsigned count) {
    if (const char* f = Room(count)) return f;
    for (unsigned i = 0; i < count; ++i) Put(rle8_ ? p[i] : (i & 1 ? p[i / 2] & 15 : p[i / 2] >> 4));
    return nullptr;
  }
  void EndOfLine() { x_ = 0, ++y_; }
  const char* Delta(unsigned dx, unsigned dy) {
    x_ += dx, y_ += dy;
    return x_ > l_.width ? Fault("the BMP's RLE data moves past the end of a row") : nullptr;
  }
  const char* damage = nullptr;  // with clip: the first fault let pass
  unsigned largest = 0;          // the largest palette index painted

 private:
  const char* Fault(const char* f) {
    if (!clip_) return f;
    if (!damage) damage = f;
    return nullptr;
  }
  const char* Room(unsigned count) {
    return x_ + count > l_.width ? Fault("the BMP's RLE data runs past the end of a row") : nullptr;
  }
  void Put(uint8_t index) {
    if (x_ < l_.width && y_ < l_.height) {
      largest = std::max<unsigned>(largest, index);
      if (img_) {
        const int row = int(l_.topDown ? y_ : l_.height - 1 - y_);
        const auto& bgr = l_.palette[index];
        uint8_t* px = img_->ptr<uint8_t>(row) + 3 * x_;
        px[0] = bgr[0], px[1] = bgr[1], px[2] = bgr[2];
      }
    }
    ++x_;
  }

  cv::Mat* img_;
  const Layout& l_;
  bool rle8_, clip_;
  uint64_t x_ = 0, y_ = 0;
};

// Walks an RLE8/RLE4 stream to its end-of-bitmap code (or past its last row),
// handing each code to the painter. Returns the fault, or nullptr.
const char* WalkRle(const uint8_t* d, size_t n, const Layout& l, RlePainter* paint) {
  if (l.offset >= n) return kRleCut;
  const bool rle8 = l.compression == kRle8;
  size_t pos = size_t(l.offset);
  for (uint64_t row = 0; row < l.height;) {
    if (n - pos < 2) return kRleCut;
    const uint8_t count = d[pos], code = d[pos + 1];
    pos += 2;
    if (count > 0) {  // a run of one value (RLE4: two, alternating)
      if (const char* f = paint->Run(count, code)) return f;
      continue;
    }
    if (code == 0) {  // end of line
      ++row;
      paint->EndOfLine();
      continue;
    }
    if (code == 1) return nullptr;  // end of bitmap
    if (code == 2) {                // delta: dx, dy
      if (n - pos < 2) return kRleCut;
      row += d[pos + 1];
      if (const char* f = paint->Delta(d[pos], d[pos + 1])) return f;
      pos += 2;
      continue;
    }
    size_t bytes = rle8 ? code : (size_t(code) + 1) / 2;  // `code` literal pixels, padded to 2 bytes
    bytes += bytes & 1;
    if (n - pos < bytes) return kRleCut;
    if (const char* f = paint->Literal(d + pos, code)) return f;
    pos += bytes;
  }
  return nullptr;
}

// Returns the largest palette index (bpp <= 8), else 0.
unsigned DecodeRows(const uint8_t* d, const Layout& l, uint64_t stride, cv::Mat* img) {
  const int w = int(l.width);
  unsigned largest = 0;
  for (uint64_t r = 0; r < l.height; ++r) {
    const uint8_t* src = d + l.offset + r * stride;
    uint8_t* dst = img->ptr<uint8_t>(int(l.topDown ? r : l.height - 1 - r));
    switch (l.bpp) {
      case 1: case 4: case 8: {
        const int per = 8 / int(l.bpp), mask = (1 << l.bpp) - 1;
        for (int x = 0; x < w; ++x, dst += 3) {
          const int shift = int(l.bpp) * (per - 1 - x % per);  // leftmost pixel in the high bits
          const unsigned index = (src[x / per] >> shift) & mask;
          largest = std::max(largest, index);
          const auto& bgr = l.palette[index];
          dst[0] = bgr[0], dst[1] = bgr[1], dst[2] = bgr[2];
        }
        break;
      }
      case 24:
        std::copy(src, src + 3 * size_t(w), dst);
        break;
      default:  // 16 and 32 through their masks
        for (int x = 0; x < w; ++x, dst += 3) {
          const uint32_t px = l.bpp == 16 ? U16(src + 2 * size_t(x)) : U32(src + 4 * size_t(x));
          dst[0] = l.channels[0].Of(px), dst[1] = l.channels[1].Of(px), dst[2] = l.channels[2].Of(px);
        }
    }
  }
  return largest;
}

}  // namespace

cv::Mat DecodeBmp(const uint8_t* data, size_t length, uint64_t maxPixels, bool failOnWarning, const std::string& what,
                  std::string* warning) {
  const auto fail = [&](const char* fault) { throw Error(code::kImageDecode, what + " could not be decoded: " + fault); };
  if (data == nullptr) fail(kHeaderCut);
  Layout l;
  if (const char* fault = ReadLayout(data, length, &l)) fail(fault);
  CheckPixels(l.width, l.height, maxPixels, what);
  if (l.width > uint64_t(INT_MAX) || l.height > uint64_t(INT_MAX))
    throw Error(code::kImageTooLarge, what + " is wider or taller than 2^31 - 1 pixels");
  const bool rle = l.compression == kRle8 || l.compression == kRle4;
  uint64_t stride = 0;
  if (rle) {
    // The whole stream is walked once before the image is allocated: a cut one fails unpainted.
    RlePainter check(nullptr, l, l.compression == kRle8, !failOnWarning);
    if (const char* fault = WalkRle(data, length, l, &check)) fail(fault);
  } else {
    stride = ((l.width * l.bpp + 31) / 32) * 4;  // rows are padded to 4 bytes
    if (stride > (UINT64_MAX - l.offset) / l.height) fail("the BMP claims more pixel data than any file holds");
    if (l.offset + stride * l.height > length) fail("the BMP's pixel rows are cut short (truncated)");
  }
  cv::Mat img(int(l.height), int(l.width), CV_8UC3);
  unsigned largest = 0;
  const char* damage = nullptr;
  if (rle) {
    const auto& first = l.palette[0];
    img.setTo(cv::Scalar(first[0], first[1], first[2]));
    RlePainter paint(&img, l, l.compression == kRle8, !failOnWarning);
    if (const char* fault = WalkRle(data, length, l, &paint)) fail(fault);
    largest = paint.largest, damage = paint.damage;
  } else {
    largest = DecodeRows(data, l, stride, &img);
  }
  // Damage a decoder can paint over follows failOn, as a PNG's does: an index past the
  // palette (its pixels black); with failOn 'error' also RLE codes cut at the row's end.
  std::string complaint = damage ? damage : "";
  if (complaint.empty() && l.bpp <= 8 && largest >= l.paletteSize)
    complaint = "palette index " + std::to_string(largest) + " past the BMP's " + std::to_string(l.paletteSize) +
                "-entry palette (such pixels decoded as black)";
  if (!complaint.empty()) {
    if (failOnWarning)
      throw Error(code::kImageDecode, what + " could not be decoded: " + complaint + "; failOn 'error' (--fail-on error) accepts it");
    if (warning) *warning = complaint + (damage ? " (cut at the row's end)" : "");
  }
  return img;
}

}  // namespace di
