#include "core/image.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>

#include <opencv2/imgproc.hpp>

#include "core/bmp_decode.h"
#include "core/image_header.h"
#include "core/jpeg_decode.h"
#include "core/png_decode.h"
#include "core/reference_pair.h"
#include "core/tiff_decode.h"
#include "util/error.h"
#include "util/file.h"

#ifdef __unix__
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace di {

#ifdef __unix__
// Opened without blocking and judged by the descriptor, not the name: a FIFO is
// refused before anything waits on it, and a file swapped in after a check by
// name cannot slip through.
std::string ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error(code::kFileNotFound, "cannot open file: " + path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(code::kFileNotFound, "cannot open file: " + path);
  if (!S_ISREG(st.st_mode)) throw Error(code::kImageDecode, "image file " + path + " is not a regular file");
  if (uintmax_t(st.st_size) > uintmax_t(INT32_MAX)) throw Error(code::kImageTooLarge, "image file " + path + " is over 2 GiB");
  std::string bytes(size_t(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the file shrank since fstat, or a read error: decoding will tell
    got += size_t(n);
  }
  bytes.resize(got);
  return bytes;
}
#else
std::string ReadFile(const std::string& path) {
  uintmax_t size = 0;
  const PathKind kind = ProbePath(path, &size);
  if (kind == PathKind::kMissing) throw Error(code::kFileNotFound, "cannot open file: " + path);
  if (kind == PathKind::kOther) throw Error(code::kImageDecode, "image file " + path + " is not a regular file");
  if (size > uintmax_t(INT32_MAX)) throw Error(code::kImageTooLarge, "image file " + path + " is over 2 GiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(code::kFileNotFound, "cannot open file: " + path);
  std::string bytes(size, '\0');
  in.read(bytes.data(), std::streamsize(size));
  bytes.resize(size_t(in.gcount()));  // the file may have shrunk since
  return bytes;
}
#endif

namespace {

cv::Mat ToBgr(const cv::Mat& img, bool rgb) {
  cv::Mat out;
  switch (img.channels()) {
    case 1: cv::cvtColor(img, out, cv::COLOR_GRAY2BGR); break;
    case 3: if (rgb) cv::cvtColor(img, out, cv::COLOR_RGB2BGR); else out = img; break;
    case 4: cv::cvtColor(img, out, rgb ? cv::COLOR_RGBA2BGR : cv::COLOR_BGRA2BGR); break;
    default: throw Error(code::kImageDecode, "unsupported channel count " + std::to_string(img.channels()));
  }
  return out;
}

// Turns an image stored in EXIF orientation o (2-8) upright.
cv::Mat Orient(const cv::Mat& img, int o) {
  cv::Mat out;
  switch (o) {
    case 2: cv::flip(img, out, 1); break;                           // mirrored left-right
    case 3: cv::flip(img, out, -1); break;                          // upside down
    case 4: cv::flip(img, out, 0); break;                           // mirrored top-bottom
    case 5: cv::transpose(img, out); break;                         // mirrored along the main diagonal
    case 6: cv::rotate(img, out, cv::ROTATE_90_CLOCKWISE); break;   // stored turned 90 degrees anticlockwise
    case 7: cv::transpose(img, out); cv::flip(out, out, -1); break;  // mirrored along the other diagonal
    case 8: cv::rotate(img, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: out = img;
  }
  return out;
}

// The header is read first: an unknown format or an oversized image is refused
// before the decoder allocates anything. targetW/H > 0 lets a JPEG decode at
// 1/2, 1/4 or 1/8 scale in the DCT domain, several times faster than a full
// decode followed by a downscale.
cv::Mat DecodeForTarget(const uint8_t* data, size_t length, const std::string& what, uint64_t maxPixels,
                        bool failOnWarning, bool autoOrient, int targetW, int targetH, cv::Size* original,
                        std::string* warning) {
  if (data == nullptr || length == 0) throw Error(code::kImageDecode, what + " is empty");
  const std::optional<ImageHeader> header = PeekImageHeader(data, length);
  if (!header) throw Error(code::kImageDecode, what + NotAnImage(data, length));
  CheckPixels(header->width, header->height, maxPixels, what);
  CheckSamples(header->width, header->height, header->samples, maxPixels, what);
  if (header->format == ImageFormat::kJpeg && !JpegHasEnd(data, length))
    throw Error(code::kImageDecode, what + " is a truncated JPEG (no end-of-image marker)");
  if (length > size_t(INT32_MAX)) throw Error(code::kImageTooLarge, what + " is over 2 GiB encoded");
  if (header->width > uint64_t(INT32_MAX) || header->height > uint64_t(INT32_MAX))
    throw Error(code::kImageTooLarge, what + " is wider or taller than 2^31 - 1 pixels");
  const int w = int(header->width), h = int(header->height);
  if (header->format == ImageFormat::kJpeg) {
    const int o = autoOrient ? JpegExifOrientation(data, length) : 1;
    const bool turned = o >= 5;  // upright, width and height trade places
    int f = 1;
    if (targetW > 0 && targetH > 0) {
      const double r = std::min(double(targetW) / (turned ? h : w), double(targetH) / (turned ? w : h));
      while (f < 8 && r * (2 * f) <= 1.0) f *= 2;  // keep at least the target resolution
    }
    *original = turned ? cv::Size(h, w) : cv::Size(w, h);
    return Orient(DecodeJpeg(data, length, f, maxPixels, failOnWarning, what, warning), o);
  }
  if (header->format == ImageFormat::kPng) {
    *original = {w, h};
    return DecodePng(data, length, maxPixels, failOnWarning, what, warning);
  }
  cv::Mat full = header->format == ImageFormat::kBmp ? DecodeBmp(data, length, maxPixels, failOnWarning, what, warning)
                                                    : DecodeTiff(data, length, maxPixels, failOnWarning, what, warning);
  *original = full.size();
  return full;
}

// The one switch over source kinds. targetW/H > 0 lets a JPEG decode at reduced
// scale (DecodeForTarget); `original` gets the full-resolution size either way.
cv::Mat LoadOne(const ImageSource& src, int targetW, int targetH, cv::Size* original, std::string* warning) {
  switch (src.kind) {
    case ImageSource::Kind::kPath: {
      const std::string bytes = ReadFile(src.path);
      return DecodeForTarget(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "image file " + src.path,
                             src.maxPixels, src.failOnWarning, src.autoOrient, targetW, targetH, original, warning);
    }
    case ImageSource::Kind::kEncoded:
      return DecodeForTarget(src.data, src.length, "image buffer", src.maxPixels, src.failOnWarning, src.autoOrient,
                             targetW, targetH, original, warning);
    case ImageSource::Kind::kRaw: {
      const int c = src.channels;
      if (src.width <= 0 || src.height <= 0 || (c != 1 && c != 3 && c != 4))
        throw Error(code::kInvalidArg, "raw image needs whole-number width and height >= 1 and channels 1, 3 or 4");
      CheckPixels(uint64_t(src.width), uint64_t(src.height), src.maxPixels, "raw image");
      const size_t need = static_cast<size_t>(src.width) * src.height * c;
      if (src.data == nullptr || src.length < need)
        throw Error(code::kInvalidArg, "raw image buffer holds " + std::to_string(src.length) + " bytes, " +
                                           std::to_string(need) + " needed for " + std::to_string(src.width) +
                                           "x" + std::to_string(src.height) + "x" + std::to_string(c));
      const cv::Mat view(src.height, src.width, CV_8UC(c), const_cast<uint8_t*>(src.data));
      *original = view.size();
      return ToBgr(view, src.rgb);
    }
  }
  throw Error(code::kInternal, "unknown image source kind");
}

}  // namespace

cv::Mat LoadBgrForTarget(const ImageSource& src, int targetW, int targetH, cv::Size* original,
                         Registration* registration, std::string* warning) {
  if (!src.reference) return LoadOne(src, targetW, targetH, original, warning);
  cv::Mat pair = LoadBgr(src, registration, warning);
  *original = pair.size();
  return pair;
}

cv::Mat LoadBgr(const ImageSource& src, Registration* registration, std::string* warning) {
  cv::Size original;
  cv::Mat test = LoadOne(src, 0, 0, &original, warning);
  if (!src.reference) return test;
  cv::Mat reference;
  std::string referenceWarning;
  try {
    reference = LoadOne(*src.reference, 0, 0, &original, &referenceWarning);
  } catch (const Error& e) {
    throw Error(e.code(), "reference: " + std::string(e.what()));
  }
  if (warning && !referenceWarning.empty())
    *warning += (warning->empty() ? "" : "; ") + std::string("reference: ") + referenceWarning;
  return ComposeReferencePair(test, reference, src.alignReference, registration);
}

}  // namespace di
