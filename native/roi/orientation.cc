#include "roi/orientation.h"

#include <algorithm>
#include <cmath>

#include "roi/die.h"
#include "roi/warp.h"

namespace di::roi {

Quad Clockwise(const Quad& q) {
  const cv::Point2d c = (q[0] + q[1] + q[2] + q[3]) * 0.25;
  Quad out = q;
  std::sort(out.begin(), out.end(), [&](const cv::Point2d& a, const cv::Point2d& b) {
    return std::atan2(a.y - c.y, a.x - c.x) < std::atan2(b.y - c.y, b.x - c.x);
  });
  return out;
}

namespace {

Quad Rotated(const Quad& q, int start) {
  return {q[start % 4], q[(start + 1) % 4], q[(start + 2) % 4], q[(start + 3) % 4]};
}

}  // namespace

Oriented OrientPackage(const cv::Mat& gray, const Quad& corners, OrientationRule rule) {
  const Quad q = Clockwise(corners);
  // Rule 1: start at a corner whose outgoing side is a long one.
  const int first = cv::norm(q[1] - q[0]) >= cv::norm(q[2] - q[1]) ? 0 : 1;
  const Quad a = Rotated(q, first), b = Rotated(q, first + 2);
  Oriented out;
  // Without a cue: the pose whose top edge points most nearly along +x.
  const double angA = std::abs(WrapDegrees180(QuadAngle(a))), angB = std::abs(WrapDegrees180(QuadAngle(b)));
  out.quad = angA <= angB ? a : b;
  if (rule == OrientationRule::kLongSide) return out;
  // Rule 2 on a small upright preview: where is the die?
  UprightWarp w = PlanWarp(a, 1.0);
  const double s = std::min(1.0, 160.0 / std::max(1, w.size.width));
  w = PlanWarp(a, s);
  const cv::Mat preview = WarpUpright(gray, w);
  const auto blob = FindDieBlob(preview);
  if (!blob) return out;
  const double cx = (blob->center.x + 0.5) / preview.cols;
  if (std::abs(cx - 0.5) < 0.02) return out;  // centred die: no cue
  out.quad = cx < 0.5 ? a : b;
  out.cueUsed = true;
  return out;
}

}  // namespace di::roi
