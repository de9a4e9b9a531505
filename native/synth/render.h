// Scene -> pixels: the upright package canvas, a PCB-like background, the
// posed composite with a soft border, and the brightfield / darkfield looks.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "synth/scene.h"

namespace di::synth {

struct RenderOptions {
  int width = 1280, height = 960;
  std::vector<Mode> modes{Mode::kBrightfield};
  bool crop = false;  // also cut the upright crop out of the brightfield image
  bool mask = false;  // also return the package mask (alpha >= 0.5)
  bool package = true;  // false: the board alone (training images for background generators)
};

struct Rendered {
  std::vector<cv::Mat> images;  // BGR, one per requested mode, same order
  cv::Mat crop;                 // BGR pw x ph, when requested
  cv::Mat mask;                 // 8-bit 0/255, when requested
};

Rendered RenderScene(const Scene& scene, const RenderOptions& o);

}  // namespace di::synth
