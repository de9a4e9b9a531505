// The ROI chain (CaptureRoi: decode, acquisition mode, proposal, sub-pixel edge
// refinement, orientation, upright warp, die angle) on a small image drawn from
// the input, with the package either found by the contour strategy or proposed
// as the input's own quad (as roiCapture's `proposals` option lets a caller:
// finite corners of any magnitude, radius 0..256). Properties: each image ends
// ok, not found, skipped or with a typed error; an ok one has a finite quad, an
// angle in [0, 360) and a crop of the planned size.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "pipeline/roi_capture.h"
#include "support.h"

namespace {

double Corner(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeFloatingPointInRange<double>(-8.0, 104.0)
                          : in.ConsumeFloatingPointInRange<double>(-1e12, 1e12);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int w = in.ConsumeIntegralInRange(1, 96), h = in.ConsumeIntegralInRange(1, 96);
  // A dark tilted package on a light board, then noise from the input.
  cv::Mat img(h, w, CV_8UC3, cv::Scalar::all(in.ConsumeIntegral<uint8_t>()));
  const cv::RotatedRect pkg({float(in.ConsumeIntegralInRange(0, w)), float(in.ConsumeIntegralInRange(0, h))},
                            {float(in.ConsumeIntegralInRange(1, 2 * w)), float(in.ConsumeIntegralInRange(1, 2 * h))},
                            in.ConsumeFloatingPointInRange<float>(-90.f, 90.f));
  cv::Point2f p[4];
  pkg.points(p);
  const std::vector<cv::Point> poly = {p[0], p[1], p[2], p[3]};
  cv::fillConvexPoly(img, poly, cv::Scalar::all(in.ConsumeIntegral<uint8_t>()));
  for (int i = 0; i < 64 && in.remaining_bytes() > 4; ++i)
    img.at<cv::Vec3b>(in.ConsumeIntegralInRange(0, h - 1), in.ConsumeIntegralInRange(0, w - 1)) =
        cv::Vec3b::all(in.ConsumeIntegral<uint8_t>());

  di::RoiConfig cfg;
  cfg.refine = in.ConsumeBool();
  cfg.brightfieldOnly = in.ConsumeBool();
  cfg.cropScale = in.ConsumeFloatingPointInRange<double>(0.25, 2.0);
  cfg.orientation = static_cast<di::roi::OrientationRule>(in.ConsumeIntegralInRange(0, 1));
  std::optional<di::Proposal> given;
  const bool own = in.ConsumeBool();
  if (own && in.ConsumeBool()) {
    di::Proposal q;
    for (auto& c : q.corners) c = {Corner(in), Corner(in)};
    q.searchRadius = in.ConsumeFloatingPointInRange<double>(0.0, 256.0);
    given = q;
  }
  const di::Proposer propose = own ? di::Proposer([&](const std::vector<cv::Mat>& gray, const std::vector<uint8_t>&,
                                                      std::vector<di::ItemError>&) {
    return std::vector<std::optional<di::Proposal>>(gray.size(), given);
  })
                                   : di::ContourProposer(cfg.contour);

  di::ImageSource src;
  src.kind = di::ImageSource::Kind::kRaw;
  src.data = img.data;
  src.length = img.total() * 3;
  src.width = w;
  src.height = h;
  src.channels = 3;
  const std::vector<di::RoiResult> out = di::CaptureRoi({src}, cfg, propose);
  di::fuzz::Check(out.size() == 1, "one result an image");
  const di::RoiResult& r = out[0];
  if (!r.error.ok()) {
    di::fuzz::Check(r.error.code == di::code::kInvalidArg || r.error.code == di::code::kRoiNotFound,
                    "error " + r.error.code + ": " + r.error.message);
    return 0;
  }
  if (r.status != di::RoiResult::Status::kOk) return 0;
  for (const auto& c : r.quad) di::fuzz::Check(std::isfinite(c.x) && std::isfinite(c.y), "a finite quad");
  di::fuzz::Check(r.angle >= 0 && r.angle < 360, "the angle is in [0, 360)");
  di::fuzz::Check(r.crop.size() == r.warp.size, "the crop has the planned size");
  return 0;
}
