#include "infer/classifier.h"

namespace di {

int64_t ClassScoreWidth(const Ort::Value& out, size_t count) {
  auto info = out.GetTensorTypeAndShapeInfo();
  if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) throw Error(code::kOutputLayout, "classifier output must be float32");
  const std::vector<int64_t> dims = info.GetShape();
  // [B, K] or [B, K, 1, 1] (conv heads): everything after the batch axis is K.
  int64_t k = 1;
  for (size_t d = 1; d < dims.size(); ++d) k *= dims[d];
  if (dims.empty() || dims[0] < static_cast<int64_t>(count) || k < 1 || (dims.size() > 2 && k != dims[1]))
    throw Error(code::kOutputLayout, "classifier output must be [batch, classes]");
  return k;
}

std::vector<ImageClassification> ClassifyBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                               const ClassifyConfig& cfg) {
  const ImageInputSpec input = ResolveImageInput(session.info(), cfg.imgszHeight, cfg.imgszWidth, 1);
  CheckOutputIndex(session.info(), cfg.outputIndex, "classifier");
  std::vector<PreparedImage> prepared;
  std::vector<ImageClassification> results(images.size());
  RunImageBatches(session, input, cfg.preprocess, images, cfg.maxBatch, prepared,
                  [&](const std::vector<size_t>& slots, std::vector<Ort::Value>& outputs) {
                    const Ort::Value& out = outputs[cfg.outputIndex];
                    const int64_t k = ClassScoreWidth(out, slots.size());
                    const float* data = out.GetTensorData<float>();
                    for (size_t s = 0; s < slots.size(); ++s) {
                      ImageClassification& r = results[slots[s]];
                      if (!ToProbabilities(data + s * k, k, cfg.scores, r.probabilities))
                        r.error = {code::kNanOutput, "model output holds NaN or infinite values for this image"};
                    }
                  });
  MergePrepared(prepared, results);
  return results;
}

}  // namespace di
