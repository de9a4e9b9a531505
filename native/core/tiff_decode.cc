#include "core/tiff_check.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <tiffio.h>

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

int OnError(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* m = static_cast<Memory*>(user);
  if (m->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof(text), fmt, ap);
    m->error = module && *module ? std::string(module) + ": " + text : text;
  }
  return 1;  // handled: nothing reaches libtiff's default (stderr) handler
}

int OnWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

}  // namespace

void CheckTiff(const uint8_t* data, size_t length, const std::string& what, bool failOnWarning,
               std::string* warning) {
  Memory m{data, length, 0, {}};
  std::unique_ptr<TIFFOpenOptions, decltype(&TIFFOpenOptionsFree)> opts(TIFFOpenOptionsAlloc(), TIFFOpenOptionsFree);
  if (!opts) throw Error(code::kInternal, "libtiff could not allocate its options");
  TIFFOpenOptionsSetErrorHandlerExtR(opts.get(), OnError, &m);
  TIFFOpenOptionsSetWarningHandlerExtR(opts.get(), OnWarning, &m);
  // "m": no memory mapping (the bytes are ours already); reads go through Read/Seek.
  std::unique_ptr<TIFF, decltype(&TIFFClose)> tif(
      TIFFClientOpenExt("TIFF", "rm", &m, Read, Write, Seek, Close, Size, nullptr, nullptr, opts.get()), TIFFClose);
  const auto fail = [&](const char* fallback) {
    throw Error(code::kImageDecode, what + " could not be decoded: " + (m.error.empty() ? fallback : m.error));
  };
  if (!tif) fail("not a readable TIFF");
  const bool tiled = TIFFIsTiled(tif.get());
  const uint32_t parts = tiled ? TIFFNumberOfTiles(tif.get()) : TIFFNumberOfStrips(tif.get());
  const tmsize_t partSize = tiled ? TIFFTileSize(tif.get()) : TIFFStripSize(tif.get());
  if (parts == 0 || partSize <= 0) fail("no image data");
  std::vector<uint8_t> buf(static_cast<size_t>(partSize));
  for (uint32_t i = 0; i < parts; ++i) {
    const tmsize_t got = tiled ? TIFFReadEncodedTile(tif.get(), i, buf.data(), partSize)
                               : TIFFReadEncodedStrip(tif.get(), i, buf.data(), partSize);
    if (got >= 0) continue;
    if (failOnWarning) fail("image data cut short or corrupt");
    if (warning) *warning = "damaged TIFF data (" + (m.error.empty() ? std::string("a strip could not be read") : m.error) + ")";
    return;
  }
}

}  // namespace di
