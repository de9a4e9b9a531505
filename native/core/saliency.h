// Saliency maps: which part of an image a model's answer rests on. Each method
// makes a map over the model input (a class activation map from the last feature
// map, or the answers to masked copies of the input); ToImage then resamples it
// into the image's own pixels, zero where the model saw nothing of the image.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <opencv2/core.hpp>

#include "core/preprocess.h"

namespace di {

// Where a model input lies in an image: `map` takes the model input to the part
// (region) of the image it was made from, whose top-left is (offsetX, offsetY).
struct InputPlacement {
  LetterboxMap map;
  double offsetX = 0, offsetY = 0;
  int imageWidth = 0, imageHeight = 0;
  int inputWidth = 0, inputHeight = 0;
};

// The placement PreprocessInto gave an image of imageWidth x imageHeight.
InputPlacement PlacementOf(const LetterboxMap& map, const PreprocessSpec& spec, int imageWidth, int imageHeight);

// Class activation map of class `cls` over features [channels, h, w]: at each
// position, sum_c w[cls, c] * f[c]. With several classes the weights are taken
// relative to their mean over classes (softmax answers change only with those
// differences), so a two-class map shows evidence for `cls` against the other.
cv::Mat ClassActivation(const float* features, int channels, int h, int w, const std::vector<float>& weights,
                        int classes, int cls);

// A CAM of an input whose content was moved by (dx, dy) pixels, resampled onto the
// unmoved input's width x height pixels (bilinear between cell centres).
cv::Mat CamToInput(const cv::Mat& cam, int width, int height, double dx, double dy);

// Copies planar 3 x height x width floats moved by (dx, dy) whole pixels; what
// comes in from outside takes each channel's fill value.
void ShiftPlanes(const float* src, int width, int height, int dx, int dy, const float* fill, float* dst);

// Scales a map to 0..1 in place (negative values clipped to 0 first when
// `clipNegative`, else shifted by the minimum) and returns the value that became 1.
float NormaliseMap(cv::Mat& map, bool clipNegative);

// The size of a map of an image: the image's own, scaled down so that the longer
// side is at most maxSide (0: no limit).
cv::Size MapSize(int imageWidth, int imageHeight, int maxSide);

// Resamples a map spanning the model input (any grid, bilinear between cell
// centres) onto `size` pixels covering the whole image.
cv::Mat ToImage(const cv::Mat& inputMap, const InputPlacement& p, cv::Size size);

// One random RISE mask over a width x height input: a cells x cells grid of cells
// kept with probability `keep`, upsampled bilinearly to (cells + 1) cell sizes and
// shifted by a random fraction of a cell, so that mask edges fall anywhere.
void RiseMask(int cells, float keep, int width, int height, std::mt19937& rng, float* mask);

// The cell of a grid x grid division of a width x height input at (i, j).
cv::Rect GridCell(int grid, int i, int j, int width, int height);

// The map's maximum in image pixels (continuous coordinates, the cell's centre).
cv::Point2d PeakOf(const cv::Mat& map, int imageWidth, int imageHeight);

}  // namespace di
