#include "core/yolo_decode.h"

#include <cmath>

#include "util/error.h"

namespace di {

const char* LayoutName(YoloLayout layout) {
  switch (layout) {
    case YoloLayout::kAnchorBased: return "yolov5";
    case YoloLayout::kAnchorFree: return "yolov8";
    default: return "auto";
  }
}

YoloShape ResolveYoloShape(const std::vector<int64_t>& dims, YoloLayout requested, int64_t numClasses,
                           int64_t numMasks) {
  auto shapeText = [&] {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
  };
  if (dims.size() != 3 || dims[1] <= 0 || dims[2] <= 0)
    throw Error(code::kOutputLayout, "detector output must be [batch, a, b], got " + shapeText());
  const int64_t d1 = dims[1], d2 = dims[2];
  YoloLayout layout = requested;
  if (layout == YoloLayout::kAuto) {
    const bool anchorBasedFits = d2 - 5 - numMasks >= 1 && (numClasses == 0 || d2 == 5 + numClasses + numMasks);
    const bool anchorFreeFits = d1 - 4 - numMasks >= 1 && (numClasses == 0 || d1 == 4 + numClasses + numMasks);
    if (anchorBasedFits != anchorFreeFits)
      layout = anchorBasedFits ? YoloLayout::kAnchorBased : YoloLayout::kAnchorFree;
    else  // both (or neither) fit: boxes outnumber attributes in any real head
      layout = d1 >= d2 ? YoloLayout::kAnchorBased : YoloLayout::kAnchorFree;
  }
  YoloShape s;
  s.layout = layout;
  s.numMasks = numMasks;
  if (layout == YoloLayout::kAnchorBased) {
    s.numBoxes = d1;
    s.numClasses = d2 - 5 - numMasks;
  } else {
    s.numBoxes = d2;
    s.numClasses = d1 - 4 - numMasks;
  }
  if (s.numClasses < 1)
    throw Error(code::kOutputLayout, std::string("output ") + shapeText() + " leaves no class scores in the " +
                                         LayoutName(layout) + " layout");
  if (numClasses > 0 && s.numClasses != numClasses)
    throw Error(code::kOutputLayout, std::string("output ") + shapeText() + " in the " + LayoutName(layout) +
                                         " layout has " + std::to_string(s.numClasses) + " classes, the model names " +
                                         std::to_string(numClasses));
  return s;
}

namespace {

inline Candidate MakeCandidate(float cx, float cy, float w, float h, float score, int cls, int64_t index) {
  return Candidate{{cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f}, score, cls,
                   static_cast<int32_t>(index)};
}

}  // namespace

bool DecodeYolo(const float* out, const YoloShape& s, const DecodeParams& p, std::vector<Candidate>& cands) {
  const int64_t N = s.numBoxes, C = s.numClasses;
  if (s.layout == YoloLayout::kAnchorBased) {
    const int64_t stride = 5 + C + s.numMasks;
    for (int64_t i = 0; i < N; ++i) {
      const float* r = out + i * stride;
      for (int64_t k = 0; k < stride; ++k)
        if (!std::isfinite(r[k])) return false;
      const float obj = r[4];
      if (obj <= p.confThreshold) continue;  // score = obj * cls <= obj
      if (p.multiLabel) {
        for (int64_t c = 0; c < C; ++c) {
          const float sc = obj * r[5 + c];
          if (sc > p.confThreshold) cands.push_back(MakeCandidate(r[0], r[1], r[2], r[3], sc, int(c), i));
        }
      } else {
        int best = 0;
        for (int64_t c = 1; c < C; ++c)
          if (r[5 + c] > r[5 + best]) best = int(c);
        const float sc = obj * r[5 + best];
        if (sc > p.confThreshold) cands.push_back(MakeCandidate(r[0], r[1], r[2], r[3], sc, best, i));
      }
    }
    return true;
  }
  // Anchor-free: attribute-major, so walk row by row for cache-friendly reads.
  const int64_t rows = 4 + C + s.numMasks;
  for (int64_t k = 0; k < rows * N; ++k)
    if (!std::isfinite(out[k])) return false;
  std::vector<float> bestScore(N, -1.f);
  std::vector<int> bestClass(N, 0);
  for (int64_t c = 0; c < C; ++c) {
    const float* row = out + (4 + c) * N;
    if (p.multiLabel) {
      for (int64_t i = 0; i < N; ++i)
        if (row[i] > p.confThreshold)
          cands.push_back(MakeCandidate(out[i], out[N + i], out[2 * N + i], out[3 * N + i], row[i], int(c), i));
    } else {
      for (int64_t i = 0; i < N; ++i)
        if (row[i] > bestScore[i]) {
          bestScore[i] = row[i];
          bestClass[i] = int(c);
        }
    }
  }
  if (!p.multiLabel) {
    for (int64_t i = 0; i < N; ++i)
      if (bestScore[i] > p.confThreshold)
        cands.push_back(
            MakeCandidate(out[i], out[N + i], out[2 * N + i], out[3 * N + i], bestScore[i], bestClass[i], i));
  }
  return true;
}

}  // namespace di
