// Drawing results onto an image for people to look at: outlines (quads,
// boxes mapped through a homography) and labels on a filled background.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace di {

struct Shape {
  enum class Kind { kPolygon, kText } kind = Kind::kPolygon;
  std::vector<cv::Point2d> points;  // polygon: outline (continuous coordinates); text: anchor (top-left)
  bool closed = true;
  cv::Scalar color{0, 255, 0};      // BGR
  double thickness = 2;
  std::string text;
  double fontScale = 0.6;
};

// Draws in place; `scale` maps input coordinates to the image (when it was resized).
void DrawShapes(cv::Mat& bgr, const std::vector<Shape>& shapes, double scale = 1.0);

}  // namespace di
