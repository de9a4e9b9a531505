// ROI capture for a batch: decode -> acquisition mode -> package proposal (by
// contour, segmentation or SAM) -> sub-pixel sides -> upright orientation ->
// warp -> die angle. Each image succeeds or fails on its own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/image.h"
#include "roi/acquisition.h"
#include "roi/contour.h"
#include "roi/die.h"
#include "roi/orientation.h"
#include "roi/warp.h"
#include "util/error.h"

namespace di {

struct RoiConfig {
  roi::ContourParams contour;
  roi::ModeRule modeRule;
  roi::OrientationRule orientation = roi::OrientationRule::kDieLeft;
  bool refine = true;           // fit the package sides to sub-pixel edges
  bool crops = true;            // return the upright crop pixels
  bool measureDie = true;
  bool brightfieldOnly = false; // skip proposal for darkfield images (the study's filter)
  double cropScale = 1.0;
};

// A package outline proposed by a strategy: four corners in any rotation.
struct Proposal {
  Quad corners;
  double score = 0;
  // How far (px) the outline may sit from the true edges, e.g. one cell of a
  // low-resolution mask; 0 = already close (the fine pass alone).
  double searchRadius = 0;
};

// Proposes at most one package per image from its grayscale version;
// `active[i]` false means skip image i.
// A proposer that fails on one image records why in `errors[i]` and goes on with
// the others.
using Proposer = std::function<std::vector<std::optional<Proposal>>(
    const std::vector<cv::Mat>& gray, const std::vector<uint8_t>& active, std::vector<ItemError>& errors)>;

struct RoiResult {
  ItemError error;
  int width = 0, height = 0;
  std::string warning;  // what the decoder let pass (failOn 'error')
  cv::Scalar meansBgr;
  roi::AcquisitionMode mode = roi::AcquisitionMode::kBrightfield;
  enum class Status { kOk, kNotFound, kSkipped } status = Status::kNotFound;
  Quad quad{};
  double angle = 0;  // package top edge direction, degrees in [0, 360)
  double score = 0;
  bool cueUsed = false, refined = false;
  roi::UprightWarp warp;
  cv::Mat crop;      // BGR
  std::optional<roi::DieMeasurement> die;
  double decodeMs = 0, locateMs = 0, warpMs = 0;
};

// The classical chain as a Proposer.
Proposer ContourProposer(const roi::ContourParams& p);

std::vector<RoiResult> CaptureRoi(const std::vector<ImageSource>& images, const RoiConfig& config, const Proposer& propose);

}  // namespace di
