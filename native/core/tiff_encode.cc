#include "core/tiff_encode.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <tiffio.h>

#include "core/tiff_messages.h"
#include "util/error.h"

namespace di {

namespace {

struct Sink {
  std::vector<uint8_t> bytes;
  uint64_t pos = 0;
  std::string error;  // libtiff's first complaint
};

tsize_t Read(thandle_t h, tdata_t buf, tsize_t n) {
  auto* s = static_cast<Sink*>(h);
  if (n <= 0 || s->pos >= s->bytes.size()) return 0;
  const size_t take = std::min<size_t>(size_t(n), s->bytes.size() - size_t(s->pos));
  std::memcpy(buf, s->bytes.data() + s->pos, take);
  s->pos += take;
  return tsize_t(take);
}

tsize_t Write(thandle_t h, tdata_t buf, tsize_t n) {
  auto* s = static_cast<Sink*>(h);
  if (n <= 0) return 0;
  try {
    if (s->pos + uint64_t(n) > s->bytes.size()) s->bytes.resize(size_t(s->pos) + size_t(n));
  } catch (...) {  // a short write is how libtiff hears of it; nothing may unwind through its C frames
    return 0;
  }
  std::memcpy(s->bytes.data() + s->pos, buf, size_t(n));
  s->pos += uint64_t(n);
  return n;
}

toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* s = static_cast<Sink*>(h);
  const uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->bytes.size();
  s->pos = base + off;  // past the end is allowed: the next write fills the gap
  return s->pos;
}

int Close(thandle_t) { return 0; }

toff_t Size(thandle_t h) { return static_cast<Sink*>(h)->bytes.size(); }

}  // namespace

std::vector<uint8_t> EncodeTiff(const cv::Mat& img) {
  if (img.empty() || img.depth() != CV_8U || (img.channels() != 1 && img.channels() != 3))
    throw Error(code::kInternal, "TIFF encoding takes an 8-bit BGR or grey image");
  Sink s;
  std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)> opts(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
  if (!opts) throw Error(code::kInternal, "libtiff could not allocate its options");
  KeepTiffMessages(opts.get(), &s.error);
  const auto fail = [&]() { throw Error(code::kInternal, "TIFF encoding failed: " + (s.error.empty() ? "libtiff refused" : s.error)); };
  {
    std::unique_ptr<TIFF, decltype(&TIFFClose)> tif(
        TIFFClientOpenExt("TIFF", "wl", &s, Read, Write, Seek, Close, Size, nullptr, nullptr, opts.get()), TIFFClose);
    if (!tif) fail();
    const int channels = img.channels(), w = img.cols, h = img.rows;
    const size_t rowBytes = size_t(w) * channels;
    const int rowsPerStrip = std::clamp(int((1 << 13) / rowBytes), 1, h);
    TIFF* t = tif.get();
    const bool set = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, uint32_t(w)) && TIFFSetField(t, TIFFTAG_IMAGELENGTH, uint32_t(h)) &&
                     TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8) && TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, channels) &&
                     TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT) &&
                     TIFFSetField(t, TIFFTAG_PHOTOMETRIC, channels == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK) &&
                     TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
                     TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW) &&
                     TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL) &&
                     TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, uint32_t(rowsPerStrip));
    if (!set) fail();
    std::vector<uint8_t> strip(rowBytes * size_t(rowsPerStrip));
    for (int y = 0, k = 0; y < h; y += rowsPerStrip, ++k) {
      const int rows = std::min(rowsPerStrip, h - y);
      for (int r = 0; r < rows; ++r) {
        const uint8_t* src = img.ptr<uint8_t>(y + r);
        uint8_t* dst = strip.data() + size_t(r) * rowBytes;
        if (channels == 1) {
          std::copy(src, src + rowBytes, dst);
          continue;
        }
        for (int x = 0; x < w; ++x) dst[3 * x] = src[3 * x + 2], dst[3 * x + 1] = src[3 * x + 1], dst[3 * x + 2] = src[3 * x];
      }
      if (TIFFWriteEncodedStrip(t, uint32_t(k), strip.data(), tmsize_t(size_t(rows) * rowBytes)) < 0) fail();
    }
    if (!TIFFWriteDirectory(t)) fail();
  }  // closed: everything is written
  if (!s.error.empty()) fail();
  return std::move(s.bytes);
}

}  // namespace di
