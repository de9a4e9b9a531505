#include "roi/warp.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di::roi {

UprightWarp PlanWarp(const Quad& q, double scale) {
  const double w = (cv::norm(q[1] - q[0]) + cv::norm(q[2] - q[3])) / 2 * scale;
  const double h = (cv::norm(q[3] - q[0]) + cv::norm(q[2] - q[1])) / 2 * scale;
  UprightWarp out;
  out.size = {std::max(1, int(std::lround(w))), std::max(1, int(std::lround(h)))};
  out.cropToImage = CropToQuad(q, out.size.width, out.size.height);
  out.imageToCrop = out.cropToImage.inv();
  return out;
}

cv::Mat WarpUpright(const cv::Mat& image, const UprightWarp& w) {
  cv::Mat crop;
  cv::warpPerspective(image, crop, ToIndexSpace(w.cropToImage), w.size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                      cv::BORDER_REPLICATE);
  return crop;
}

}  // namespace di::roi
