// Sub-pixel refinement of a quadrilateral's sides against image edges. A
// contour or a mask only places a side to within a pixel or two (and a soft
// border biases it); the strongest intensity step across each side, fitted
// robustly to a line, places it to a fraction of a pixel. Corners are the
// intersections of adjacent lines.
#pragma once

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::roi {

struct EdgeRefineParams {
  double searchRadius = 4.0;  // px either side of the current side
  int samplesPerSide = 48;
  double profileSigma = 1.2;  // px: Gaussian smoothing along each profile before the step search
  double margin = 0.12;       // skip this fraction of each side near the corners
  // > 0: take the innermost step at least this fraction of the strongest one, not
  // the strongest: seen from inside the package, its own edge comes first, and a
  // bright board trace just outside a coarse outline cannot outbid it.
  double innermostFraction = 0;
  // Fit each side with cv::fitLine's restarts instead of one reweighted fit: on a
  // die's short sides, crowded by bond pads, they give the steadier angle tail
  // (bench/roi-speed.js --accuracy); a package's long sides do not need them.
  bool restartedFit = false;
};

// `gray` is 8-bit or float single channel. Returns false (and leaves `quad`)
// when a side has too few reliable edge points.
bool RefineQuad(const cv::Mat& gray, Quad& quad, const EdgeRefineParams& p = {});

}  // namespace di::roi
