#include "core/classify.h"

#include <algorithm>
#include <cmath>

namespace di {

bool ToProbabilities(const float* s, int64_t k, ScoreKind kind, std::vector<float>& probs) {
  for (int64_t i = 0; i < k; ++i)
    if (!std::isfinite(s[i])) return false;
  if (kind == ScoreKind::kAuto) {
    bool inUnit = true;
    double sum = 0;
    for (int64_t i = 0; i < k; ++i) {
      inUnit = inUnit && s[i] >= 0.f && s[i] <= 1.f;
      sum += s[i];
    }
    kind = (inUnit && (k == 1 || std::fabs(sum - 1.0) < 1e-3)) ? ScoreKind::kProbabilities : ScoreKind::kLogits;
  }
  if (k == 1) {
    const float p = kind == ScoreKind::kLogits ? 1.f / (1.f + std::exp(-s[0])) : s[0];
    probs.assign({1.f - p, p});
    return true;
  }
  probs.assign(s, s + k);
  if (kind == ScoreKind::kLogits) {
    const float mx = *std::max_element(probs.begin(), probs.end());
    double sum = 0;
    for (float& v : probs) {
      v = std::exp(v - mx);
      sum += v;
    }
    for (float& v : probs) v = static_cast<float>(v / sum);
  }
  return true;
}

}  // namespace di
