#include "core/jpeg_encode.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <string>

#include <jpeglib.h>
#include <jerror.h>

#include "core/jpeg_error.h"
#include "util/error.h"

namespace di {

namespace {

void OnMessage(j_common_ptr, int) {}  // the compressor's warnings and traces go nowhere

// Compressed data goes straight into a vector that doubles as it fills.
struct Destination {
  jpeg_destination_mgr base;  // first: libjpeg hands callbacks a pointer to it
  std::vector<uint8_t>* bytes;
};

// Makes room past the first `used` bytes. When libjpeg calls for more, the whole
// buffer is full whatever free_in_buffer says (its Huffman coder keeps its own count).
void Grow(j_compress_ptr cinfo, size_t used) {
  auto* d = reinterpret_cast<Destination*>(cinfo->dest);
  bool grown = true;
  try {
    d->bytes->resize(std::max<size_t>(2 * used, 1 << 16));
  } catch (...) {  // no exception may unwind through libjpeg's C frames
    grown = false;
  }
  if (!grown) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
  d->base.next_output_byte = d->bytes->data() + used;
  d->base.free_in_buffer = d->bytes->size() - used;
}

void InitDestination(j_compress_ptr cinfo) { Grow(cinfo, 0); }

boolean EmptyOutput(j_compress_ptr cinfo) {
  Grow(cinfo, reinterpret_cast<Destination*>(cinfo->dest)->bytes->size());
  return TRUE;
}

void TermDestination(j_compress_ptr cinfo) {
  auto* d = reinterpret_cast<Destination*>(cinfo->dest);
  d->bytes->resize(d->bytes->size() - d->base.free_in_buffer);
}

// Only plain C data lives in this frame: a longjmp out of libjpeg skips no destructor.
// `dest` belongs to the caller. Returns false after a jump (m->message says why).
bool Encode(jpeg_compress_struct* cinfo, JpegErrorManager* m, Destination* dest, const cv::Mat& img, int quality) {
  if (setjmp(m->jump)) return false;
  jpeg_create_compress(cinfo);
  cinfo->dest = &dest->base;
  cinfo->image_width = JDIMENSION(img.cols);
  cinfo->image_height = JDIMENSION(img.rows);
  cinfo->input_components = img.channels();
  cinfo->in_color_space = img.channels() == 3 ? JCS_EXT_BGR : JCS_GRAYSCALE;
  jpeg_set_defaults(cinfo);  // YCbCr 4:2:0 (grey: one channel), baseline Huffman coding, JFIF header
  jpeg_set_quality(cinfo, quality, TRUE);
  jpeg_start_compress(cinfo, TRUE);
  while (cinfo->next_scanline < cinfo->image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(img.ptr<uint8_t>(int(cinfo->next_scanline)));
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  return true;
}

}  // namespace

std::vector<uint8_t> EncodeJpeg(const cv::Mat& img, int quality) {
  if (img.empty() || img.depth() != CV_8U || (img.channels() != 1 && img.channels() != 3))
    throw Error(code::kInternal, "JPEG encoding takes an 8-bit BGR or grey image");
  if (img.cols > JPEG_MAX_DIMENSION || img.rows > JPEG_MAX_DIMENSION)
    throw Error(code::kInvalidArg, "a JPEG holds at most " + std::to_string(JPEG_MAX_DIMENSION) + " pixels a side; the image is " +
                                       std::to_string(img.cols) + "x" + std::to_string(img.rows));
  jpeg_compress_struct cinfo{};
  JpegErrorManager m;
  cinfo.err = jpeg_std_error(&m.base);
  m.base.error_exit = JpegOnError;
  m.base.emit_message = OnMessage;
  std::vector<uint8_t> bytes;
  Destination dest{};
  dest.base.init_destination = InitDestination;
  dest.base.empty_output_buffer = EmptyOutput;
  dest.base.term_destination = TermDestination;
  dest.bytes = &bytes;
  const bool ok = Encode(&cinfo, &m, &dest, img, std::clamp(quality, 1, 100));
  jpeg_destroy_compress(&cinfo);
  if (!ok) throw Error(code::kInternal, std::string("JPEG encoding failed: ") + m.message);
  return bytes;
}

}  // namespace di
