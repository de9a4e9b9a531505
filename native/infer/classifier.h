// Batched image classification: images -> resize -> model -> probabilities.
#pragma once

#include <vector>

#include "core/classify.h"
#include "infer/batch_runner.h"

namespace di {

struct ClassifyConfig {
  PreprocessSpec preprocess;  // mode kStretch by default for classifiers
  int imgszHeight = 224, imgszWidth = 224;
  int maxBatch = 16;
  int outputIndex = 0;
  ScoreKind scores = ScoreKind::kAuto;
};

struct ImageClassification {
  ItemError error;
  int width = 0, height = 0;
  std::vector<float> probabilities;
  Registration registration;  // a reference pair loaded with align
  std::string warning;        // what the decoder let pass (failOn 'error')
};

// Checks a batch output of `count` images as [batch, classes] (or [batch, classes, 1, 1])
// float32 and returns the number of classes. Throws ERR_OUTPUT_LAYOUT.
int64_t ClassScoreWidth(const Ort::Value& out, size_t count);

std::vector<ImageClassification> ClassifyBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                               const ClassifyConfig& config);

}  // namespace di
