// Robust straight-line fit for the package's side refits. cv::fitLine with a
// Huber distance restarts from 20 random 10-point subsets and keeps the best;
// one iteratively reweighted fit from the least-squares line costs a fraction
// of that. Its lines are not identical to cv::fitLine's (it converges tighter
// and from another start): bench/roi-speed.js --accuracy shows the package's
// corners as good or better with it.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace di::roi {

// The line through `pts` minimising the Huber loss of the orthogonal distances
// (the same loss and constant as cv::DIST_HUBER with param 0). Returns
// (vx, vy, x0, y0) like cv::fitLine: unit direction and a point on the line.
// Needs at least two distinct points; otherwise returns the least-squares line.
cv::Vec4f FitLineHuber(const std::vector<cv::Point2f>& pts);

}  // namespace di::roi
