// Batched YOLO detection: images -> letterbox -> model -> decode -> NMS ->
// boxes in original-image pixels.
#pragma once

#include <functional>
#include <vector>

#include "core/nms.h"
#include "core/yolo_decode.h"
#include "infer/batch_runner.h"

namespace di {

struct DetectConfig {
  PreprocessSpec preprocess;  // width/height come from the model (or imgsz)
  int imgszHeight = 640, imgszWidth = 640, stride = 32;
  int maxBatch = 16;
  int outputIndex = 0;
  YoloLayout layout = YoloLayout::kAuto;
  int64_t numClasses = 0;  // from the model's names; 0 = infer from the shape
  DecodeParams decode;
  NmsParams nms;
};

struct ImageDetections {
  ItemError error;
  int width = 0, height = 0;
  std::vector<Candidate> detections;  // boxes in original pixels, clipped
  Registration registration;          // a reference pair loaded with align
  std::string warning;                // what the decoder let pass (failOn 'error')
};

struct DetectStats {
  YoloShape shape;
  ImageInputSpec input;
};

std::vector<ImageDetections> DetectBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                         const DetectConfig& config, DetectStats* stats = nullptr);

// Decodes the first `count` images of a batch output into model-space candidates:
// each(slot, candidates), or each(slot, nullptr) for an image whose output holds
// NaN or infinite values. Throws ERR_OUTPUT_LAYOUT for an output that is not YOLO's.
using CandidateHandler = std::function<void(size_t slot, std::vector<Candidate>* cands)>;
YoloShape DecodeBatchOutput(Ort::Value& out, const DetectConfig& config, size_t count, const CandidateHandler& each);

// Model-space candidates of one image -> NMS -> original pixels (shared with seg).
std::vector<Candidate> FinishDetections(std::vector<Candidate>& cands, const LetterboxMap& map,
                                        const NmsParams& nms);

}  // namespace di
