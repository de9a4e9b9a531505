// Planar geometry shared by the synthesiser, the ROI stage and the resizes.
//
// Coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1), so its
// centre is (i + 0.5, j + 0.5) and an image of width W spans [0, W]. Boxes,
// quads and homographies in the API all use this convention; OpenCV's warps
// index pixel centres at integers, hence ToIndexSpace().
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace di {

using Quad = std::array<cv::Point2d, 4>;  // TL, TR, BR, BL of the object's upright frame

constexpr double kPi = 3.14159265358979323846;

inline cv::Point2d Apply(const cv::Matx33d& h, const cv::Point2d& p) {
  const double w = h(2, 0) * p.x + h(2, 1) * p.y + h(2, 2);
  return {(h(0, 0) * p.x + h(0, 1) * p.y + h(0, 2)) / w, (h(1, 0) * p.x + h(1, 1) * p.y + h(1, 2)) / w};
}

// Continuous-coordinate map -> the matrix OpenCV's warp functions expect.
inline cv::Matx33d ToIndexSpace(const cv::Matx33d& h) {
  const cv::Matx33d shiftIn(1, 0, 0.5, 0, 1, 0.5, 0, 0, 1);     // index -> continuous
  const cv::Matx33d shiftOut(1, 0, -0.5, 0, 1, -0.5, 0, 0, 1);  // continuous -> index
  return shiftOut * h * shiftIn;
}

// Homography taking the upright crop [0,w] x [0,h] onto the quad.
inline cv::Matx33d CropToQuad(const Quad& q, double w, double h) {
  const cv::Point2f src[4] = {{0.f, 0.f}, {float(w), 0.f}, {float(w), float(h)}, {0.f, float(h)}};
  const cv::Point2f dst[4] = {cv::Point2f(q[0]), cv::Point2f(q[1]), cv::Point2f(q[2]), cv::Point2f(q[3])};
  cv::Mat m = cv::getPerspectiveTransform(src, dst, cv::DECOMP_SVD);
  return cv::Matx33d(m);
}

// Intersection of the lines through p1 along d1 and p2 along d2; false when parallel.
inline bool IntersectLines(const cv::Point2d& p1, const cv::Point2d& d1, const cv::Point2d& p2, const cv::Point2d& d2,
                           cv::Point2d& out) {
  const double den = d1.x * d2.y - d1.y * d2.x;
  if (std::abs(den) < 1e-9) return false;
  const cv::Point2d w = p2 - p1;
  out = p1 + d1 * ((w.x * d2.y - w.y * d2.x) / den);
  return true;
}

// Axis-aligned bounds of points, as [x1, y1, x2, y2].
inline cv::Vec4d Bounds(const std::vector<cv::Point2d>& pts) {
  cv::Vec4d b(INFINITY, INFINITY, -INFINITY, -INFINITY);
  for (const auto& p : pts) {
    b[0] = std::min(b[0], p.x);
    b[1] = std::min(b[1], p.y);
    b[2] = std::max(b[2], p.x);
    b[3] = std::max(b[3], p.y);
  }
  return b;
}

// Degrees in (-180, 180].
inline double WrapDegrees180(double a) {
  a = std::fmod(a, 360.0);
  if (a <= -180.0) a += 360.0;
  if (a > 180.0) a -= 360.0;
  return a;
}

// Direction of the quad's top edge (TL -> TR) in image coordinates (y down), in
// [0, 360): positive turns clockwise on screen.
inline double QuadAngle(const Quad& q) {
  const double a = std::atan2(q[1].y - q[0].y, q[1].x - q[0].x) * 180.0 / kPi;
  if (a >= 0) return a;
  // A tiny negative angle plus 360 rounds to 360 itself, outside [0, 360).
  return a + 360.0 < 360.0 ? a + 360.0 : 0.0;
}

// `size` scaled for a resize, each side rounded but kept at 1 px or more: a plain
// scale factor handed to cv::resize rounds a 1 px side of a narrow image to none.
inline cv::Size ScaledSize(cv::Size size, double scale) {
  return {std::max(1, int(std::lround(size.width * scale))), std::max(1, int(std::lround(size.height * scale)))};
}

}  // namespace di
