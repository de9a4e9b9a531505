#include "core/tiff_decode.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tiffio.h>

#include "core/image_header.h"
#include "core/tiff_messages.h"
#include "util/error.h"

namespace di {

namespace {

struct Memory {
  const uint8_t* data;
  size_t length;
  toff_t pos = 0;
  std::string error;  // libtiff's first complaint
};

tsize_t Read(thandle_t h, tdata_t buf, tsize_t n) {
  auto* m = static_cast<Memory*>(h);
  if (n <= 0 || m->pos >= m->length) return 0;
  const size_t take = std::min<size_t>(size_t(n), m->length - size_t(m->pos));
  std::memcpy(buf, m->data + m->pos, take);
  m->pos += take;
  return tsize_t(take);
}

tsize_t Write(thandle_t, tdata_t, tsize_t) { return 0; }

toff_t Seek(thandle_t h, toff_t off, int whence) {
  auto* m = static_cast<Memory*>(h);
  const uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->length;
  const uint64_t to = base + off;  // toff_t is unsigned: a negative offset wraps past the end
  if (to > m->length) return toff_t(-1);
  m->pos = to;
  return m->pos;
}

int Close(thandle_t) { return 0; }

toff_t Size(thandle_t h) { return static_cast<Memory*>(h)->length; }

// The bytes are in memory already: libtiff reads them in place (it never writes
// to a map it only reads), which is also the one way its reader takes an
// uncompressed tile whose byte count differs from the tile's size.
int Map(thandle_t h, void** base, toff_t* size) {
  auto* m = static_cast<Memory*>(h);
  *base = const_cast<uint8_t*>(m->data);
  *size = m->length;
  return 1;
}

void Unmap(thandle_t, void*, toff_t) {}

// A sample scaled to 8 bits: 16 and 32-bit unsigned integers as round(v / 257) and
// round(v / 16843009) (the full range onto 0..255), floating point as round(v * 255)
// with 0..1 the full range (clamped; NaN is 0).
uint8_t To8(uint16_t v) { return uint8_t((uint32_t(v) + 128) / 257); }
uint8_t To8(uint32_t v) { return uint8_t((uint64_t(v) + 8421504) / 16843009); }
template <class F>
uint8_t FloatTo8(F v) {
  if (!(v > 0)) return 0;  // NaN too
  return v >= 1 ? 255 : uint8_t(v * 255 + F(0.5));
}
uint8_t To8(float v) { return FloatTo8(v); }
uint8_t To8(double v) { return FloatTo8(v); }

// One colour of a CMYK pixel, as libtiff's reader makes 8-bit ones: (255 - ink) x (255 - black) / 255.
template <class T>
uint8_t Ink(T ink, T black) {
  return uint8_t((255 - To8(ink)) * (255 - To8(black)) / 255);
}

// Grey, RGB or (contiguous) CMYK samples of more than 8 bits (type T): strips (or tiles) decoded by libtiff,
// samples scaled here into `out`, allocated once the layout is known to be sound.
// Returns false when a block could not be read (at once, with stopAtDamage).
template <class T>
bool ReadWide(TIFF* tif, uint32_t w, uint32_t h, uint16_t spp, bool separate, bool grey, bool cmyk, bool minIsWhite,
              bool stopAtDamage, const std::function<void(const char*)>& fail, cv::Mat* out) {
  const bool tiled = TIFFIsTiled(tif);
  uint32_t bw = w, bh = h;
  if (tiled) {
    if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &bw) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &bh) || bw == 0 || bh == 0)
      fail("no tile size");
    // A crafted directory can name tiles far larger than the image they tile.
    if (uint64_t(bw) * bh > std::max<uint64_t>(4 * uint64_t(w) * h, uint64_t(1) << 22)) fail("tiles far larger than the image");
  } else {
    uint32_t rps = h;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
    bh = std::min(std::max<uint32_t>(rps, 1), h);
  }
  const int step = separate ? 1 : spp;  // samples a pixel has in a decoded block
  const tmsize_t size = tiled ? TIFFTileSize(tif) : TIFFStripSize(tif);
  if (size <= 0 || uint64_t(size) < uint64_t(bw) * bh * step * sizeof(T)) fail("strips or tiles smaller than their pixels");
  std::vector<T> buf((size_t(size) + sizeof(T) - 1) / sizeof(T));
  out->create(int(h), int(w), CV_8UC3);
  const int channels = grey ? 1 : 3;
  bool intact = true;
  for (uint32_t by = 0; by < h; by += bh) {
    for (uint32_t bx = 0; bx < w; bx += bw) {
      for (int plane = 0; plane < (separate ? channels : 1); ++plane) {
        std::fill(buf.begin(), buf.end(), T(0));  // what a damaged block leaves unwritten
        const tmsize_t got = tiled ? TIFFReadEncodedTile(tif, TIFFComputeTile(tif, bx, by, 0, uint16_t(plane)), buf.data(), size)
                                   : TIFFReadEncodedStrip(tif, TIFFComputeStrip(tif, by, uint16_t(plane)), buf.data(), size);
        if (got < 0) {
          if (stopAtDamage) return false;
          intact = false;
        }
        const uint32_t rows = std::min(bh, h - by), cols = std::min(bw, w - bx);
        for (uint32_t r = 0; r < rows; ++r) {
          const T* src = buf.data() + size_t(r) * bw * step;
          uint8_t* dst = out->ptr<uint8_t>(int(by + r)) + size_t(bx) * 3;
          for (uint32_t x = 0; x < cols; ++x, dst += 3) {
            if (cmyk) {  // contiguous C, M, Y, K: each colour is what its ink and black leave of white
              const T* p = src + size_t(x) * step;
              dst[0] = Ink(p[2], p[3]), dst[1] = Ink(p[1], p[3]), dst[2] = Ink(p[0], p[3]);
              continue;
            }
            for (int c = (separate ? plane : 0); c < (separate ? plane + 1 : channels); ++c) {
              const uint8_t v = To8(src[size_t(x) * step + (separate ? 0 : c)]);
              if (grey) dst[0] = dst[1] = dst[2] = minIsWhite ? uint8_t(255 - v) : v;
              else dst[2 - c] = v;  // R, G, B samples to B, G, R
            }
          }
        }
      }
    }
  }
  return intact;
}

