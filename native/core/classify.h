// Classifier head post-processing: [K] scores -> probabilities.
#pragma once

#include <cstdint>
#include <vector>

namespace di {

enum class ScoreKind { kAuto, kLogits, kProbabilities };

// K == 1 is a single logit (or probability) of the positive class and becomes
// [1 - p, p]. kAuto treats scores as probabilities when all lie in [0, 1] and,
// for K > 1, sum to 1 within 1e-3; otherwise softmax (sigmoid for K == 1).
// Returns false on NaN/Inf input.
bool ToProbabilities(const float* scores, int64_t k, ScoreKind kind, std::vector<float>& probs);

}  // namespace di
