#include "core/image_header.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace di {

namespace {

uint64_t Read(const uint8_t* p, int bytes, bool bigEndian) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(p[bigEndian ? i : bytes - 1 - i]) << (8 * (bytes - 1 - i));
  return v;
}

std::optional<ImageHeader> Sized(ImageFormat f, uint64_t w, uint64_t h) {
  if (w == 0 || h == 0) return std::nullopt;
  return ImageHeader{f, w, h};
}

// JPEG markers are walked as libjpeg walks them, so that the size read here is
// the size the decoder allocates: bytes before a marker that are not 0xFF are
// skipped (libjpeg discards them with a warning), 0xFF fill bytes too, and
// TEM, RSTn and SOI stand alone without a length.
bool StandaloneMarker(uint8_t m) { return m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7); }

// Moves `i` to the next marker's 0xFF at or after it; false at the end of the data.
// As libjpeg's reader: fill bytes (FF FF) run into the marker, and FF 00 is data (a
// stuffed zero), not a marker, wherever it stands.
bool NextMarker(const uint8_t* d, size_t n, size_t* i) {
  for (;;) {
    if (*i + 1 >= n) return false;
    const void* ff = std::memchr(d + *i, 0xFF, n - *i);
    if (!ff) return false;
    *i = size_t(static_cast<const uint8_t*>(ff) - d);
    if (*i + 1 >= n) return false;
    if (d[*i + 1] != 0xFF && d[*i + 1] != 0x00) return true;
    ++*i;  // a fill byte, or the FF of a stuffed zero
  }
}

// Calls visit(marker, at, length) for each marker segment that carries a length, in
// order from the one after SOI, until visit returns false or the data ends (at the
// end-of-image marker or a segment whose length field is cut short). `at` is the
// segment's 0xFF; nothing past `length`'s two bytes has been checked to lie in the data.
template <class Visit>
void VisitJpegSegments(const uint8_t* d, size_t n, Visit visit) {
  size_t i = 2;
  while (NextMarker(d, n, &i)) {
    const uint8_t marker = d[i + 1];
    if (StandaloneMarker(marker)) {
      i += 2;
      continue;
    }
    if (marker == 0xD9 || i + 4 > n) return;
    const size_t len = Read(d + i + 2, 2, true);
    if (!visit(marker, i, len)) return;
    // libjpeg skips a segment by its length less the two length bytes, so one that claims
    // under 2 (a broken comment) ends right after them; a table's own reader refuses it.
    i += 2 + std::max<size_t>(len, 2);
  }
}

// The size from the first start-of-frame.
std::optional<ImageHeader> Jpeg(const uint8_t* d, size_t n) {
  std::optional<ImageHeader> found;
  VisitJpegSegments(d, n, [&](uint8_t marker, size_t i, size_t) {
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (!sof) return true;
    if (i + 9 <= n) found = Sized(ImageFormat::kJpeg, Read(d + i + 7, 2, true), Read(d + i + 5, 2, true));
    return false;
  });
  return found;
}

std::optional<ImageHeader> Png(const uint8_t* d, size_t n) {
  if (n < 24 || d[12] != 'I' || d[13] != 'H' || d[14] != 'D' || d[15] != 'R') return std::nullopt;
  return Sized(ImageFormat::kPng, Read(d + 16, 4, true), Read(d + 20, 4, true));
}

std::optional<ImageHeader> Bmp(const uint8_t* d, size_t n) {
  if (n < 26) return std::nullopt;
  const uint64_t dib = Read(d + 14, 4, false);
  if (dib == 12) return Sized(ImageFormat::kBmp, Read(d + 18, 2, false), Read(d + 20, 2, false));
  const int32_t w = static_cast<int32_t>(Read(d + 18, 4, false));
  const int32_t h = static_cast<int32_t>(Read(d + 22, 4, false));  // negative: rows stored top-down
  if (w <= 0 || h == INT32_MIN) return std::nullopt;
  return Sized(ImageFormat::kBmp, uint64_t(w), uint64_t(h < 0 ? -int64_t(h) : h));
}

// The first IFD's ImageWidth (256) and ImageLength (257), classic or BigTIFF.
std::optional<ImageHeader> Tiff(const uint8_t* d, size_t n) {
  const bool be = d[0] == 'M';
  const uint64_t version = Read(d + 2, 2, be);
  const bool big = version == 43;
  if (version != 42 && !big) return std::nullopt;
  const size_t countBytes = big ? 8 : 2, entryBytes = big ? 20 : 12, valueBytes = big ? 8 : 4;
  if (n < (big ? 16u : 8u)) return std::nullopt;
  const uint64_t ifd = big ? Read(d + 8, 8, be) : Read(d + 4, 4, be);
  if (ifd >= n || n - ifd < countBytes) return std::nullopt;
  const uint64_t entries = Read(d + ifd, int(countBytes), be);
  uint64_t w = 0, h = 0, samples = 1;
  bool haveW = false, haveH = false, haveSamples = false;
  for (uint64_t k = 0; k < entries; ++k) {
    const uint64_t at = ifd + countBytes + k * entryBytes;
    if (at + entryBytes > n) return std::nullopt;
    const uint64_t tag = Read(d + at, 2, be), type = Read(d + at + 2, 2, be);
    if (tag == 277 && !haveSamples && type == 3) {  // SamplesPerPixel: a SHORT
      samples = Read(d + at + entryBytes - valueBytes, 2, be);
      haveSamples = true;
    }
    if (tag != 256 && tag != 257) continue;
    const uint8_t* value = d + at + entryBytes - valueBytes;  // the value field closes every entry
    uint64_t v;
    if (type == 3) v = Read(value, 2, be);        // SHORT, left-justified in the field
    else if (type == 4) v = Read(value, 4, be);   // LONG
    else if (type == 16 && big) v = Read(value, 8, be);  // LONG8
    else return std::nullopt;
    // libtiff keeps a tag's first entry and ignores repeats; so must we.
    bool& have = tag == 256 ? haveW : haveH;
    if (!have) (tag == 256 ? w : h) = v;
    have = true;
  }
  std::optional<ImageHeader> header = Sized(ImageFormat::kTiff, w, h);
  if (header && samples > 0) header->samples = samples;
  return header;
}

}  // namespace

