// Turns one image's raw YOLO head output into scored candidates in model-input
// pixels. Two families of layouts:
//   anchor-based  (YOLOv5, YOLOv7):  [N, 5 + C (+ M)]  cx cy w h obj cls...
//   anchor-free   (YOLOv8, YOLO11):  [4 + C (+ M), N]  cx cy w h cls...
// M mask coefficients (segmentation heads) follow the class scores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/nms.h"

namespace di {

enum class YoloLayout { kAuto, kAnchorBased, kAnchorFree };

struct YoloShape {
  YoloLayout layout = YoloLayout::kAuto;
  int64_t numBoxes = 0;    // N
  int64_t numClasses = 0;  // C
  int64_t numMasks = 0;    // M
};

// Resolves the layout of a [B, d1, d2] output. `numClasses` (from the model's
// names, 0 if unknown) and `numMasks` disambiguate; otherwise the longer axis is
// the box axis. Throws ERR_OUTPUT_LAYOUT when the shape cannot be a YOLO head.
YoloShape ResolveYoloShape(const std::vector<int64_t>& dims, YoloLayout requested, int64_t numClasses,
                           int64_t numMasks);

struct DecodeParams {
  float confThreshold = 0.25f;
  bool multiLabel = false;  // one candidate per class above threshold, not just the best
};

// `out` points at one image's d1 * d2 floats. Returns false if a NaN/Inf is found
// (the caller reports ERR_NAN_OUTPUT for that image).
bool DecodeYolo(const float* out, const YoloShape& shape, const DecodeParams& params,
                std::vector<Candidate>& candidates);

const char* LayoutName(YoloLayout layout);

}  // namespace di
