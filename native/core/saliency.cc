#include "core/saliency.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di {

InputPlacement PlacementOf(const LetterboxMap& map, const PreprocessSpec& spec, int imageWidth, int imageHeight) {
  InputPlacement p;
  p.map = map;
  p.offsetX = spec.region[0] * imageWidth;
  p.offsetY = spec.region[1] * imageHeight;
  p.imageWidth = imageWidth;
  p.imageHeight = imageHeight;
  p.inputWidth = spec.width;
  p.inputHeight = spec.height;
  return p;
}

cv::Mat ClassActivation(const float* features, int channels, int h, int w, const std::vector<float>& weights,
                        int classes, int cls) {
  std::vector<double> wc(channels);
  for (int c = 0; c < channels; ++c) {
    double mean = 0;
    if (classes > 1) {
      for (int k = 0; k < classes; ++k) mean += weights[static_cast<size_t>(k) * channels + c];
      mean /= classes;
    }
    wc[c] = weights[static_cast<size_t>(cls) * channels + c] - mean;
  }
  cv::Mat map(h, w, CV_32F, cv::Scalar(0));
  const size_t plane = static_cast<size_t>(h) * w;
  float* out = map.ptr<float>();
  for (int c = 0; c < channels; ++c) {
    const float* f = features + c * plane;
    const float k = static_cast<float>(wc[c]);
    for (size_t i = 0; i < plane; ++i) out[i] += k * f[i];
  }
  return map;
}

cv::Mat CamToInput(const cv::Mat& cam, int width, int height, double dx, double dy) {
  // Input pixel u of the unmoved image was at u + dx in the moved one, whose cell index is
  // (u + dx + 0.5) * cols / width - 0.5.
  const double sx = static_cast<double>(cam.cols) / width, sy = static_cast<double>(cam.rows) / height;
  const cv::Matx23d m(sx, 0, (dx + 0.5) * sx - 0.5, 0, sy, (dy + 0.5) * sy - 0.5);
  cv::Mat out;
  cv::warpAffine(cam, out, cv::Mat(m), cv::Size(width, height), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  return out;
}

void ShiftPlanes(const float* src, int width, int height, int dx, int dy, const float* fill, float* dst) {
  const size_t plane = static_cast<size_t>(width) * height;
  for (int c = 0; c < 3; ++c) {
    float* o = dst + c * plane;
    std::fill(o, o + plane, fill[c]);
    const int x0 = std::max(0, dx), x1 = std::min(width, width + dx);
    if (x1 <= x0) continue;
    for (int y = std::max(0, dy); y < std::min(height, height + dy); ++y)
      std::copy_n(src + c * plane + static_cast<size_t>(y - dy) * width + (x0 - dx), x1 - x0, o + static_cast<size_t>(y) * width + x0);
  }
}

float NormaliseMap(cv::Mat& map, bool clipNegative) {
  double lo = 0, hi = 0;
  if (clipNegative) cv::max(map, 0.0, map);
  cv::minMaxLoc(map, &lo, &hi);
  if (clipNegative) lo = 0;
  const double range = hi - lo;
  if (!(range > 0) || !std::isfinite(range)) {
    map.setTo(0);
    return static_cast<float>(hi);
  }
  map.convertTo(map, CV_32F, 1.0 / range, -lo / range);
  return static_cast<float>(hi);
}

cv::Size MapSize(int imageWidth, int imageHeight, int maxSide) {
  const int side = std::max(imageWidth, imageHeight);
  if (maxSide <= 0 || side <= maxSide) return {imageWidth, imageHeight};
  const double s = static_cast<double>(maxSide) / side;
  return {std::max(1, static_cast<int>(std::lround(imageWidth * s))), std::max(1, static_cast<int>(std::lround(imageHeight * s)))};
}

cv::Mat ToImage(const cv::Mat& inputMap, const InputPlacement& p, cv::Size size) {
  // For each output pixel centre: image -> region -> model input -> grid index space.
  cv::Mat mx(size, CV_32F), my(size, CV_32F);
  const double sx = static_cast<double>(p.imageWidth) / size.width, sy = static_cast<double>(p.imageHeight) / size.height;
  const double gx = static_cast<double>(inputMap.cols) / p.inputWidth, gy = static_cast<double>(inputMap.rows) / p.inputHeight;
  const auto& m = p.map;
  for (int y = 0; y < size.height; ++y) {
    float* rx = mx.ptr<float>(y);
    float* ry = my.ptr<float>(y);
    const double v = ((y + 0.5) * sy - p.offsetY) * m.scaleY + m.padY;
    const bool inY = v >= m.padY && v <= m.padY + m.srcHeight * m.scaleY;
    for (int x = 0; x < size.width; ++x) {
      const double u = ((x + 0.5) * sx - p.offsetX) * m.scaleX + m.padX;
      const bool in = inY && u >= m.padX && u <= m.padX + m.srcWidth * m.scaleX;
      // Outside the part the model saw: far off the grid, so the constant border (0) applies.
      rx[x] = in ? static_cast<float>(std::clamp(u * gx - 0.5, -0.5, inputMap.cols - 0.5)) : -10.f;
      ry[x] = in ? static_cast<float>(std::clamp(v * gy - 0.5, -0.5, inputMap.rows - 0.5)) : -10.f;
    }
  }
  cv::Mat out;
  cv::remap(inputMap, out, mx, my, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  // BORDER_REPLICATE keeps edge cells at full strength; outside pixels are cleared here.
  for (int y = 0; y < size.height; ++y) {
    float* o = out.ptr<float>(y);
    const float* rx = mx.ptr<float>(y);
    for (int x = 0; x < size.width; ++x)
      if (rx[x] < -1.f) o[x] = 0.f;
  }
  return out;
}

void RiseMask(int cells, float keep, int width, int height, std::mt19937& rng, float* mask) {
  std::bernoulli_distribution on(keep);
  cv::Mat grid(cells, cells, CV_32F);
  for (int i = 0; i < cells * cells; ++i) grid.ptr<float>()[i] = on(rng) ? 1.f : 0.f;
  const int cw = (width + cells - 1) / cells, ch = (height + cells - 1) / cells;
  cv::Mat up;
  cv::resize(grid, up, cv::Size((cells + 1) * cw, (cells + 1) * ch), 0, 0, cv::INTER_LINEAR);
  std::uniform_int_distribution<int> dx(0, cw - 1), dy(0, ch - 1);
  const int ox = dx(rng), oy = dy(rng);
  for (int y = 0; y < height; ++y) std::copy_n(up.ptr<float>(y + oy) + ox, width, mask + static_cast<size_t>(y) * width);
}

cv::Rect GridCell(int grid, int i, int j, int width, int height) {
  const int x1 = i * width / grid, x2 = (i + 1) * width / grid;
  const int y1 = j * height / grid, y2 = (j + 1) * height / grid;
  return {x1, y1, x2 - x1, y2 - y1};
}

cv::Point2d PeakOf(const cv::Mat& map, int imageWidth, int imageHeight) {
  cv::Point at;
  cv::minMaxLoc(map, nullptr, nullptr, nullptr, &at);
  return {(at.x + 0.5) * imageWidth / map.cols, (at.y + 0.5) * imageHeight / map.rows};
}

}  // namespace di
