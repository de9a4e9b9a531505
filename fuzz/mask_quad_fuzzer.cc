// MaskToQuad on any binary mask up to 64 x 64 (segmentation and SAM masks go
// through it). Properties: no quad exactly when the mask is empty; otherwise a
// finite quad whose area is the largest component's pixel count and which holds
// the centre of each of that component's pixels.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>

#include <opencv2/imgproc.hpp>

#include "roi/mask_quad.h"
#include "support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int w = in.ConsumeIntegralInRange(1, 64), h = in.ConsumeIntegralInRange(1, 64);
  cv::Mat mask(h, w, CV_8U, cv::Scalar(0));
  for (int i = 0; i < w * h && in.remaining_bytes() > 0; i += 8) {
    const uint8_t bits = in.ConsumeIntegral<uint8_t>();
    for (int b = 0; b < 8 && i + b < w * h; ++b) mask.data[i + b] = (bits >> b) & 1 ? 255 : 0;
  }
  di::fuzz::Guard({}, [&] {
    const auto q = di::roi::MaskToQuad(mask);
    di::fuzz::Check(q.has_value() == (cv::countNonZero(mask) > 0), "a quad exactly when the mask has pixels");
    if (!q) return;
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
    int largest = 0;
    for (int k = 1; k < n; ++k) largest = std::max(largest, stats.at<int>(k, cv::CC_STAT_AREA));
    di::fuzz::Check(q->area == largest, "the area is the largest component's");
    std::vector<cv::Point2f> poly;
    for (const auto& c : q->corners) {
      di::fuzz::Check(std::isfinite(c.x) && std::isfinite(c.y), "corners are finite");
      poly.emplace_back(float(c.x), float(c.y));
    }
    // Some component of the largest size must lie inside (ties: MaskToQuad may pick either).
    bool someInside = false;
    for (int k = 1; k < n && !someInside; ++k) {
      if (stats.at<int>(k, cv::CC_STAT_AREA) != largest) continue;
      bool inside = true;
      for (int y = 0; y < h && inside; ++y)
        for (int x = 0; x < w && inside; ++x)
          if (labels.at<int>(y, x) == k) inside = cv::pointPolygonTest(poly, {x + 0.5f, y + 0.5f}, true) >= -1e-2;
      someInside = inside;
    }
    di::fuzz::Check(someInside, "the quad holds the centres of the component's pixels");
  });
  return 0;
}
