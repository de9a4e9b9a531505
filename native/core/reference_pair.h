// An image compared with an aligned reference of the same scene (a defect-free
// template, a golden board), as one 3-channel image a model can take: the
// tested image, the reference and their absolute difference, each in grey.
#pragma once

#include <opencv2/core.hpp>

#include "core/align.h"

namespace di {

// BGR planes (|test - reference|, reference, test), so the model's RGB input is
// (test, reference, difference). Without `align` both images must have the same
// size, else ERR_INVALID_ARG: a reference is only meaningful pixel-for-pixel.
// With it the reference is first registered to the test image (core/align.h),
// and may be of another size; `found`, when given, receives the motion.
cv::Mat ComposeReferencePair(const cv::Mat& testBgr, const cv::Mat& referenceBgr, bool align = false,
                             Registration* found = nullptr);

}  // namespace di
