// A detector's raw output, of any shape and values, through ResolveYoloShape,
// DecodeYolo and Nms as native/infer/detector.cc runs them. Properties: a shape
// is refused with ERR_OUTPUT_LAYOUT or decoded reading only its own floats (the
// buffer is exactly the tensor's size, so an overread is an ASan report);
// non-finite values are refused; every detection kept is above the threshold,
// in order, within the cap, and no two of one class overlap past the IoU.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/nms.h"
#include "core/yolo_decode.h"
#include "support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::vector<int64_t> dims = {1, in.ConsumeIntegralInRange<int64_t>(-2, 96),
                                     in.ConsumeIntegralInRange<int64_t>(-2, 96)};
  const auto layout = static_cast<di::YoloLayout>(in.ConsumeIntegralInRange(0, 2));
  const int64_t classes = in.ConsumeIntegralInRange<int64_t>(0, 8);
  const int64_t masks = in.ConsumeIntegralInRange<int64_t>(0, 4);
  di::DecodeParams dp;
  dp.confThreshold = in.ConsumeFloatingPointInRange<float>(0.f, 1.f);
  dp.multiLabel = in.ConsumeBool();
  di::NmsParams np;
  np.iouThreshold = in.ConsumeFloatingPointInRange<float>(0.f, 1.f);
  np.agnostic = in.ConsumeBool();
  np.maxDetections = in.ConsumeIntegralInRange(0, 50);
  np.topK = in.ConsumeIntegralInRange(0, 400);

  di::YoloShape shape;
  try {
    shape = di::ResolveYoloShape(dims, layout, classes, masks);
  } catch (const di::Error& e) {
    di::fuzz::ExpectCode(e, {di::code::kOutputLayout});
    return 0;
  }
  di::fuzz::Check(shape.numBoxes >= 1 && shape.numClasses >= 1, "a resolved shape has boxes and classes");
  // Exactly the tensor ORT would hand over: heap-allocated, so ASan bounds it.
  std::vector<float> out(size_t(dims[1] * dims[2]));
  for (float& v : out) {
    const uint8_t kind = in.ConsumeIntegral<uint8_t>();
    v = kind == 255 ? NAN : kind == 254 ? INFINITY : in.ConsumeFloatingPointInRange<float>(-700.f, 700.f);
  }
  bool finite = true;
  for (float v : out) finite = finite && std::isfinite(v);
  std::vector<di::Candidate> cands;
  const bool decoded = di::DecodeYolo(out.data(), shape, dp, cands);
  di::fuzz::Check(decoded == finite, "the decoder refuses exactly the outputs holding a non-finite value");
  if (!decoded) return 0;
  for (const auto& c : cands) {
    di::fuzz::Check(c.score > dp.confThreshold, "a candidate is above the threshold");
    di::fuzz::Check(c.classId >= 0 && c.classId < shape.numClasses, "a candidate's class is one of the model's");
    di::fuzz::Check(c.index >= 0 && c.index < shape.numBoxes, "a candidate's index is one of the boxes");
  }
  const size_t before = cands.size();
  const std::vector<di::Candidate> kept = di::Nms(cands, np);
  di::fuzz::Check(kept.size() <= before, "suppression adds nothing");
  if (np.maxDetections > 0) di::fuzz::Check(kept.size() <= size_t(np.maxDetections), "the cap holds");
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) di::fuzz::Check(kept[i - 1].score >= kept[i].score, "detections come best first");
    for (size_t j = 0; j < i; ++j)
      if (np.agnostic || kept[i].classId == kept[j].classId)
        di::fuzz::Check(di::IoU(kept[i].box, kept[j].box) <= np.iouThreshold, "two kept boxes overlap past the IoU");
  }
  return 0;
}
