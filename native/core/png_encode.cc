#include "core/png_encode.h"

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <string>

#include <png.h>
#include <zlib.h>

#include "util/error.h"

namespace di {

namespace {

struct Writer {
  std::vector<uint8_t>* bytes;
  char message[256] = {0};
};

void OnError(png_structp png, png_const_charp message) {
  auto* w = static_cast<Writer*>(png_get_error_ptr(png));
  std::strncpy(w->message, message ? message : "unknown error", sizeof(w->message) - 1);
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}

void OnWrite(png_structp png, png_bytep data, png_size_t n) {
  auto* w = static_cast<Writer*>(png_get_io_ptr(png));
  bool written = true;
  try {
    w->bytes->insert(w->bytes->end(), data, data + n);
  } catch (...) {  // no exception may unwind through libpng's C frames
    written = false;
  }
  if (!written) png_error(png, "out of memory");
}

void OnFlush(png_structp) {}

// Only plain C data lives in this frame: a longjmp out of libpng skips no destructor.
// Returns false after a jump (w->message says why).
bool Encode(png_structp png, png_infop info, Writer* w, const cv::Mat& img, int level) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, w, OnWrite, OnFlush);
  const bool wide = img.depth() == CV_16U;
  png_set_IHDR(png, info, png_uint_32(img.cols), png_uint_32(img.rows), wide ? 16 : 8,
               img.channels() == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, level);
  if (level <= 1) {
    // Fast: neighbouring pixels of inspection images are alike, and runs of their differences cheap.
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_compression_strategy(png, Z_RLE);
  }
  png_write_info(png, info);
  if (img.channels() == 3) png_set_bgr(png);
  if (wide) png_set_swap(png);  // PNG samples are big-endian; ours are the host's (little-endian)
  for (int y = 0; y < img.rows; ++y) png_write_row(png, img.ptr<uint8_t>(y));
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

std::vector<uint8_t> EncodePng(const cv::Mat& img, int compression) {
  const bool grey16 = img.depth() == CV_16U && img.channels() == 1;
  if (img.empty() || (!grey16 && (img.depth() != CV_8U || (img.channels() != 1 && img.channels() != 3))))
    throw Error(code::kInternal, "PNG encoding takes an 8-bit BGR or grey image, or a 16-bit grey one");
  std::vector<uint8_t> bytes;
  Writer w{&bytes};
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, OnError, OnWarning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    throw Error(code::kInternal, "libpng could not allocate a writer");
  }
  const bool ok = Encode(png, info, &w, img, std::clamp(compression, 0, 9));
  png_destroy_write_struct(&png, &info);
  if (!ok) throw Error(code::kInternal, std::string("PNG encoding failed: ") + w.message);
  return bytes;
}

}  // namespace di
