// Binary mask -> package quad, shared by the model strategies (seg, sam): the
// largest connected component's minimum-area rectangle, in continuous
// coordinates. The result is a proposal; RefineQuad then snaps its sides to
// the image's edges, so mask resolution only has to be good to a pixel or two.
#pragma once

#include <optional>

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::roi {

struct MaskQuad {
  Quad corners;       // clockwise on screen, any starting corner
  double area = 0;    // pixels in the component
};

// `mask` is CV_8U, non-zero = inside, one value per image pixel. nullopt when
// the mask is empty.
std::optional<MaskQuad> MaskToQuad(const cv::Mat& mask);

}  // namespace di::roi
