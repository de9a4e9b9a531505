#include "infer/detector.h"

#include <algorithm>

namespace di {

std::vector<Candidate> FinishDetections(std::vector<Candidate>& cands, const LetterboxMap& map,
                                        const NmsParams& nms) {
  // NMS in model space, as the detector was trained; then undo the letterbox.
  std::vector<Candidate> kept = Nms(cands, nms);
  const float W = static_cast<float>(map.srcWidth), H = static_cast<float>(map.srcHeight);
  for (Candidate& c : kept) {
    c.box.x1 = std::clamp(map.ToSrcX(c.box.x1), 0.f, W);
    c.box.x2 = std::clamp(map.ToSrcX(c.box.x2), 0.f, W);
    c.box.y1 = std::clamp(map.ToSrcY(c.box.y1), 0.f, H);
    c.box.y2 = std::clamp(map.ToSrcY(c.box.y2), 0.f, H);
  }
  return kept;
}

YoloShape DecodeBatchOutput(Ort::Value& out, const DetectConfig& cfg, size_t count, const CandidateHandler& each) {
  auto info = out.GetTensorTypeAndShapeInfo();
  if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
    throw Error(code::kOutputLayout, "detector output must be float32");
  const std::vector<int64_t> dims = info.GetShape();
  const YoloShape shape = ResolveYoloShape(dims, cfg.layout, cfg.numClasses, 0);
  if (dims[0] < static_cast<int64_t>(count))
    throw Error(code::kOutputLayout, "detector output batch " + std::to_string(dims[0]) + " is smaller than the input batch");
  const size_t per = static_cast<size_t>(dims[1] * dims[2]);
  const float* data = out.GetTensorData<float>();
  for (size_t s = 0; s < count; ++s) {
    std::vector<Candidate> cands;
    each(s, DecodeYolo(data + s * per, shape, cfg.decode, cands) ? &cands : nullptr);
  }
  return shape;
}

std::vector<ImageDetections> DetectBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                         const DetectConfig& cfg, DetectStats* stats) {
  const ImageInputSpec input = ResolveImageInput(session.info(), cfg.imgszHeight, cfg.imgszWidth, cfg.stride);
  CheckOutputIndex(session.info(), cfg.outputIndex, "detector");
  const auto& outs = session.info().outputs;
  // A static output shape is checked before any image is touched, so a model
  // that is not a YOLO detector fails the call rather than every image.
  const auto& od = outs[cfg.outputIndex].shape;
  if (od.size() != 3 || (od[1] > 0 && od[2] > 0)) {
    std::vector<int64_t> probe = od;
    if (!probe.empty()) probe[0] = 1;
    ResolveYoloShape(probe, cfg.layout, cfg.numClasses, 0);
  }
  std::vector<PreparedImage> prepared;
  std::vector<ImageDetections> results(images.size());
  YoloShape lastShape;

  RunImageBatches(session, input, cfg.preprocess, images, cfg.maxBatch, prepared,
                  [&](const std::vector<size_t>& slots, std::vector<Ort::Value>& outputs) {
                    lastShape = DecodeBatchOutput(outputs[cfg.outputIndex], cfg, slots.size(),
                                                  [&](size_t s, std::vector<Candidate>* cands) {
                                                    ImageDetections& r = results[slots[s]];
                                                    if (!cands)
                                                      r.error = {code::kNanOutput,
                                                                 "model output holds NaN or infinite values for this image"};
                                                    else
                                                      r.detections = FinishDetections(*cands, prepared[slots[s]].map, cfg.nms);
                                                  });
                  });
  MergePrepared(prepared, results);
  if (stats) {
    stats->shape = lastShape;
    stats->input = input;
  }
  return results;
}

}  // namespace di
