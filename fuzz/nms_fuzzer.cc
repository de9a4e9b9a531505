// Nms on the candidates the nms() binding lets through: finite boxes of any
// magnitude and orientation, any class ids, scores that are numbers (infinite
// ones included). Properties: the result is a best-first subset within the cap;
// no two kept boxes of one class overlap past the IoU; and, greedy suppression
// being what it is, every candidate left out while there was room overlaps a
// better kept box of its class past the IoU, or fell outside the top K.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/nms.h"
#include "support.h"

namespace {

float Coordinate(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return in.ConsumeFloatingPointInRange<float>(-3e38f, 3e38f);
    case 1: return float(in.ConsumeIntegralInRange(-4, 4));  // ties and touching edges
    default: return in.ConsumeFloatingPointInRange<float>(0.f, 64.f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  di::NmsParams p;
  p.iouThreshold = in.ConsumeFloatingPointInRange<float>(-0.5f, 1.5f);
  p.agnostic = in.ConsumeBool();
  p.maxDetections = in.ConsumeIntegralInRange(-1, 40);
  p.topK = in.ConsumeIntegralInRange(-1, 200);
  std::vector<di::Candidate> cands;
  while (in.remaining_bytes() > 0 && cands.size() < 300) {
    di::Candidate c;
    c.box = {Coordinate(in), Coordinate(in), Coordinate(in), Coordinate(in)};
    c.score = in.ConsumeBool() ? in.ConsumeFloatingPointInRange<float>(-2.f, 2.f)
                               : (in.ConsumeBool() ? INFINITY : -INFINITY);
    c.classId = in.ConsumeIntegralInRange(-3, 3);
    c.index = int32_t(cands.size());
    cands.push_back(c);
  }
  const std::vector<di::Candidate> all = cands;
  const std::vector<di::Candidate> kept = di::Nms(cands, p);

  const size_t cap = p.maxDetections > 0 ? size_t(p.maxDetections) : all.size();
  di::fuzz::Check(kept.size() <= std::min(cap, all.size()), "the cap holds");
  std::vector<uint8_t> isKept(all.size(), 0);
  for (size_t i = 0; i < kept.size(); ++i) {
    const di::Candidate& k = kept[i];
    di::fuzz::Check(k.index >= 0 && size_t(k.index) < all.size() && !isKept[k.index], "kept once, from the input");
    isKept[k.index] = 1;
    di::fuzz::Check(all[k.index].score == k.score && all[k.index].classId == k.classId, "kept unchanged");
    if (i > 0) di::fuzz::Check(kept[i - 1].score >= k.score, "best first");
    for (size_t j = 0; j < i; ++j)
      if (p.agnostic || kept[j].classId == k.classId)
        di::fuzz::Check(!(di::IoU(k.box, kept[j].box) > p.iouThreshold), "two kept boxes overlap past the IoU");
  }
  if (kept.size() == cap) return 0;
  // Rank by the same order Nms documents (score, then index): the top K are the candidates considered.
  std::vector<di::Candidate> ranked = all;
  std::sort(ranked.begin(), ranked.end(), [](const di::Candidate& a, const di::Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  });
  const size_t considered = p.topK > 0 ? std::min(ranked.size(), size_t(p.topK)) : ranked.size();
  for (size_t r = 0; r < considered; ++r) {
    const di::Candidate& c = ranked[r];
    if (isKept[c.index]) continue;
    bool covered = false;
    for (const di::Candidate& k : kept)
      if ((p.agnostic || k.classId == c.classId) && di::IoU(c.box, k.box) > p.iouThreshold &&
          (k.score > c.score || (k.score == c.score && k.index < c.index)))
        covered = true;
    di::fuzz::Check(covered, "a candidate was dropped without a better kept box overlapping it");
  }
  return 0;
}
