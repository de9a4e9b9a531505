// Which way up is a package? minAreaRect knows its sides only up to 90
// degrees. The rule, explicit:
//   1. the long side is horizontal in the upright crop (aspect ratio), and
//   2. with `kDieLeft` (default) the die (largest bright blob) lies left of the
//      vertical centre line, which fixes the remaining 180 degrees;
//      `kLongSide` stops after rule 1 and picks the pose nearest to the image axes.
#pragma once

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::roi {

enum class OrientationRule { kDieLeft, kLongSide };

struct Oriented {
  Quad quad;           // TL, TR, BR, BL of the upright package
  bool cueUsed = false;  // the die cue decided (false: fell back to rule 1 only)
};

Oriented OrientPackage(const cv::Mat& gray, const Quad& clockwiseCorners, OrientationRule rule);

// Sorts four corners clockwise on screen, starting anywhere.
Quad Clockwise(const Quad& q);

}  // namespace di::roi
