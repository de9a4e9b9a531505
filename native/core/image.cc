#include "core/image.h"

#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "util/error.h"

namespace di {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(code::kFileNotFound, "cannot open file: " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

cv::Mat DecodeBytes(const uint8_t* data, size_t length, const std::string& what) {
  if (data == nullptr || length == 0) throw Error(code::kImageDecode, what + " is empty");
  // imdecode reads only `length` bytes of the wrapped buffer; no copy.
  const cv::Mat buf(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t*>(data));
  cv::Mat img;
  try {
    img = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(code::kImageDecode, what + " could not be decoded: " + e.what());
  }
  if (img.empty()) throw Error(code::kImageDecode, what + " is not a decodable JPEG/PNG/BMP/TIFF image");
  if (img.depth() != CV_8U) {
    // 16-bit TIFF/PNG: scale to 8 bits rather than refuse it.
    cv::Mat scaled;
    double maxv = img.depth() == CV_16U ? 257.0 : 1.0;
    img.convertTo(scaled, CV_8U, 1.0 / maxv);
    img = scaled;
  }
  return ToBgr(img, false);
}

}  // namespace

cv::Mat LoadBgr(const ImageSource& src) {
  switch (src.kind) {
    case ImageSource::Kind::kPath: {
      const std::string bytes = ReadFile(src.path);
      return DecodeBytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "image file " + src.path);
    }
    case ImageSource::Kind::kEncoded:
      return DecodeBytes(src.data, src.length, "image buffer");
    case ImageSource::Kind::kRaw: {
      const int c = src.channels;
      if (src.width <= 0 || src.height <= 0 || (c != 1 && c != 3 && c != 4))
        throw Error(code::kInvalidArg, "raw image needs width, height > 0 and channels 1, 3 or 4");
      const size_t need = static_cast<size_t>(src.width) * src.height * c;
      if (src.data == nullptr || src.length < need)
        throw Error(code::kInvalidArg, "raw image buffer holds " + std::to_string(src.length) + " bytes, " +
                                           std::to_string(need) + " needed for " + std::to_string(src.width) +
                                           "x" + std::to_string(src.height) + "x" + std::to_string(c));
      const cv::Mat view(src.height, src.width, CV_8UC(c), const_cast<uint8_t*>(src.data));
      return ToBgr(view, src.rgb);
    }
  }
  throw Error(code::kInternal, "unknown image source kind");
}

}  // namespace di
