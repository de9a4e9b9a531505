// Acquisition-mode filter (study, stage 1): how was the part lit? Decided from
// the channel means alone; only brightfield images go on to inspection.
#pragma once

#include <opencv2/core.hpp>

namespace di::roi {

enum class AcquisitionMode { kBrightfield, kDarkfieldWhite, kDarkfieldBlue };
const char* AcquisitionModeName(AcquisitionMode m);

struct ModeRule {
  // All of B, G, R means above this -> brightfield (the study's rule: 15).
  double brightfieldMin = 15.0;
};

// Else mean R > mean B -> darkfield-white, else darkfield-blue.
AcquisitionMode ClassifyMode(const cv::Scalar& meansBgr, const ModeRule& rule);

}  // namespace di::roi
