// Box-prompted segmentation with a segment-anything encoder/decoder pair in the
// official ONNX export signature (ViT-B, ViT-H, MobileSAM alike):
//   encoder  [1, 3, S, S] float RGB, long side resized to S, normalised, padded
//            bottom/right with 0  ->  image_embeddings [1, C, h, w]
//   decoder  image_embeddings, point_coords [1, n, 2] (in the resized frame),
//            point_labels [1, n], mask_input [1, 1, 4h, 4w], has_mask_input [1],
//            orig_im_size [2] (H, W)  ->  masks [1, k, H, W] (logits),
//            iou_predictions [1, k], low_res_masks
// The box is two points labelled 2 (top-left) and 3 (bottom-right).
#pragma once

#include <optional>
#include <vector>

#include "core/image.h"
#include "core/nms.h"
#include "infer/session.h"
#include "roi/mask_quad.h"
#include "util/error.h"

namespace di {

struct SamConfig {
  bool padPoint = false;     // append (0, 0) labelled -1, for decoders exported to expect it
  float maskThreshold = 0.f; // on the mask logits
};

struct SamResult {
  ItemError error;
  int width = 0, height = 0;  // 0 for images without a prompt (not decoded)
  bool prompted = false;      // a box was given for this image
  int maskIndex = -1;     // the chosen mask (best iou_prediction)
  float iouPrediction = 0;
  std::optional<roi::MaskQuad> quad;  // absent when the chosen mask is empty
};

// Resolved tensor names and sizes of a SAM pair. Throws ERR_MODEL_INPUT for a
// missing or ill-typed input, ERR_OUTPUT_LAYOUT for missing outputs.
struct SamSignature {
  std::string encoderInput, encoderOutput;
  int inputSize = 1024;  // S
  int maskInputH = 256, maskInputW = 256;
  int masksOutput = -1, iouOutput = -1;  // decoder output indices
};
SamSignature ResolveSamSignature(const ModelInfo& encoder, const ModelInfo& decoder);

// boxes[i]: the prompt for image i in original pixels, or nullopt to skip it.
std::vector<SamResult> SamSegment(InferenceSession& encoder, InferenceSession& decoder,
                                  const std::vector<ImageSource>& images, const std::vector<std::optional<Box>>& boxes,
                                  const SamConfig& config);

}  // namespace di
