#include "roi/die.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "roi/edges.h"

namespace di::roi {

Quad NearestUprightCorners(const cv::RotatedRect& r) {
  cv::Point2f pts[4];
  r.points(pts);
  Quad q;
  const cv::Point2d c(r.center.x + 0.5, r.center.y + 0.5);
  std::array<std::pair<double, cv::Point2d>, 4> byAngle;
  for (int i = 0; i < 4; ++i) {
    const cv::Point2d p(pts[i].x + 0.5, pts[i].y + 0.5);
    byAngle[i] = {std::atan2(p.y - c.y, p.x - c.x), p};
  }
  // Clockwise on screen = increasing atan2 with y down; TL is the corner whose
  // direction from the centre is closest to -135 degrees.
  std::sort(byAngle.begin(), byAngle.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  int start = 0;
  double bestD = 1e9;
  for (int i = 0; i < 4; ++i) {
    const double d = std::abs(WrapDegrees180(byAngle[i].first * 180 / kPi + 135));
    if (d < bestD) {
      bestD = d;
      start = i;
    }
  }
  for (int i = 0; i < 4; ++i) q[i] = byAngle[(start + i) % 4].second;
  return q;
}

std::optional<cv::RotatedRect> FindDieBlob(const cv::Mat& gray) {
  cv::Mat bin;
  cv::threshold(gray, bin, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  const int k = std::max(3, int(std::lround(std::min(gray.cols, gray.rows) / 60.0)) | 1);
  cv::morphologyEx(bin, bin, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {k, k}));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(bin, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const std::vector<cv::Point>* best = nullptr;
  double bestArea = 0.02 * gray.cols * gray.rows;  // smaller blobs are pads, marks or the LED
  for (const auto& c : contours) {
    const double a = cv::contourArea(c);
    if (a > bestArea) {
      bestArea = a;
      best = &c;
    }
  }
  if (!best) return std::nullopt;
  return cv::minAreaRect(*best);
}

std::optional<DieMeasurement> MeasureDie(const cv::Mat& gray) {
  const std::optional<cv::RotatedRect> blob = FindDieBlob(gray);
  if (!blob) return std::nullopt;
  DieMeasurement m;
  m.quad = NearestUprightCorners(*blob);
  EdgeRefineParams p;
  p.searchRadius = 5;
  p.margin = 0.18;  // bond pads and wires crowd the die's corners
  m.refined = RefineQuad(gray, m.quad, p);
  // Average the directions of both horizontal sides: one chipped side then
  // moves the estimate half as much.
  const cv::Point2d top = m.quad[1] - m.quad[0], bottom = m.quad[2] - m.quad[3];
  const cv::Point2d dir = top / cv::norm(top) + bottom / cv::norm(bottom);
  m.angle = std::atan2(dir.y, dir.x) * 180 / kPi;
  return m;
}

}  // namespace di::roi
