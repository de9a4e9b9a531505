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
  std::string text;                 // text: the text; polygon: its label, placed by LayoutTexts ("" for none)
  double fontScale = 0.6;
};

// Where one text is drawn, in the drawn image's pixels: its filled background.
struct TextPlacement {
  int shape = -1;          // index into the shapes
  cv::Rect rect;           // every pixel of the background, nothing outside it
  cv::Point origin;        // where the glyphs' baseline starts (cv::putText)
  bool leader = false;     // a polygon label placed away from its outline: a line joins them
  cv::Point2d leaderFrom, leaderTo;
};

// The scale at which an image of `size` is drawn so its longer side is at most
// `maxSide` (0: no limit); never above 1.
double DrawScale(cv::Size size, int maxSide);

// Lays out every text of `shapes` on an image of `size` (the drawn image, after
// `scale` mapped shape coordinates onto it). A text shape stays at its anchor,
// moved only to stay inside the image and down past an earlier text it would
// cover. A polygon's label is placed in shape order,
// so earlier labels get the best spots: beside its outline (above, below, either
// side, inside), else as near as the image allows with a leader line, never on
// another text's rectangle while the image has room, covering as little of any
// outline as it can, always inside the image.
std::vector<TextPlacement> LayoutTexts(cv::Size size, const std::vector<Shape>& shapes, double scale = 1.0);

// Draws in place: outlines first, then the texts where LayoutTexts puts them, so
// no outline crosses a label; `scale` maps input coordinates to the image (when it was resized).
void DrawShapes(cv::Mat& bgr, const std::vector<Shape>& shapes, double scale = 1.0);

}  // namespace di
