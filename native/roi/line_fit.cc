#include "roi/line_fit.h"

#include <cmath>

namespace di::roi {

namespace {

constexpr double kHuberC = 1.345;  // cv::DIST_HUBER's constant for param 0

// Weighted total least squares: the centroid and the principal direction.
void WeightedLine(const std::vector<cv::Point2f>& pts, const std::vector<double>& w, cv::Point2d& c, cv::Point2d& d) {
  double sw = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    sw += w[i];
    sx += w[i] * pts[i].x;
    sy += w[i] * pts[i].y;
  }
  c = {sx / sw, sy / sw};
  double xx = 0, xy = 0, yy = 0;
  for (size_t i = 0; i < pts.size(); ++i) {
    const double dx = pts[i].x - c.x, dy = pts[i].y - c.y;
    xx += w[i] * dx * dx;
    xy += w[i] * dx * dy;
    yy += w[i] * dy * dy;
  }
  const double t = 0.5 * std::atan2(2 * xy, xx - yy);  // angle of the major axis
  d = {std::cos(t), std::sin(t)};
}

}  // namespace

cv::Vec4f FitLineHuber(const std::vector<cv::Point2f>& pts) {
  if (pts.empty()) return {1, 0, 0, 0};
  std::vector<double> w(pts.size(), 1.0);
  cv::Point2d c, d;
  WeightedLine(pts, w, c, d);
  for (int iter = 0; iter < 30; ++iter) {
    for (size_t i = 0; i < pts.size(); ++i) {
      const double r = std::abs((pts[i].x - c.x) * d.y - (pts[i].y - c.y) * d.x);
      w[i] = r < kHuberC ? 1.0 : kHuberC / r;
    }
    cv::Point2d c2, d2;
    WeightedLine(pts, w, c2, d2);
    if (d2.dot(d) < 0) d2 = -d2;
    // Converged when the line moves by less than 1e-4 px and 1e-5 rad.
    const double moved = std::abs((c2 - c).cross(d2)), turned = std::abs(d.cross(d2));
    c = c2;
    d = d2;
    if (moved < 1e-4 && turned < 1e-5) break;
  }
  return {float(d.x), float(d.y), float(c.x), float(c.y)};
}

}  // namespace di::roi
