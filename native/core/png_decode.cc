#include "core/png_decode.h"

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <vector>

#include <png.h>

#include "core/image_header.h"
#include "util/error.h"

namespace di {

namespace {

struct Reader {
  const uint8_t* data;
  size_t length;
  size_t pos = 0;
  char message[256] = {0};
  char warning[256] = {0};  // the first warning: with benign errors allowed, damage libpng let pass
  int paletteSize = -1;     // a palette PNG's entries (its pixels are indices until looked up), else -1
  uint8_t lut[256][3] = {};  // the palette as BGR, black past its end
};

// A palette PNG's indices (one byte a pixel) to BGR. Returns the largest index, which is
// past the palette when it is paletteSize or more.
int PaletteToBgr(const cv::Mat& indices, const Reader& r, cv::Mat* bgr) {
  bgr->create(indices.size(), CV_8UC3);
  int largest = 0;
  for (int y = 0; y < indices.rows; ++y) {
    const uint8_t* src = indices.ptr<uint8_t>(y);
    uint8_t* dst = bgr->ptr<uint8_t>(y);
    for (int x = 0; x < indices.cols; ++x, dst += 3) {
      const uint8_t* e = r.lut[src[x]];
      largest = std::max<int>(largest, src[x]);
      dst[0] = e[0], dst[1] = e[1], dst[2] = e[2];
    }
  }
  return largest;
}

void OnError(png_structp png, png_const_charp message) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::strncpy(r->message, message ? message : "unknown error", sizeof(r->message) - 1);
  png_longjmp(png, 1);
}

void OnWarning(png_structp png, png_const_charp message) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  if (r->warning[0] == 0) std::strncpy(r->warning, message ? message : "unknown warning", sizeof(r->warning) - 1);
}

void OnRead(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (n > r->length - r->pos) png_error(png, "the file ends early (truncated)");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

// Only plain C data lives in this frame: a longjmp out of libpng skips no destructor.
// `out` and `rows` belong to the caller. Returns false after a jump (r->message says why).
bool Decode(png_structp png, png_infop info, Reader* r, uint64_t maxPixels, bool failOnWarning, const std::string& what,
            cv::Mat* out, std::vector<png_bytep>* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  // Ancillary chunks cannot change BGR pixels read this way (no gamma, no compositing,
  // alpha dropped), so they are skipped unread: a broken colour profile or text chunk
  // is no reason to fail a part. What is left to be a benign error is damage to the
  // image data (extra or missing IDAT data), which failOn decides.
  static const png_byte kAncillary[] =
      "bKGD\0cHRM\0cICP\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0sBIT\0sCAL\0sPLT\0sRGB\0sTER\0tEXt\0tIME\0tRNS\0zTXt";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kAncillary, 20);
  // Nor are their CRCs checked: a metadata chunk damaged in transit is skipped like an
  // intact one, neither failing the image nor becoming its warning. Critical chunks
  // (IHDR, PLTE, IDAT) keep libpng's check, which fails the image.
  png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_QUIET_USE);
  png_set_benign_errors(png, failOnWarning ? 0 : 1);
  png_set_read_fn(png, r, OnRead);
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  CheckPixels(w, h, maxPixels, what);
  const int colorType = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  // Palette indices are read as bytes and looked up here, so that one past the palette
  // (libpng would paint it black unremarked) is seen.
  const bool palette = colorType == PNG_COLOR_TYPE_PALETTE;
  png_colorp entries = nullptr;
  int count = 0;
  if (palette && !png_get_PLTE(png, info, &entries, &count)) png_error(png, "the palette PNG has no palette (PLTE)");
  if (palette) {
    png_set_packing(png);
    png_set_check_for_invalid_index(png, 0);  // ours, below, names the index and checks every row
  }
  if (colorType == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_scale_16(png);
  if (!palette) {
    png_set_strip_alpha(png);
    if (colorType == PNG_COLOR_TYPE_GRAY || colorType == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_bgr(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != png_size_t(w) * (palette ? 1 : 3)) png_error(png, "unexpected row layout after conversion to BGR");
  out->create(int(h), int(w), palette ? CV_8UC1 : CV_8UC3);
  rows->resize(h);
  for (png_uint_32 y = 0; y < h; ++y) (*rows)[y] = out->ptr<uint8_t>(int(y));
  png_read_image(png, rows->data());
  png_read_end(png, nullptr);
  if (palette) {
    for (int i = 0; i < 256; ++i) {
      // Entries past the palette stay black (transparency, tRNS, is dropped with alpha).
      r->lut[i][0] = i < count ? entries[i].blue : 0, r->lut[i][1] = i < count ? entries[i].green : 0;
      r->lut[i][2] = i < count ? entries[i].red : 0;
    }
    r->paletteSize = count;
  }
  return true;
}

}  // namespace

cv::Mat DecodePng(const uint8_t* data, size_t length, uint64_t maxPixels, bool failOnWarning, const std::string& what,
                  std::string* warning) {
  Reader r{data, length};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, OnError, OnWarning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    throw Error(code::kInternal, "libpng could not allocate a reader");
  }
  cv::Mat out;
  std::vector<png_bytep> rows;
  bool ok = false;
  try {
    ok = Decode(png, info, &r, maxPixels, failOnWarning, what, &out, &rows);
  } catch (...) {  // the pixel limit, or the pixel buffer's allocation
    png_destroy_read_struct(&png, &info, nullptr);
    throw;
  }
  png_destroy_read_struct(&png, &info, nullptr);
  if (ok) {
    std::string complaint = r.warning;
    if (r.paletteSize >= 0) {
      cv::Mat bgr;
      const int largest = PaletteToBgr(out, r, &bgr);
      out = bgr;
      if (largest >= r.paletteSize && complaint.empty()) {
        complaint = "palette index " + std::to_string(largest) + " past the " + std::to_string(r.paletteSize) +
                    "-entry palette (such pixels decoded as black)";
        if (failOnWarning)
          throw Error(code::kImageDecode, what + " could not be decoded: " + complaint +
                                              "; failOn 'error' (--fail-on error) accepts it");
      }
    }
    // failOn 'warning': any complaint fails the image, so that `warning` is only ever set under failOn 'error'.
    if (failOnWarning && !complaint.empty()) throw Error(code::kImageDecode, what + " could not be decoded: " + complaint);
    if (warning && !complaint.empty()) *warning = complaint;
    return out;
  }
  throw Error(code::kImageDecode, what + " could not be decoded: " + r.message);
}

}  // namespace di
