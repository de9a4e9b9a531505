// The study's classical ROI chain, with its failure modes fixed: thresholds
// scale with the image, every plausible candidate is scored and the best kept,
// and "nothing found" is a result rather than a crash.
#pragma once

#include <optional>

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::roi {

struct ContourParams {
  int blockSize = 151;          // adaptive mean threshold block (study: 151) at 1280 px wide; scaled with width
  double c = 3.0;               // adaptive threshold constant (study: 3)
  double minContourFrac = 0.02; // contour area / image area (study: 35,000 px)
  double minRectFrac = 0.05;    // minAreaRect area / image area (study: 100,000 px)
  double maxRectFrac = 0.9;
  double epsilonFrac = 0.01;    // approxPolyDP epsilon / perimeter (study: 1%)
};

struct PackageCandidate {
  cv::RotatedRect rect;
  Quad corners;    // the rect's corners, clockwise, unordered otherwise
  double score = 0;  // fill ratio x darkness contrast with the surroundings, in [0, 1]
  double fill = 0;   // blob area / rectangle area (0 when it touches the frame)
  // How far (px) the corners may sit from the true edges: 1.5 px of the reduced
  // copy the search ran on (0 at full resolution).
  double searchRadius = 0;
};

// Finds the package on a grayscale image; nullopt when no candidate passes.
std::optional<PackageCandidate> FindPackageByContour(const cv::Mat& gray, const ContourParams& p);

}  // namespace di::roi
