// Robust straight-line fit for the side refits. cv::fitLine with a Huber
// distance restarts from 20 random 10-point subsets and keeps the best; for
// the Huber loss, which is convex near the answer, one iteratively reweighted
// fit from the least-squares line reaches the same line at a fraction of the cost.
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
