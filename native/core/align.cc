#include "core/align.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace di {

namespace {

constexpr int kEstimateSide = 512;

cv::Mat Shrunk(const cv::Mat& grey, double scale) {
  cv::Mat f;
  grey.convertTo(f, CV_32F, 1.0 / 255);
  if (scale < 1) cv::resize(f, f, cv::Size(), scale, scale, cv::INTER_AREA);
  return f;
}

}  // namespace

cv::Mat AlignReference(const cv::Mat& testGrey, const cv::Mat& referenceGrey) {
  const int side = std::max({testGrey.cols, testGrey.rows, referenceGrey.cols, referenceGrey.rows});
  const double scale = std::min(1.0, static_cast<double>(kEstimateSide) / side);
  const cv::Mat test = Shrunk(testGrey, scale);
  cv::Mat reference = Shrunk(referenceGrey, scale);
  // Phase correlation needs equal sizes: the reference is cut or padded to the test's.
  cv::Mat sameSize(test.size(), CV_32F, cv::Scalar(cv::mean(reference)[0]));
  const cv::Rect common(0, 0, std::min(test.cols, reference.cols), std::min(test.rows, reference.rows));
  reference(common).copyTo(sameSize(common));
  cv::Mat window;
  cv::createHanningWindow(window, test.size(), CV_32F);
  const cv::Point2d shift = cv::phaseCorrelate(test, sameSize, window);
  // warp maps test coordinates to reference coordinates: reference(warp(x)) ~ test(x)
  cv::Mat warp = (cv::Mat_<float>(2, 3) << 1, 0, static_cast<float>(shift.x), 0, 1, static_cast<float>(shift.y));
  if (!std::isfinite(shift.x) || !std::isfinite(shift.y)) warp = cv::Mat::eye(2, 3, CV_32F);
  cv::Mat refined = warp.clone();
  try {
    cv::findTransformECC(test, reference, refined, cv::MOTION_EUCLIDEAN,
                         cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 60, 1e-5), 5);
    if (cv::checkRange(refined)) warp = refined;
  } catch (const cv::Exception&) {
    // no convergence (flat or unrelated images): keep the phase-correlation shift
  }
  warp.at<float>(0, 2) = static_cast<float>(warp.at<float>(0, 2) / scale);
  warp.at<float>(1, 2) = static_cast<float>(warp.at<float>(1, 2) / scale);
  cv::Mat aligned;
  cv::warpAffine(referenceGrey, aligned, warp, testGrey.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_REPLICATE);
  return aligned;
}

}  // namespace di
