#include "core/align.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "util/error.h"
#include "util/geometry.h"

namespace di {

namespace {

constexpr int kEstimateSide = 320;
// ECC's correlation of the registered pair: a board and its template reach 0.9 and
// more; unrelated boards or noise stay near 0.5.
constexpr double kMinCorrelation = 0.7;
// Above this a registration is not worth a second try from another start.
constexpr double kConfident = 0.95;

// Below this many pixels a side (after shrinking) ECC's smoothing and phase
// correlation's window have nothing to work with.
constexpr int kMinSide = 8;

cv::Mat Shrunk(const cv::Mat& grey, double scale) {
  cv::Mat f, small;
  grey.convertTo(f, CV_32F, 1.0 / 255);
  if (scale >= 1) return f;
  cv::resize(f, small, ScaledSize(f.size(), scale), 0, 0, cv::INTER_AREA);
  return small;
}

// ECC from `warp` (refined in place); its correlation, 0 where it gives up.
double Ecc(const cv::Mat& test, const cv::Mat& reference, cv::Mat& warp) {
  try {
    const double c = cv::findTransformECC(test, reference, warp, cv::MOTION_EUCLIDEAN,
                                          cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 60, 1e-5),
                                          cv::noArray(), 5);
    return cv::checkRange(warp) && std::isfinite(c) ? c : 0;
  } catch (const cv::Exception&) {
    return 0;  // no convergence: images it cannot relate
  }
}

// The shift of the reference against the test image by phase correlation (0, 0 if none).
cv::Point2d PhaseShift(const cv::Mat& test, const cv::Mat& reference) {
  // equal sizes needed: the reference is cut or padded to the test's
  cv::Mat sameSize(test.size(), CV_32F, cv::Scalar(cv::mean(reference)[0]));
  const cv::Rect common(0, 0, std::min(test.cols, reference.cols), std::min(test.rows, reference.rows));
  reference(common).copyTo(sameSize(common));
  cv::Mat window;
  cv::createHanningWindow(window, test.size(), CV_32F);
  // phaseCorrelate multiplies its inputs by the window in place: it gets a copy of the test image
  const cv::Point2d shift = cv::phaseCorrelate(test.clone(), sameSize, window);
  return std::isfinite(shift.x) && std::isfinite(shift.y) ? shift : cv::Point2d(0, 0);
}

}  // namespace

cv::Mat AlignReference(const cv::Mat& testGrey, const cv::Mat& referenceGrey, Registration* found) {
  const int side = std::max({testGrey.cols, testGrey.rows, referenceGrey.cols, referenceGrey.rows});
  const double scale = std::min(1.0, static_cast<double>(kEstimateSide) / side);
  const cv::Mat test = Shrunk(testGrey, scale);
  cv::Mat reference = Shrunk(referenceGrey, scale);
  if (std::min({test.cols, test.rows, reference.cols, reference.rows}) < kMinSide) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "image %dx%d and reference %dx%d are too small or too narrow to register (%d px a side needed at %d px)",
                  testGrey.cols, testGrey.rows, referenceGrey.cols, referenceGrey.rows, kMinSide, kEstimateSide);
    throw Error(code::kAlign, text);
  }
  cv::Mat aligned;
  cv::Scalar mean, testDev, referenceDev;
  cv::meanStdDev(test, mean, testDev);
  cv::meanStdDev(reference, mean, referenceDev);
  if (testDev[0] < 1e-3 || referenceDev[0] < 1e-3) {
    // a featureless image looks the same at any position: nothing to register
    cv::warpAffine(referenceGrey, aligned, cv::Mat::eye(2, 3, CV_32F), testGrey.size(), cv::INTER_LINEAR,
                   cv::BORDER_REPLICATE);
    if (found) *found = Registration{true, 0, 0, 0, 1};
    return aligned;
  }
  // warp maps test coordinates to reference coordinates: reference(warp(x)) ~ test(x).
  // Most references are nearly in place, so ECC starts from no motion; only when that
  // does not fit well does it start again from the shift phase correlation finds (which
  // periodic patterns can fool, hence not first), and the better of the two is kept.
  cv::Mat warp = cv::Mat::eye(2, 3, CV_32F);
  double correlation = Ecc(test, reference, warp);
  if (correlation < kConfident) {
    cv::Mat shifted = cv::Mat::eye(2, 3, CV_32F);
    const cv::Point2d shift = PhaseShift(test, reference);
    shifted.at<float>(0, 2) = static_cast<float>(shift.x);
    shifted.at<float>(1, 2) = static_cast<float>(shift.y);
    const double c = Ecc(test, reference, shifted);
    if (c > correlation) {
      correlation = c;
      warp = shifted;
    }
  }
  // A reference that does not fit would make every pixel a difference: fail this image instead.
  if (!(correlation >= kMinCorrelation)) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "the reference could not be registered to the image (correlation %.2f, %.2f needed): "
                  "is it the same scene?", correlation, kMinCorrelation);
    throw Error(code::kAlign, text);
  }
  warp.at<float>(0, 2) = static_cast<float>(warp.at<float>(0, 2) / scale);
  warp.at<float>(1, 2) = static_cast<float>(warp.at<float>(1, 2) / scale);
  cv::warpAffine(referenceGrey, aligned, warp, testGrey.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  if (found) {
    const double degrees = std::atan2(warp.at<float>(1, 0), warp.at<float>(0, 0)) * 180 / CV_PI;
    *found = Registration{true, warp.at<float>(0, 2), warp.at<float>(1, 2), degrees, correlation};
  }
  return aligned;
}

}  // namespace di
