#include "core/heatmap.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace di {

void BlendHeatmap(cv::Mat& bgr, const cv::Mat& map, const Quad* quad, double alpha, double scale) {
  if (bgr.empty() || map.empty()) return;
  cv::Mat value;  // the map on bgr's pixels, 0 where it does not reach
  if (quad) {
    Quad q = *quad;
    for (auto& p : q) p *= scale;
    const cv::Matx33d h = ToIndexSpace(CropToQuad(q, map.cols, map.rows));
    cv::warpPerspective(map, value, cv::Mat(h), bgr.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  } else {
    cv::resize(map, value, bgr.size(), 0, 0, cv::INTER_LINEAR);
  }
  cv::Mat grey, colour;
  value.convertTo(grey, CV_8U, 255.0);
  cv::applyColorMap(grey, colour, cv::COLORMAP_JET);
  for (int y = 0; y < bgr.rows; ++y) {
    cv::Vec3b* o = bgr.ptr<cv::Vec3b>(y);
    const cv::Vec3b* c = colour.ptr<cv::Vec3b>(y);
    const float* v = value.ptr<float>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const double a = alpha * std::clamp(static_cast<double>(v[x]), 0.0, 1.0);
      if (a <= 0) continue;
      for (int k = 0; k < 3; ++k) o[x][k] = cv::saturate_cast<uint8_t>(o[x][k] * (1 - a) + c[x][k] * a);
    }
  }
}

}  // namespace di
