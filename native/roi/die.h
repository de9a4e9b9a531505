// Die-angle measurement (the study's stated future work): on the upright
// crop, find the die, fit its sides to sub-pixel edges, and report its
// rotation relative to the package.
#pragma once

#include <optional>

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::roi {

// The die: the largest bright blob of the crop (wires and the LED are thinner
// or smaller), found on a grayscale crop.
std::optional<cv::RotatedRect> FindDieBlob(const cv::Mat& grayCrop);

struct DieMeasurement {
  Quad quad;       // crop coordinates, TL TR BR BL of the die's own frame
  double angle;    // degrees in (-45, 45], clockwise on screen, relative to the crop axes
  bool refined;    // sides fitted to sub-pixel edges (else the blob's rectangle)
};

std::optional<DieMeasurement> MeasureDie(const cv::Mat& grayCrop);

// Corners of a rotated rect in continuous coordinates, ordered so that the
// top edge is the side closest to horizontal (a +-45 degree frame).
Quad NearestUprightCorners(const cv::RotatedRect& r);

}  // namespace di::roi
