// Greedy non-maximum suppression. The result equals the textbook O(N^2)
// definition exactly: candidates visited by descending score (ties: lower
// index first), a box kept unless it overlaps a kept box of the same class
// (any class when agnostic) by IoU > threshold. Only kept boxes are compared
// against, and the walk stops at maxDet, so the cost is O(N log N + N * maxDet).
#pragma once

#include <cstdint>
#include <vector>

namespace di {

struct Box {
  float x1, y1, x2, y2;
};

struct Candidate {
  Box box;
  float score;
  int32_t classId;
  int32_t index;  // position in the model output (mask coefficients, stable ties)
};

struct NmsParams {
  float iouThreshold = 0.45f;
  bool agnostic = false;
  int maxDetections = 300;
  int topK = 30000;  // candidates kept before suppression, by score
};

float IoU(const Box& a, const Box& b);

// Returns the kept candidates, best first. `cands` is reordered.
std::vector<Candidate> Nms(std::vector<Candidate>& cands, const NmsParams& params);

}  // namespace di
