// Registers a reference to the image it is compared with. Templates and golden
// boards are rarely captured at exactly the same stage position: a shift of a
// few pixels turns every edge of the board into a "difference".
#pragma once

#include <opencv2/core.hpp>

namespace di {

// What registration found: an image pixel (x, y) lies on the reference at
// R(angle) (x, y) + (dx, dy), in full-resolution pixels and degrees.
struct Registration {
  bool done = false;
  double dx = 0, dy = 0, angle = 0;
  double correlation = 0;  // ECC's, 0..1; 1 where either image is featureless
};

// Whether a per-image result type carries a `registration` to fill and report.
template <class T, class = void>
struct HasRegistration : std::false_type {};
template <class T>
struct HasRegistration<T, std::void_t<decltype(T::registration)>> : std::true_type {};

// The grey reference warped into the grey test image's frame (the test image's
// size) by a rigid motion (shift and rotation), estimated by ECC on copies at
// most 320 px a side: from no motion, and if that fits poorly also from the
// shift phase correlation finds.
// Pixels the reference does not cover repeat its border. Throws ERR_ALIGN when
// the registered pair still correlates poorly (an unrelated reference).
// `found`, when given, receives the motion.
cv::Mat AlignReference(const cv::Mat& testGrey, const cv::Mat& referenceGrey, Registration* found = nullptr);

}  // namespace di