// "16-bit CMYK", "32-bit floating-point grey": what a refusal names.
std::string Kind(uint16_t bps, uint16_t format, bool havePhotometric, uint16_t photometric) {
  std::string s = std::to_string(bps) + "-bit ";
  if (format == SAMPLEFORMAT_INT) s += "signed-integer ";
  else if (format == SAMPLEFORMAT_IEEEFP) s += "floating-point ";
  else if (format != SAMPLEFORMAT_UINT && format != SAMPLEFORMAT_VOID) s += "complex ";
  if (!havePhotometric) return s + "TIFF (no PhotometricInterpretation)";
  switch (photometric) {
    case PHOTOMETRIC_MINISWHITE: case PHOTOMETRIC_MINISBLACK: return s + "grey TIFF";
    case PHOTOMETRIC_RGB: return s + "RGB TIFF";
    case PHOTOMETRIC_PALETTE: return s + "palette TIFF";
    case PHOTOMETRIC_MASK: return s + "transparency-mask TIFF";
    case PHOTOMETRIC_SEPARATED: return s + "CMYK TIFF";
    case PHOTOMETRIC_YCBCR: return s + "YCbCr TIFF";
    case PHOTOMETRIC_CIELAB: case PHOTOMETRIC_ICCLAB: case PHOTOMETRIC_ITULAB: return s + "Lab TIFF";
    case PHOTOMETRIC_LOGL: case PHOTOMETRIC_LOGLUV: return s + "LogLuv TIFF";
    default: return s + "TIFF of photometric " + std::to_string(photometric);
  }
}

}  // namespace

