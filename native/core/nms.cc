#include "core/nms.h"

#include <algorithm>
#include <unordered_map>

namespace di {

float IoU(const Box& a, const Box& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0.f || ih <= 0.f) return 0.f;
  const float inter = iw * ih;
  const float areaA = (a.x2 - a.x1) * (a.y2 - a.y1);
  const float areaB = (b.x2 - b.x1) * (b.y2 - b.y1);
  const float uni = areaA + areaB - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<Candidate> Nms(std::vector<Candidate>& cands, const NmsParams& params) {
  const auto better = [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.index != b.index ? a.index < b.index : a.classId < b.classId;
  };
  if (params.topK > 0 && cands.size() > static_cast<size_t>(params.topK)) {
    std::nth_element(cands.begin(), cands.begin() + params.topK, cands.end(), better);
    cands.resize(params.topK);
  }
  std::sort(cands.begin(), cands.end(), better);

  std::vector<Candidate> kept;
  const size_t maxDet = params.maxDetections > 0 ? static_cast<size_t>(params.maxDetections) : cands.size();
  kept.reserve(std::min(maxDet, cands.size()));
  // Kept boxes per class: a candidate is only ever compared with its own class.
  std::unordered_map<int32_t, std::vector<Box>> keptByClass;
  for (const Candidate& c : cands) {
    if (kept.size() >= maxDet) break;
    std::vector<Box>& pool = keptByClass[params.agnostic ? 0 : c.classId];
    bool suppressed = false;
    for (const Box& k : pool) {
      if (IoU(c.box, k) > params.iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    pool.push_back(c.box);
    kept.push_back(c);
  }
  return kept;
}

}  // namespace di
