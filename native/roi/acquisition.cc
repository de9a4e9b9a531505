#include "roi/acquisition.h"

namespace di::roi {

const char* AcquisitionModeName(AcquisitionMode m) {
  switch (m) {
    case AcquisitionMode::kBrightfield: return "brightfield";
    case AcquisitionMode::kDarkfieldWhite: return "darkfield-white";
    case AcquisitionMode::kDarkfieldBlue: return "darkfield-blue";
  }
  return "brightfield";
}

AcquisitionMode ClassifyMode(const cv::Scalar& m, const ModeRule& rule) {
  if (m[0] > rule.brightfieldMin && m[1] > rule.brightfieldMin && m[2] > rule.brightfieldMin) return AcquisitionMode::kBrightfield;
  return m[2] > m[0] ? AcquisitionMode::kDarkfieldWhite : AcquisitionMode::kDarkfieldBlue;
}

}  // namespace di::roi
