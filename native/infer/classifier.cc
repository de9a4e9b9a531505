#include "infer/classifier.h"

namespace di {

std::vector<ImageClassification> ClassifyBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                               const ClassifyConfig& cfg) {
  const ImageInputSpec input = ResolveImageInput(session.info(), cfg.imgszHeight, cfg.imgszWidth, 1);
  const auto& outs = session.info().outputs;
  if (cfg.outputIndex < 0 || cfg.outputIndex >= static_cast<int>(outs.size()))
    throw Error(code::kOutputLayout, "model has " + std::to_string(outs.size()) + " outputs; output " +
                                         std::to_string(cfg.outputIndex) + " requested");
  if (outs[cfg.outputIndex].type != "float32")
    throw Error(code::kOutputLayout, "classifier output '" + outs[cfg.outputIndex].name + "' must be a float32 tensor, not " +
                                         outs[cfg.outputIndex].type);
  std::vector<PreparedImage> prepared;
  std::vector<ImageClassification> results(images.size());
  RunImageBatches(session, input, cfg.preprocess, images, cfg.maxBatch, prepared,
                  [&](const std::vector<size_t>& slots, std::vector<Ort::Value>& outputs) {
                    Ort::Value& out = outputs[cfg.outputIndex];
                    auto info = out.GetTensorTypeAndShapeInfo();
                    if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
                      throw Error(code::kOutputLayout, "classifier output must be float32");
                    const std::vector<int64_t> dims = info.GetShape();
                    // [B, K] or [B, K, 1, 1] (conv heads): everything after the batch axis is K.
                    int64_t k = 1;
                    for (size_t d = 1; d < dims.size(); ++d) k *= dims[d];
                    if (dims.empty() || dims[0] < static_cast<int64_t>(slots.size()) || k < 1 ||
                        (dims.size() > 2 && k != dims[1]))
                      throw Error(code::kOutputLayout, "classifier output must be [batch, classes]");
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
