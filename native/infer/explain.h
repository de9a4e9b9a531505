// Saliency for classifiers and detectors through the session that answers:
// class activation maps from a classifier's last feature map (one run per
// batch), or the answers to masked copies of each image (RISE masks, occluded
// grid cells), batched like any other input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "infer/classifier.h"
#include "infer/detector.h"

namespace di {

enum class SaliencyMethod { kCam, kRise, kOcclusion };

struct ExplainConfig {
  SaliencyMethod method = SaliencyMethod::kCam;
  int target = -1;             // classifier: the class to explain; -1: each image's predicted class
  int featureOutput = -1;      // CAM: the [batch, channels, h, w] output the pooled linear head reads
  std::vector<float> weights;  // CAM: that head's weights, classes x channels
  int classes = 0;
  int shifts = 2;              // CAM: sub-cell shifts per axis (shifts^2 runs; 1: the plain map)
  int masks = 500;             // RISE: masks per image
  int cells = 7;               // RISE: mask grid cells per side
  float keep = 0.5f;           // RISE: share of cells kept
  uint32_t seed = 0;           // RISE: the masks (the same for every image)
  int grid = 8;                // occlusion: cells per side, each hidden in turn
  int mapSide = 512;           // longest side of a returned map (0: the image's size)
  int maxMaps = 20;            // detector: maps for the best detections of each image
};

struct SaliencyMap {
  int classId = -1;
  float score = 0;       // classifier: the explained class's probability; detector: the detection's score
  Box box{};             // detector: the detection, in image pixels
  cv::Mat map;           // float 0..1 over the whole image, at MapSize(image, mapSide)
  float peakValue = 0;   // the raw value that became 1 (logit evidence, mean probability, log-odds or score drop)
  cv::Point2d peak;      // the maximum, in image pixels
};

struct ImageExplanation {
  ItemError error;
  int width = 0, height = 0;
  std::vector<float> probabilities;  // classifier
  std::vector<SaliencyMap> maps;     // classifier: one; detector: one per detection (best first)
  std::string warning;
};

// ERR_INVALID_ARG / ERR_OUTPUT_LAYOUT for a configuration the model cannot serve
// (no feature output, weights of the wrong size); per-image errors otherwise.
std::vector<ImageExplanation> ExplainClassification(InferenceSession& session, const std::vector<ImageSource>& images,
                                                    const ClassifyConfig& classify, const ExplainConfig& config);

// Occlusion maps: for each detection, how much its score drops when each grid cell
// is hidden (grey, the letterbox pad value); the occluded copies' detections are
// matched to it by class and IoU >= 0.5, and a lost detection counts as score 0.
std::vector<ImageExplanation> ExplainDetections(InferenceSession& session, const std::vector<ImageSource>& images,
                                                const DetectConfig& detect, const ExplainConfig& config);

}  // namespace di
