#include "core/preprocess.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di {

int AlignToStride(int size, int stride) {
  if (stride <= 1) return size;
  return ((size + stride - 1) / stride) * stride;
}

LetterboxMap ComputeMap(int srcWidth, int srcHeight, const PreprocessSpec& spec) {
  LetterboxMap m;
  m.srcWidth = srcWidth;
  m.srcHeight = srcHeight;
  if (spec.mode == ResizeMode::kStretch) {
    m.scaleX = static_cast<float>(spec.width) / srcWidth;
    m.scaleY = static_cast<float>(spec.height) / srcHeight;
    return m;
  }
  const float r = std::min(static_cast<float>(spec.width) / srcWidth, static_cast<float>(spec.height) / srcHeight);
  const int newW = std::max(1, static_cast<int>(std::lround(srcWidth * r)));
  const int newH = std::max(1, static_cast<int>(std::lround(srcHeight * r)));
  // Exact per-axis scale of the resized content, so the round trip is exact.
  m.scaleX = static_cast<float>(newW) / srcWidth;
  m.scaleY = static_cast<float>(newH) / srcHeight;
  m.padX = static_cast<float>((spec.width - newW) / 2);
  m.padY = static_cast<float>((spec.height - newH) / 2);
  return m;
}

LetterboxMap PreprocessInto(const cv::Mat& full, const PreprocessSpec& spec, float* dst, cv::Size original) {
  if (original.width <= 0 || original.height <= 0) original = full.size();
  cv::Mat bgr = full;
  const auto& rg = spec.region;
  if (rg[0] != 0.f || rg[1] != 0.f || rg[2] != 1.f || rg[3] != 1.f) {
    auto cut = [&](int size, float a, float b) {
      const int lo = std::clamp(static_cast<int>(std::lround(a * size)), 0, size - 1);
      const int hi = std::clamp(static_cast<int>(std::lround(b * size)), lo + 1, size);
      return std::pair{lo, hi};
    };
    const auto [x1, x2] = cut(full.cols, rg[0], rg[2]);
    const auto [y1, y2] = cut(full.rows, rg[1], rg[3]);
    bgr = full(cv::Range(y1, y2), cv::Range(x1, x2));
    original = {std::max(1, static_cast<int>(std::lround(original.width * double(x2 - x1) / full.cols))),
                std::max(1, static_cast<int>(std::lround(original.height * double(y2 - y1) / full.rows)))};
  }
  const LetterboxMap m = ComputeMap(original.width, original.height, spec);
  const int newW = static_cast<int>(std::lround(original.width * m.scaleX));
  const int newH = static_cast<int>(std::lround(original.height * m.scaleY));

  cv::Mat resized;
  if (newW == bgr.cols && newH == bgr.rows) {
    resized = bgr;
  } else {
    const int interp = (newW < bgr.cols) ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(bgr, resized, cv::Size(newW, newH), 0, 0, interp);
  }

  const int W = spec.width, H = spec.height;
  const size_t plane = static_cast<size_t>(W) * H;
  // Per output channel c (RGB order if swapRB): v = (p * scale - mean) / std = p * a + b.
  float a[3], b[3];
  int srcChannel[3];
  for (int c = 0; c < 3; ++c) {
    srcChannel[c] = spec.swapRB ? 2 - c : c;
    a[c] = spec.scale / spec.std[c];
    b[c] = -spec.mean[c] / spec.std[c];
  }
  const int px = static_cast<int>(m.padX), py = static_cast<int>(m.padY);
  for (int c = 0; c < 3; ++c) {
    const float padV = spec.padValue * a[c] + b[c];
    float* out = dst + c * plane;
    std::fill(out, out + plane, padV);
  }
  for (int y = 0; y < newH; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y);
    float* o0 = dst + 0 * plane + static_cast<size_t>(y + py) * W + px;
    float* o1 = dst + 1 * plane + static_cast<size_t>(y + py) * W + px;
    float* o2 = dst + 2 * plane + static_cast<size_t>(y + py) * W + px;
    const int s0 = srcChannel[0], s1 = srcChannel[1], s2 = srcChannel[2];
    for (int x = 0; x < newW; ++x) {
      const uint8_t* p = row + 3 * x;
      o0[x] = p[s0] * a[0] + b[0];
      o1[x] = p[s1] * a[1] + b[1];
      o2[x] = p[s2] * a[2] + b[2];
    }
  }
  return m;
}

}  // namespace di
