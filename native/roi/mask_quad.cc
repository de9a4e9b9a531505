#include "roi/mask_quad.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di::roi {

std::optional<MaskQuad> MaskToQuad(const cv::Mat& mask) {
  CV_Assert(mask.type() == CV_8U);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  int best = 0;
  for (int k = 1; k < n; ++k)
    if (best == 0 || stats.at<int>(k, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA)) best = k;
  if (best == 0) return std::nullopt;

  // Only the component's rim matters to its hull.
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(labels == best, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  std::vector<cv::Point> pts;
  for (const auto& c : contours) pts.insert(pts.end(), c.begin(), c.end());
  cv::RotatedRect rect = cv::minAreaRect(pts);

  // The rectangle runs through rim pixel centres. An axis-aligned region
  // extends half a pixel beyond them on each side, a tilted one barely: grow
  // the sides by the margin d in [0, 0.5] that makes the rectangle's area
  // equal the pixel count, which covers both cases.
  const double area = stats.at<int>(best, cv::CC_STAT_AREA);
  const double w = rect.size.width, h = rect.size.height;
  // (w + 2d)(h + 2d) = area  ->  4d^2 + 2(w + h)d + wh - area = 0
  const double b = 2 * (w + h), c = w * h - area;
  const double d = std::clamp((-b + std::sqrt(std::max(0.0, b * b - 16 * c))) / 8, 0.0, 0.5);
  rect.size.width = float(w + 2 * d);
  rect.size.height = float(h + 2 * d);

  cv::Point2f q[4];
  rect.points(q);
  MaskQuad out;
  out.area = area;
  // Pixel indices -> continuous coordinates (centres at +0.5).
  for (int i = 0; i < 4; ++i) out.corners[i] = {q[i].x + 0.5, q[i].y + 0.5};
  return out;
}

}  // namespace di::roi
