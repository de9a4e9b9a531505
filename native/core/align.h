// Registers a reference to the image it is compared with. Templates and golden
// boards are rarely captured at exactly the same stage position: a shift of a
// few pixels turns every edge of the board into a "difference".
#pragma once

#include <opencv2/core.hpp>

namespace di {

// The grey reference warped into the grey test image's frame (the test image's
// size) by a rigid motion (shift and rotation), estimated by ECC on copies at
// most 320 px a side: from no motion, and if that fits poorly also from the
// shift phase correlation finds.
// Pixels the reference does not cover repeat its border. Throws ERR_ALIGN when
// the registered pair still correlates poorly (an unrelated reference).
cv::Mat AlignReference(const cv::Mat& testGrey, const cv::Mat& referenceGrey);

}  // namespace di
