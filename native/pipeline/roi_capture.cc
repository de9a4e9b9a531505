#include "pipeline/roi_capture.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "roi/edges.h"

namespace di {

namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The B, G, R means, the same doubles cv::mean gives (exact integer sums times
// 1 / pixels), in a loop the compiler vectorises: OpenCV's three-channel sum is
// scalar and cost more than the grayscale conversion. 16-bit lanes (one
// widening step from bytes) take at most 256 blocks before they are emptied
// into the 64-bit totals: 256 x 255 < 65536.
cv::Scalar ChannelMeans(const cv::Mat& bgr) {
  if (bgr.type() != CV_8UC3 || bgr.empty()) return cv::mean(bgr);
  constexpr int kLanes = 48;  // a multiple of 3 (channels) and of 16 (bytes per SSE register)
  constexpr int kBlocksPerFlush = 256;
  uint64_t total[3] = {0, 0, 0};
  uint16_t acc[kLanes];
  const int rowBytes = bgr.cols * 3;
  for (int y = 0; y < bgr.rows; ++y) {
    const uint8_t* p = bgr.ptr<uint8_t>(y);
    int x = 0;
    while (x + kLanes <= rowBytes) {
      std::fill(acc, acc + kLanes, uint16_t(0));
      const int end = std::min(rowBytes - kLanes, x + (kBlocksPerFlush - 1) * kLanes);
      for (; x <= end; x += kLanes)
        for (int k = 0; k < kLanes; ++k) acc[k] = uint16_t(acc[k] + p[x + k]);
      for (int k = 0; k < kLanes; ++k) total[k % 3] += acc[k];
    }
    for (; x < rowBytes; ++x) total[x % 3] += p[x];
  }
  const double scale = 1.0 / (double(bgr.cols) * bgr.rows);
  return cv::Scalar(double(total[0]), double(total[1]), double(total[2]), 0.0) * scale;
}

cv::Mat Gray(const cv::Mat& bgr) {
  cv::Mat g;
  cv::cvtColor(bgr, g, cv::COLOR_BGR2GRAY);
  return g;
}

bool WithinReach(const Quad& q, int width, int height) {
  for (const auto& p : q)
    if (!(p.x >= -0.5 * width && p.x <= 1.5 * width && p.y >= -0.5 * height && p.y <= 1.5 * height)) return false;
  return true;
}

}  // namespace

Proposer ContourProposer(const roi::ContourParams& p) {
  return [p](const std::vector<cv::Mat>& gray, const std::vector<uint8_t>& active, std::vector<ItemError>& errors) {
    std::vector<std::optional<Proposal>> out(gray.size());
    cv::parallel_for_(cv::Range(0, int(gray.size())), [&](const cv::Range& r) {
      for (int i = r.start; i < r.end; ++i) {
        if (!active[i]) continue;
        try {
          const auto cand = roi::FindPackageByContour(gray[i], p);
          if (cand) out[i] = Proposal{cand->corners, cand->score, cand->searchRadius};
        } catch (const std::exception& e) {
          errors[i] = {code::kInternal, std::string("locating the package failed: ") + e.what()};
        }
      }
    });
    return out;
  };
}

std::vector<RoiResult> CaptureRoi(const std::vector<ImageSource>& images, const RoiConfig& cfg, const Proposer& propose) {
  const int n = int(images.size());
  std::vector<RoiResult> out(n);
  std::vector<cv::Mat> bgr(n), gray(n);  // grayscale once: the proposal and the edge fits share it
  // one byte an image: vector<bool> packs bits, and the parallel loop below writes neighbours
  std::vector<uint8_t> active(n, 0);
  cv::parallel_for_(cv::Range(0, n), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        bgr[i] = LoadBgr(images[i], nullptr, &out[i].warning);
      } catch (const Error& e) {
        out[i].error = {e.code(), e.what()};
        continue;
      } catch (const std::exception& e) {
        out[i].error = {code::kImageDecode, e.what()};
        continue;
      }
      RoiResult& res = out[i];
      res.width = bgr[i].cols;
      res.height = bgr[i].rows;
      res.meansBgr = ChannelMeans(bgr[i]);
      gray[i] = Gray(bgr[i]);
      res.mode = roi::ClassifyMode(res.meansBgr, cfg.modeRule);
      active[i] = !(cfg.brightfieldOnly && res.mode != roi::AcquisitionMode::kBrightfield);
      if (!active[i]) res.status = RoiResult::Status::kSkipped;
      res.decodeMs = MsSince(t0);
    }
  });

  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ItemError> proposeErrors(n);
  const std::vector<std::optional<Proposal>> proposals = propose(gray, active, proposeErrors);
  const double locateMs = MsSince(t0) / std::max(1, n);

  cv::parallel_for_(cv::Range(0, n), [&](const cv::Range& r) {
    for (int i = r.start; i < r.end; ++i) {
      RoiResult& res = out[i];
      res.locateMs = locateMs;
      if (!proposeErrors[i].ok() && res.error.ok()) res.error = proposeErrors[i];
      if (!active[i] || !res.error.ok()) continue;
      if (!proposals[i]) {
        res.status = RoiResult::Status::kNotFound;
        continue;
      }
      // A proposal may lie anywhere (a caller's quad, a mask in a letterbox's padding): one far
      // off the image would plan a crop of any size. A package cut by the frame reaches at
      // most half the image's size past a border; beyond that there is no package to capture.
      if (!WithinReach(proposals[i]->corners, res.width, res.height)) {
        res.status = RoiResult::Status::kNotFound;
        continue;
      }
      const auto t1 = std::chrono::steady_clock::now();
      try {
        Quad corners = roi::Clockwise(proposals[i]->corners);
        if (cfg.refine) {
          // A coarse outline first moves onto the edges within its own
          // uncertainty; the fine pass then fits them to sub-pixel.
          roi::EdgeRefineParams coarse, fine;
          // A package side is hundreds of px long: a profile every few px
          // averages the pixel grid's phase out of the fitted line.
          fine.samplesPerSide = 96;
          if (proposals[i]->searchRadius > fine.searchRadius) {
            coarse.searchRadius = proposals[i]->searchRadius;
            coarse.innermostFraction = 0.35;
            roi::RefineQuad(gray[i], corners, coarse);
          }
          res.refined = roi::RefineQuad(gray[i], corners, fine);
        }
        const roi::Oriented o = roi::OrientPackage(gray[i], corners, cfg.orientation);
        res.quad = o.quad;
        res.cueUsed = o.cueUsed;
        res.angle = QuadAngle(o.quad);
        res.score = proposals[i]->score;
        res.warp = roi::PlanWarp(o.quad, cfg.cropScale);
        res.status = RoiResult::Status::kOk;
        if (cfg.crops || cfg.measureDie) {
          cv::Mat crop = roi::WarpUpright(bgr[i], res.warp);
          if (cfg.measureDie) res.die = roi::MeasureDie(Gray(crop));
          if (cfg.crops) res.crop = crop;
        }
      } catch (const std::exception& e) {
        res.error = {code::kInternal, e.what()};
      }
      res.warpMs = MsSince(t1);
    }
  });
  return out;
}

}  // namespace di
