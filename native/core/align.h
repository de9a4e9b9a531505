// Registers a reference to the image it is compared with. Templates and golden
// boards are rarely captured at exactly the same stage position: a shift of a
// few pixels turns every edge of the board into a "difference".
#pragma once

#include <opencv2/core.hpp>

namespace di {

// The grey reference warped into the grey test image's frame (the test image's
// size) by a rigid motion (shift and rotation): phase correlation finds the
// shift, ECC refines shift and angle, both on copies at most 512 px a side.
// Where ECC cannot converge (a flat or unrelated reference) the shift alone is
// used. Pixels the reference does not cover repeat its border.
cv::Mat AlignReference(const cv::Mat& testGrey, const cv::Mat& referenceGrey);

}  // namespace di
