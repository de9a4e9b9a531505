#include "core/jpeg_decode.h"

#include <csetjmp>
#include <cstdio>
#include <string>

#include <jpeglib.h>

#include "core/image_header.h"
#include "core/jpeg_error.h"
#include "util/error.h"

namespace di {

namespace {

// level < 0 is a warning about the data; levels >= 0 are trace output, never printed.
// The first warning fails the image, or (failOn 'error') is kept for the caller.
void OnMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto* m = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (cinfo->err->num_warnings++ > 0) return;
  cinfo->err->format_message(cinfo, m->message);
  if (!m->failOnWarning) return;
  m->warned = true;
  std::longjmp(m->jump, 1);
}

// Adobe CMYK is stored inverted: each channel is 255 - ink, so colour = channel * K / 255.
void CmykRowToBgr(const uint8_t* cmyk, uint8_t* bgr, int width) {
  for (int x = 0; x < width; ++x, cmyk += 4, bgr += 3) {
    const int k = cmyk[3];
    bgr[0] = uint8_t((cmyk[2] * k + 127) / 255);
    bgr[1] = uint8_t((cmyk[1] * k + 127) / 255);
    bgr[2] = uint8_t((cmyk[0] * k + 127) / 255);
  }
}

// Only plain C data lives in this frame: a longjmp out of libjpeg skips no destructor.
// `out` and `row` belong to the caller. Returns false after a jump (m->message says why).
bool Decode(jpeg_decompress_struct* cinfo, JpegErrorManager* m, const uint8_t* data, size_t length, int scale,
            uint64_t maxPixels, const std::string& what, cv::Mat* out, cv::Mat* row) {
  if (setjmp(m->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(length));
  jpeg_read_header(cinfo, TRUE);
  // The caller sniffed the size already; this is libjpeg's own reading, before it allocates.
  CheckPixels(cinfo->image_width, cinfo->image_height, maxPixels, what);
  const bool cmyk = cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK;
  cinfo->out_color_space = cmyk ? JCS_CMYK : JCS_EXT_BGR;
  cinfo->scale_num = 1;
  cinfo->scale_denom = static_cast<unsigned int>(scale);
  jpeg_start_decompress(cinfo);
  const int w = static_cast<int>(cinfo->output_width), h = static_cast<int>(cinfo->output_height);
  out->create(h, w, CV_8UC3);
  if (cmyk) row->create(1, w, CV_8UC4);
  while (cinfo->output_scanline < cinfo->output_height) {
    const int y = static_cast<int>(cinfo->output_scanline);
    JSAMPROW dst = cmyk ? row->ptr<uint8_t>(0) : out->ptr<uint8_t>(y);
    if (jpeg_read_scanlines(cinfo, &dst, 1) != 1) break;
    if (cmyk) CmykRowToBgr(row->ptr<uint8_t>(0), out->ptr<uint8_t>(y), w);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace

cv::Mat DecodeJpeg(const uint8_t* data, size_t length, int scale, uint64_t maxPixels, bool failOnWarning,
                   const std::string& what, std::string* warning) {
  if (scale != 1 && scale != 2 && scale != 4 && scale != 8) throw Error(code::kInternal, "JPEG scale must be 1, 2, 4 or 8");
  jpeg_decompress_struct cinfo{};  // mem stays null until created, which destroy checks
  JpegErrorManager m;
  cinfo.err = jpeg_std_error(&m.base);
  m.base.error_exit = JpegOnError;
  m.base.emit_message = OnMessage;
  m.failOnWarning = failOnWarning;
  cv::Mat out, row;
  bool ok = false;
  try {
    ok = Decode(&cinfo, &m, data, length, scale, maxPixels, what, &out, &row);
  } catch (...) {  // the pixel limit, or the pixel buffer's allocation
    jpeg_destroy_decompress(&cinfo);
    throw;
  }
  jpeg_destroy_decompress(&cinfo);
  if (ok) {
    if (warning && m.base.num_warnings > 0) *warning = std::string("corrupt JPEG data (") + m.message + ")";
    return out;
  }
  if (m.warned)
    throw Error(code::kImageDecode, what + " has corrupt JPEG data (" + m.message +
                                        "); failOn 'error' (--fail-on error) accepts what the decoder recovers");
  throw Error(code::kImageDecode, what + " could not be decoded: " + m.message);
}

}  // namespace di
