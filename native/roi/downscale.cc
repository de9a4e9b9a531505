#include "roi/downscale.h"

#include <opencv2/imgproc.hpp>

namespace di::roi {

cv::Mat HalveArea(const cv::Mat& src) {
  const cv::Mat even = src(cv::Rect(0, 0, src.cols & ~1, src.rows & ~1));
  cv::Mat half;
  cv::resize(even, half, {even.cols / 2, even.rows / 2}, 0, 0, cv::INTER_AREA);
  return half;
}

}  // namespace di::roi