cv::Mat DecodeTiff(const uint8_t* data, size_t length, uint64_t maxPixels, bool failOnWarning, const std::string& what,
                   std::string* warning) {
  Memory m{data, length, 0, {}};
  std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)> opts(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
  if (!opts) throw Error(code::kInternal, "libtiff could not allocate its options");
  KeepTiffMessages(opts.get(), &m.error);
  std::unique_ptr<TIFF, decltype(&TIFFClose)> tif(
      TIFFClientOpenExt("TIFF", "r", &m, Read, Write, Seek, Close, Size, Map, Unmap, opts.get()), TIFFClose);
  const std::function<void(const char*)> fail = [&](const char* fallback) {
    throw Error(code::kImageDecode, what + " could not be decoded: " + (m.error.empty() ? fallback : m.error));
  };
  if (!tif) fail("not a readable TIFF");
  uint32_t w = 0, h = 0;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0)
    fail("no image size");
  // The caller sniffed the size already; this is libtiff's own reading, before anything is allocated.
  CheckPixels(w, h, maxPixels, what);
  if (w > uint32_t(INT_MAX) || h > uint32_t(INT_MAX)) throw Error(code::kImageTooLarge, what + " is wider or taller than 2^31 - 1 pixels");
  uint16_t bps = 1, spp = 1, planar = PLANARCONFIG_CONTIG, format = SAMPLEFORMAT_UINT, photometric = 0;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_SAMPLEFORMAT, &format);
  CheckSamples(w, h, spp, maxPixels, what);
  const bool havePhotometric = TIFFGetField(tif.get(), TIFFTAG_PHOTOMETRIC, &photometric);
  // No PhotometricInterpretation on one sample a pixel: grey, as libtiff's RGBA reader assumes.
  const bool grey = havePhotometric ? photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE : spp == 1;
  const bool rgb = havePhotometric && photometric == PHOTOMETRIC_RGB && spp >= 3;
  const bool uintSamples = format == SAMPLEFORMAT_UINT || format == SAMPLEFORMAT_VOID;
  const bool floatSamples = format == SAMPLEFORMAT_IEEEFP && (bps == 32 || bps == 64);
  uint16_t inkSet = INKSET_CMYK;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_INKSET, &inkSet);
  const bool cmyk = havePhotometric && photometric == PHOTOMETRIC_SEPARATED && inkSet == INKSET_CMYK && spp >= 4 &&
                    spp <= 5 && planar == PLANARCONFIG_CONTIG && uintSamples && bps == 16;
  const bool wide = cmyk || (((uintSamples && (bps == 16 || bps == 32)) || floatSamples) && spp <= 4 && (grey || rgb));
  // libtiff's RGBA reader reads every sample as unsigned and refuses floating point: what it
  // would get wrong or refuse with "Sorry" is refused here, naming the kind.
  const auto unsupported = [&](const std::string& detail) {
    throw Error(code::kImageDecode, what + " could not be decoded: " + Kind(bps, format, havePhotometric, photometric) +
                                        " is not supported" + (detail.empty() ? "" : " (" + detail + ")"));
  };
  if (!wide && (!uintSamples || bps > 8)) unsupported("");
  // Complaints from reading the directory that did not stop it are not about the pixels.
  m.error.clear();
  cv::Mat out;
  bool intact;
  if (wide) {
    // Read here rather than by libtiff's RGBA reader, which keeps only the high byte of
    // grey samples, refuses 32-bit ones and would premultiply colour by alpha.
    const bool separate = planar == PLANARCONFIG_SEPARATE && spp > 1;
    const bool minIsWhite = havePhotometric && photometric == PHOTOMETRIC_MINISWHITE;
    const auto read = [&](auto sample) {
      return ReadWide<decltype(sample)>(tif.get(), w, h, spp, separate, grey, cmyk, minIsWhite, failOnWarning, fail, &out);
    };
    const bool whole = format == SAMPLEFORMAT_IEEEFP ? (bps == 32 ? read(float()) : read(double()))
                                                     : (bps == 16 ? read(uint16_t()) : read(uint32_t()));
    intact = whole && m.error.empty();
    // Orientation as the RGBA reader takes it for every other kind: mirrorings, no transposition.
    uint16_t orientation = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_ORIENTATION, &orientation);
    switch (orientation) {
      case ORIENTATION_TOPRIGHT: case ORIENTATION_RIGHTTOP: cv::flip(out, out, 1); break;
      case ORIENTATION_BOTRIGHT: case ORIENTATION_RIGHTBOT: cv::flip(out, out, -1); break;
      case ORIENTATION_BOTLEFT: case ORIENTATION_LEFTBOT: cv::flip(out, out, 0); break;
      default: break;
    }
  } else {
    char why[1024] = "";
    if (!TIFFRGBAImageOK(tif.get(), why)) unsupported(m.error.empty() ? why : m.error);
    std::vector<uint32_t> raster(size_t(w) * h);
    out.create(int(h), int(w), CV_8UC3);
    // Stopping at the first damaged strip is what failOn 'warning' wants; otherwise the rest is read too.
    if (!TIFFReadRGBAImageOriented(tif.get(), w, h, raster.data(), ORIENTATION_TOPLEFT, failOnWarning ? 1 : 0)) {
      if (m.error.find("Sorry") != std::string::npos || m.error.find("an not handle") != std::string::npos) unsupported(m.error);
      fail("image data cut short or corrupt");
    }
    intact = m.error.empty();
    for (uint32_t y = 0; y < h; ++y) {
      const uint32_t* src = raster.data() + size_t(y) * w;
      uint8_t* dst = out.ptr<uint8_t>(int(y));
      for (uint32_t x = 0; x < w; ++x, dst += 3) {
        dst[0] = uint8_t(TIFFGetB(src[x])), dst[1] = uint8_t(TIFFGetG(src[x])), dst[2] = uint8_t(TIFFGetR(src[x]));
      }
    }
  }
  if (!intact) {
    if (failOnWarning) fail("image data cut short or corrupt");
    if (warning) *warning = "damaged TIFF data (" + (m.error.empty() ? std::string("a strip could not be read") : m.error) + ")";
  }
  return out;
}

}  // namespace di