void CheckPixels(uint64_t width, uint64_t height, uint64_t maxPixels, const std::string& what, const char* verb) {
  // width * height > maxPixels, without the product (BigTIFF sides can overflow it).
  if (maxPixels != 0 && height != 0 && width > maxPixels / height)
    throw Error(code::kImageTooLarge, what + " " + verb + " " + std::to_string(width) + "x" + std::to_string(height) +
                                          ", over the " + std::to_string(maxPixels) + "-pixel input limit (limitInputPixels)");
}

namespace {

// Orientation in one APP1 payload (after the "Exif\0\0" mark): a TIFF header and IFD0.
int ExifOrientation(const uint8_t* t, size_t n) {
  if (n < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M'))) return 1;
  const bool be = t[0] == 'M';
  if (Read(t + 2, 2, be) != 42) return 1;
  const uint64_t ifd = Read(t + 4, 4, be);
  if (ifd > n - 2) return 1;
  const uint64_t entries = Read(t + ifd, 2, be);
  for (uint64_t k = 0; k < entries; ++k) {
    const uint64_t at = ifd + 2 + 12 * k;
    if (at + 12 > n) return 1;
    if (Read(t + at, 2, be) != 0x0112) continue;
    if (Read(t + at + 2, 2, be) != 3 || Read(t + at + 4, 4, be) != 1) return 1;  // one SHORT
    const uint64_t v = Read(t + at + 8, 2, be);
    return v >= 1 && v <= 8 ? int(v) : 1;
  }
  return 1;
}

}  // namespace

int JpegExifOrientation(const uint8_t* d, size_t n) {
  if (d == nullptr || n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 1;
  int orientation = 1;
  VisitJpegSegments(d, n, [&](uint8_t marker, size_t i, size_t len) {
    if (marker == 0xDA) return false;  // EXIF comes before the scan
    if (marker != 0xE1 || len < 8 || n - (i + 4) < len - 2 || std::memcmp(d + i + 4, "Exif\0\0", 6) != 0) return true;
    orientation = ExifOrientation(d + i + 10, len - 8);
    return false;
  });
  return orientation;
}

void CheckSamples(uint64_t width, uint64_t height, uint64_t samples, uint64_t maxPixels, const std::string& what) {
  if (maxPixels == 0 || samples <= 4 || height == 0) return;
  const uint64_t per = (samples + 3) / 4;  // four-sample pixels a pixel counts as
  if (width <= maxPixels / height / per) return;
  throw Error(code::kImageTooLarge, what + " is " + std::to_string(width) + "x" + std::to_string(height) + " with " +
                                        std::to_string(samples) + " samples a pixel, as many as " + std::to_string(width) +
                                        "x" + std::to_string(height) + "x" + std::to_string(per) +
                                        " four-sample pixels: over the " + std::to_string(maxPixels) +
                                        "-pixel input limit (limitInputPixels)");
}

std::string NotAnImage(const uint8_t* d, size_t n) {
  if (d != nullptr && n >= 16) {
    // A BMP's info header without the 14-byte 'BM' file header before it (a .dib, a clipboard's CF_DIB).
    const uint64_t size = Read(d, 4, false);
    if ((size == 40 || size == 108 || size == 124) && Read(d + 12, 2, false) == 1)
      return " is a headerless DIB (a BMP without its 'BM' file header), which is not supported";
  }
  return " is not a JPEG, PNG, BMP or TIFF image (or its header is cut short)";
}

bool JpegHasEnd(const uint8_t* d, size_t n) {
  // Segments are skipped by their length (an EXIF thumbnail in APP1 has an end
  // marker of its own); inside a scan's entropy-coded data a 0xFF is stuffed
  // (FF 00) or a restart marker, and any other marker ends the scan: the tables
  // between a progressive JPEG's scans are segments again, not scan data.
  size_t i = 2;
  bool inScan = false;
  while (NextMarker(d, n, &i)) {
    const uint8_t marker = d[i + 1];
    if (inScan && marker >= 0xD0 && marker <= 0xD7) {  // (NextMarker passes over stuffed zeros)
      i += 2;
      continue;
    }
    inScan = false;
    if (marker == 0xD9) return true;
    if (StandaloneMarker(marker)) {
      i += 2;
      continue;
    }
    if (i + 4 > n) return false;
    const size_t len = Read(d + i + 2, 2, true);
    i += 2 + std::max<size_t>(len, 2);  // as VisitJpegSegments walks a length under 2
    inScan = marker == 0xDA;
  }
  return false;
}

std::optional<ImageHeader> PeekImageHeader(const uint8_t* d, size_t n) {
  if (d == nullptr || n < 4) return std::nullopt;
  if (d[0] == 0xFF && d[1] == 0xD8) return Jpeg(d, n);
  if (n >= 8 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G' && d[4] == '\r' && d[5] == '\n' &&
      d[6] == 0x1A && d[7] == '\n')
    return Png(d, n);
  if (d[0] == 'B' && d[1] == 'M') return Bmp(d, n);
  if ((d[0] == 'I' && d[1] == 'I') || (d[0] == 'M' && d[1] == 'M')) return Tiff(d, n);
  return std::nullopt;
}

}  // namespace di
