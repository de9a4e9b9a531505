// The upright crop of a quad and the homographies between crop and image.
#pragma once

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::roi {

struct UprightWarp {
  cv::Size size;            // crop size: mean lengths of opposite sides
  cv::Matx33d cropToImage;  // continuous coordinates
  cv::Matx33d imageToCrop;
};

UprightWarp PlanWarp(const Quad& quad, double scale = 1.0);
cv::Mat WarpUpright(const cv::Mat& image, const UprightWarp& w);

}  // namespace di::roi
