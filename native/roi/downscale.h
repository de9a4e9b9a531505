// Half-size copies for the searches that only need to land within an edge
// fit's reach.
#pragma once

#include <opencv2/core.hpp>

namespace di::roi {

// Area average of each 2x2 block; an odd last row or column is dropped, so that
// OpenCV takes its vectorised path (other factors and odd sizes run scalar).
// Pixel j of the copy covers pixels 2j and 2j + 1 of the source.
cv::Mat HalveArea(const cv::Mat& src);

}  // namespace di::roi
