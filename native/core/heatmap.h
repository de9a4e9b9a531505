// Saliency drawn for people: a 0..1 map blended over an image as a colour ramp,
// each pixel's opacity its value, so what the model ignored stays as it was.
#pragma once

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di {

// Blends `map` (float 0..1, any size) over `bgr` in place. With a quad, the map's
// corners go onto the quad's (a map of the upright crop drawn on the full image);
// otherwise it covers the whole image. `scale` maps quad coordinates onto bgr
// (an image drawn downscaled); `alpha` is the opacity of a value of 1.
void BlendHeatmap(cv::Mat& bgr, const cv::Mat& map, const Quad* quad, double alpha, double scale = 1.0);

}  // namespace di
