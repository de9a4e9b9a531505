// Batched YOLO-seg (YOLOv5-seg, YOLOv8-seg) package segmentation: images ->
// letterbox -> model -> decode with mask coefficients -> NMS -> the best
// detection's mask in original-image pixels -> package quad.
#pragma once

#include <optional>
#include <vector>

#include "core/nms.h"
#include "core/yolo_decode.h"
#include "infer/batch_runner.h"
#include "infer/detector.h"
#include "roi/mask_quad.h"

namespace di {

struct SegmentConfig {
  DetectConfig detect;         // outputIndex is unused: outputs are found by rank
  int classId = -1;            // only detections of this class; -1 = any
  float maskThreshold = 0.5f;  // on the sigmoid
};

struct SegmentResult {
  ItemError error;
  int width = 0, height = 0;
  std::optional<Candidate> detection;  // box in original pixels; absent: nothing found
  std::optional<roi::MaskQuad> quad;   // absent when the mask came out empty
  std::string warning;                 // what the decoder let pass (failOn 'error')
};

// Which outputs hold the detections ([B, *, *]) and the prototypes ([B, M, mh, mw]).
struct SegOutputs {
  int detections = -1, protos = -1;
};

// Validates the model's outputs (ERR_OUTPUT_LAYOUT) before any image is read.
SegOutputs ResolveSegOutputs(const ModelInfo& info);

std::vector<SegmentResult> SegmentBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                        const SegmentConfig& config);

// The mask of one detection: sigmoid(coeffs . protos) on the proto grid,
// warped straight to the original image (proto -> input upsampling and the
// letterbox inverse in one bilinear affine warp), zero outside `boxModel`
// (model-input pixels, mapped to the image) and thresholded. CV_8U, 255 = inside.
cv::Mat DetectionMask(const float* protos, int numMasks, int protoH, int protoW, const float* coeffs,
                      int64_t coeffStride, const Box& boxModel, int inputH, int inputW, const LetterboxMap& map,
                      float threshold);

}  // namespace di
