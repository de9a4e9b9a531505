#include "roi/contour.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "roi/downscale.h"
#include "roi/line_fit.h"

namespace di::roi {

namespace {

// Refits the four sides of `corners` to the blob's boundary points with a
// robust (Huber) line fit: where the threshold leaked into the background
// along part of a side, the rest of that side still pins the line.
Quad FitSides(const std::vector<cv::Point>& contour, Quad corners) {
  std::vector<cv::Point2f> pts(contour.begin(), contour.end());
  for (int iter = 0; iter < 3; ++iter) {
    std::array<cv::Vec4f, 4> lines;
    for (int s = 0; s < 4; ++s) {
      const cv::Point2d a = corners[s], b = corners[(s + 1) % 4];
      const double len = cv::norm(b - a);
      if (len < 4) return corners;
      const cv::Point2d d = (b - a) / len, n(-d.y, d.x);
      std::vector<cv::Point2f> mine;
      for (const auto& p : pts) {
        const cv::Point2d q = cv::Point2d(p) - a;
        const double along = q.dot(d), dist = std::abs(q.dot(n));
        if (along < 0.1 * len || along > 0.9 * len || dist > 0.15 * len) continue;
        // Only points closer to this side than to the two neighbouring ones.
        bool nearest = true;
        for (int o : {(s + 1) % 4, (s + 3) % 4}) {
          const cv::Point2d oa = corners[o], ob = corners[(o + 1) % 4];
          const cv::Point2d od = (ob - oa) / cv::norm(ob - oa);
          if (std::abs((cv::Point2d(p) - oa).dot(cv::Point2d(-od.y, od.x))) < dist) nearest = false;
        }
        if (nearest) mine.push_back(p);
      }
      if (mine.size() < 8) return corners;
      lines[s] = FitLineHuber(mine);
    }
    Quad next;
    for (int i = 0; i < 4; ++i) {
      const cv::Vec4f& l1 = lines[(i + 3) % 4];
      const cv::Vec4f& l2 = lines[i];
      if (!IntersectLines({l1[2], l1[3]}, {l1[0], l1[1]}, {l2[2], l2[3]}, {l2[0], l2[1]}, next[i])) return corners;
    }
    // A side with too few clean points can swing wildly: keep the rectangle then.
    const double limit = 0.2 * std::min(cv::norm(corners[1] - corners[0]), cv::norm(corners[2] - corners[1]));
    for (int i = 0; i < 4; ++i)
      if (!(cv::norm(next[i] - corners[i]) < limit)) return corners;
    corners = next;
  }
  return corners;
}

// The best blob so far; its sides are fitted once, after the last pass.
struct Best {
  PackageCandidate cand;
  std::vector<cv::Point> contour;
  Quad rectCorners;
};

// cv::adaptiveThreshold(ADAPTIVE_THRESH_MEAN_C, THRESH_BINARY_INV) against a
// local mean computed once for all passes: pixels at or below mean - c.
cv::Mat ThresholdBelowMean(const cv::Mat& gray, const cv::Mat& localMean, double c) {
  const int idelta = int(std::floor(c));
  uint8_t table[768];
  for (int i = 0; i < 768; ++i) table[i] = i - 255 <= -idelta ? 255 : 0;
  cv::Mat bin(gray.size(), CV_8U);
  for (int y = 0; y < gray.rows; ++y) {
    const uint8_t* s = gray.ptr<uint8_t>(y);
    const uint8_t* m = localMean.ptr<uint8_t>(y);
    uint8_t* d = bin.ptr<uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) d[x] = table[s[x] - m[x] + 255];
  }
  return bin;
}

// One threshold pass: candidates among the blobs darker than the local mean - c.
void ScanCandidates(const cv::Mat& gray, const cv::Mat& localMean, double c, const ContourParams& p, std::optional<Best>& best) {
  const double imageArea = double(gray.cols) * gray.rows;
  // Fill holes (the bright die and LED), then open: speckle that bridges the
  // package to dark board areas through thin necks falls away. A hole is
  // background that no 4-connected path joins to the frame (the dual of the
  // 8-connected blobs findContours traces): flood the frame's background
  // from a one-pixel border, and what stays unflooded is blob or hole.
  cv::Mat framed;
  cv::copyMakeBorder(ThresholdBelowMean(gray, localMean, c), framed, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::floodFill(framed, {0, 0}, 128, nullptr, 0, 0, 4);
  cv::Mat bin = framed(cv::Rect(1, 1, gray.cols, gray.rows)) != 128;
  const int k = std::max(3, int(std::lround(gray.cols / 128.0)) | 1);
  cv::morphologyEx(bin, bin, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {k, k}));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(bin, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  for (const auto& ct : contours) {
    const double area = cv::contourArea(ct);
    if (area < p.minContourFrac * imageArea) continue;
    // approxPolyDP drops scratches and traces that cross the border.
    std::vector<cv::Point> poly;
    cv::approxPolyDP(ct, poly, p.epsilonFrac * cv::arcLength(ct, true), true);
    const cv::RotatedRect rect = cv::minAreaRect(poly);
    const double rectArea = double(rect.size.width) * rect.size.height;
    if (rectArea < p.minRectFrac * imageArea || rectArea > p.maxRectFrac * imageArea) continue;
    const double fill = std::min(1.0, cv::contourArea(poly) / rectArea);
    // Touching the frame means part of the package is missing.
    const cv::Rect bb = cv::boundingRect(poly);
    const bool clipped = bb.x <= 1 || bb.y <= 1 || bb.br().x >= gray.cols - 1 || bb.br().y >= gray.rows - 1;
    // A package is darker than the band around it; board regions that happen
    // to be darker than their local mean are not. Masks cover only the
    // candidate's neighbourhood: full-frame masks would cost more than the rest.
    const int band = std::max(3, gray.cols / 64);
    const cv::Rect near = (bb + cv::Size(2 * band, 2 * band) - cv::Point(band, band)) & cv::Rect(0, 0, gray.cols, gray.rows);
    cv::Mat inner = cv::Mat::zeros(near.size(), CV_8U), outer;
    cv::drawContours(inner, std::vector<std::vector<cv::Point>>{poly}, 0, 255, cv::FILLED, cv::LINE_8, cv::noArray(), INT_MAX, -near.tl());
    cv::dilate(inner, outer, cv::getStructuringElement(cv::MORPH_RECT, {2 * band + 1, 2 * band + 1}));
    outer -= inner;
    const double in = cv::mean(gray(near), inner)[0], out = cv::mean(gray(near), outer)[0];
    const double contrast = std::clamp((out - in) / std::max(out, 1.0), 0.0, 1.0);
    const double score = fill * contrast * (clipped ? 0.5 : 1.0);
    if (best && score <= best->cand.score) continue;  // several candidates: the best one wins, not the last
    cv::Point2f pts[4];
    rect.points(pts);
    Best b;
    b.cand.rect = rect;
    for (int i = 0; i < 4; ++i) b.rectCorners[i] = {pts[i].x, pts[i].y};
    b.cand.score = score;
    b.cand.fill = clipped ? 0 : fill;
    b.contour = ct;
    best = std::move(b);
  }
}

}  // namespace

std::optional<PackageCandidate> FindPackageByContour(const cv::Mat& full, const ContourParams& p) {
  // Thresholding and contours run at most 320 px wide: the outline only has to
  // land within the coarse edge pass's reach, which then fits the sides at full
  // resolution (sub-pixel, as from a finer copy) for a quarter of the pixels.
  const double scale = std::min(1.0, 320.0 / std::max(full.cols, full.rows));
  cv::Mat gray;
  if (scale < 1.0) {
    // Halving first: OpenCV's area resize by other factors than 2 runs scalar
    // (0.92x CPU for the whole stage at 1280x960; same corners). Only even sizes
    // are halved, so that the copy still spans the whole frame and `scale` maps
    // its corners back exactly.
    const cv::Size target = ScaledSize(full.size(), scale);
    cv::Mat src = full;
    while (src.cols % 2 == 0 && src.rows % 2 == 0 && src.cols >= 2 * target.width && src.rows >= 2 * target.height)
      src = HalveArea(src);
    if (src.size() == target) gray = src;
    else cv::resize(src, gray, target, 0, 0, cv::INTER_AREA);
  } else {
    gray = full.clone();
  }
  // Sensor noise would otherwise beat the small C of 3 on flat board areas.
  cv::GaussianBlur(gray, gray, {0, 0}, 1.5);
  // The study's block of 151 px refers to 1280 px wide images; keep the same
  // fraction of the frame at any resolution.
  const int block = std::max(3, int(std::lround(p.blockSize * gray.cols / 1280.0)) | 1);
  // The study's C first; when its best blob is not clearly a rectangle (it ran
  // into dark board areas), stricter Cs keep only what is much darker than the
  // surroundings, and the best candidate over all passes wins.
  // The local mean is the same for every pass (cv::adaptiveThreshold's own box filter).
  cv::Mat localMean;
  cv::boxFilter(gray, localMean, CV_8U, {block, block}, {-1, -1}, true, cv::BORDER_REPLICATE | cv::BORDER_ISOLATED);
  std::optional<Best> best;
  for (const double c : {p.c, p.c * 4, p.c * 8}) {
    ScanCandidates(gray, localMean, c, p, best);
    if (best && best->cand.fill >= 0.93) break;
  }
  if (!best) return std::nullopt;
  const Quad q = FitSides(best->contour, best->rectCorners);
  // Contour points are pixel indices on the blob's rim: +0.5 to continuous
  // coordinates, then back to full resolution.
  for (int i = 0; i < 4; ++i) best->cand.corners[i] = {(q[i].x + 0.5) / scale, (q[i].y + 0.5) / scale};
  if (scale < 1.0) best->cand.searchRadius = 1.5 / scale;
  return best->cand;
}

}  // namespace di::roi
