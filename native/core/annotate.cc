#include "core/annotate.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di {

void DrawShapes(cv::Mat& img, const std::vector<Shape>& shapes, double scale) {
  constexpr int kShift = 4;
  for (const Shape& s : shapes) {
    if (s.points.empty()) continue;
    if (s.kind == Shape::Kind::kPolygon) {
      std::vector<cv::Point> pts;
      for (const auto& p : s.points)
        pts.push_back({int(std::lround((p.x * scale - 0.5) * (1 << kShift))), int(std::lround((p.y * scale - 0.5) * (1 << kShift)))});
      cv::polylines(img, std::vector<std::vector<cv::Point>>{pts}, s.closed, s.color, std::max(1, int(std::lround(s.thickness))),
                    cv::LINE_AA, kShift);
    } else {
      int baseline = 0;
      const int thick = std::max(1, int(std::lround(s.fontScale * 2)));
      const cv::Size size = cv::getTextSize(s.text, cv::FONT_HERSHEY_SIMPLEX, s.fontScale, thick, &baseline);
      // Keep labels inside the frame so none is cut off at an edge.
      int x = int(std::lround(s.points[0].x * scale)), y = int(std::lround(s.points[0].y * scale));
      x = std::clamp(x, 0, std::max(0, img.cols - size.width - 4));
      y = std::clamp(y, 0, std::max(0, img.rows - size.height - baseline - 4));
      cv::rectangle(img, {x, y}, {x + size.width + 4, y + size.height + baseline + 4}, s.color, cv::FILLED);
      const double luma = 0.114 * s.color[0] + 0.587 * s.color[1] + 0.299 * s.color[2];
      cv::putText(img, s.text, {x + 2, y + size.height + 2}, cv::FONT_HERSHEY_SIMPLEX, s.fontScale,
                  luma > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255), thick, cv::LINE_AA);
    }
  }
}

}  // namespace di
