#include "core/reference_pair.h"

#include <opencv2/imgproc.hpp>

#include "util/error.h"

namespace di {

cv::Mat ComposeReferencePair(const cv::Mat& testBgr, const cv::Mat& referenceBgr, bool align, Registration* found) {
  if (!align && testBgr.size() != referenceBgr.size())
    throw Error(code::kInvalidArg, "reference is " + std::to_string(referenceBgr.cols) + "x" +
                                       std::to_string(referenceBgr.rows) + ", the image " +
                                       std::to_string(testBgr.cols) + "x" + std::to_string(testBgr.rows) +
                                       ": they must be the same size (or pass align: true)");
  cv::Mat test, reference, difference, out;
  cv::cvtColor(testBgr, test, cv::COLOR_BGR2GRAY);
  cv::cvtColor(referenceBgr, reference, cv::COLOR_BGR2GRAY);
  if (align) reference = AlignReference(test, reference, found);
  cv::absdiff(test, reference, difference);
  cv::merge(std::vector<cv::Mat>{difference, reference, test}, out);
  return out;
}

}  // namespace di
