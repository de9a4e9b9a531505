// Image -> model input. Letterbox keeps the aspect ratio and pads (YOLO);
// plain resize stretches (classifiers). Both write planar float RGB straight
// into a slot of the batch tensor, so no intermediate blob is made.
#pragma once

#include <array>

#include <opencv2/core.hpp>

namespace di {

enum class ResizeMode { kLetterbox, kStretch };

struct PreprocessSpec {
  int width = 640, height = 640;  // model input size
  ResizeMode mode = ResizeMode::kLetterbox;
  float padValue = 114.f;
  bool swapRB = true;                       // BGR -> RGB
  float scale = 1.f / 255.f;                // applied before mean/std
  std::array<float, 3> mean{0.f, 0.f, 0.f};  // in RGB order when swapRB, after scale
  std::array<float, 3> std{1.f, 1.f, 1.f};
  // Part of each image to use, as fractions x1, y1, x2, y2 (a classifier
  // trained on the die's neighbourhood of the upright crop); coordinates in the
  // map then refer to that part.
  std::array<float, 4> region{0.f, 0.f, 1.f, 1.f};
};

// Bounds every model input is held to, checked before the tensor is allocated:
// the side preprocess() takes, and a batch tensor that cannot take the process down.
inline constexpr int kMaxInputSide = 16384;
inline constexpr double kMaxInputTensorBytes = 4.0 * (1ull << 30);

// Bytes of a float [batch, 3, height, width] tensor, in double so nothing overflows.
inline double InputTensorBytes(double batch, int height, int width) { return batch * 3 * height * width * sizeof(float); }

// Maps model-input coordinates back to the original image:
// x_orig = (x_model - padX) / scaleX.
struct LetterboxMap {
  float scaleX = 1.f, scaleY = 1.f, padX = 0.f, padY = 0.f;
  int srcWidth = 0, srcHeight = 0;
  float ToSrcX(float x) const { return (x - padX) / scaleX; }
  float ToSrcY(float y) const { return (y - padY) / scaleY; }
};

// Computes the mapping without touching pixels (also used by tests/bench).
LetterboxMap ComputeMap(int srcWidth, int srcHeight, const PreprocessSpec& spec);

// Writes one image as 3 x height x width floats at `dst` (NCHW slot).
// `original`: the size `bgr` was decoded down from (LoadBgrForTarget); the map
// refers to it. Default: bgr's own size.
LetterboxMap PreprocessInto(const cv::Mat& bgr, const PreprocessSpec& spec, float* dst, cv::Size original = {});

// Rounds a requested size up to a multiple of the model stride.
int AlignToStride(int size, int stride);

}  // namespace di
