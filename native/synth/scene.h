// What one synthetic part looks like, sampled from a seed before anything is
// drawn: package pose and size, die placement and rotation, flaws, lighting.
// Rendering (render.h) turns a Scene into pixels; ground truth comes from the
// Scene alone, so labels never depend on how pixels were rasterised.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "util/geometry.h"

namespace di::synth {

enum class Mode { kBrightfield, kDarkfieldWhite, kDarkfieldBlue };
const char* ModeName(Mode m);
bool ParseMode(const std::string& s, Mode* out);

// A flaw drawn on the part. die_crack covers cracks, chips and scratches (one
// code, as in the study); "led_crack" marks a distractor on the LED region,
// which a detector must learn to ignore.
struct Flaw {
  enum class Kind { kCrack, kChip, kScratch };
  Kind kind = Kind::kCrack;
  bool distractor = false;
  std::vector<std::vector<cv::Point2d>> strokes;  // canvas coordinates; a chip is one closed polygon
  double thickness = 1.5;
  cv::Scalar color;
};

// A defect made elsewhere (a generator's sample), pasted onto the canvas: the label
// box, and a patch that covers the box grown by `context` times its width on the
// left and on the right and times its height above and below, resized to fit.
struct Paste {
  std::string label;  // die_crack or die_rotation
  cv::Vec4d box;      // [x1, y1, x2, y2] on the canvas, inside it
  double context = 0;
  cv::Mat patch;      // 8-bit BGR, any size
};

struct Scene {
  // Upright package canvas [0, pw] x [0, ph]; the upright crop is this canvas.
  int pw = 0, ph = 0;
  // Pose: canvas -> image is a rotation by `angle` (deg, clockwise on screen)
  // about the canvas centre, then translation of that centre to `center`.
  cv::Point2d center;
  double angle = 0;

  cv::Point2d dieCenter;  // canvas
  double dieW = 0, dieH = 0;
  double dieAngle = 0;  // deg relative to the package, clockwise on screen
  bool dieRotationDefect = false;

  cv::Rect2d led;  // canvas
  std::vector<Flaw> flaws;
  std::vector<Paste> pastes;  // drawn last on the canvas, each a label of its own

  cv::Scalar bodyColor, dieColor, padColor, ledColor, pcbColor;
  double edgeSoftness = 2;        // sigma of the package/background border, px
  double gainX = 0, gainY = 0;    // lighting gradient across the image
  double brightness = 1;
  double noiseSigma = 3;
  double blurSigma = 0;
  int jpegQuality = 90;
  uint64_t textureSeed = 0;       // background and die texture
  cv::Mat board;                  // when set, the board behind the package (8-bit BGR, resized to the image)

  cv::Matx33d CanvasToImage() const;
  Quad PackageQuad() const;  // image coordinates
  Quad DieQuadCanvas() const;
};

struct SceneOptions {
  int width = 1280, height = 960;
  double goodFraction = 1.0 / 3.0;
  double crackFraction = 1.0 / 3.0;  // the rest of the defective parts have a rotated die
  double distractorRate = 0.2;
  double goodDieTolerance = 0.4;  // |die angle| of defect-free parts stays within this, deg
};

// A labelled object: its box on the upright crop and in the full image.
struct Label {
  std::string label;  // die_crack, die_rotation, or led_crack (a distractor)
  cv::Vec4d cropBox;  // [x1, y1, x2, y2] on the canvas / upright crop
  cv::Vec4d box;      // [x1, y1, x2, y2] in the image
  std::vector<cv::Point2d> quad;  // the object's outline in the image (die_rotation: the die quad)
  std::string source;             // "gan" for a pasted defect; empty for a drawn one
};
std::vector<Label> GroundTruth(const Scene& scene);

Scene SampleScene(const SceneOptions& o, uint64_t seed, uint64_t index);

// The die angle part `index` has when it is rendered defect-free: its own for a good
// or cracked part, a draw of its own within the good-die tolerance for a rotated die.
double UprightDieAngle(const Scene& sc, const SceneOptions& o, uint64_t seed, uint64_t index);

// Takes the part's die defects away: the die upright (UprightDieAngle), no die flaws.
// LED distractors, pose, colours and texture stay as sampled.
void MakeDefectFree(Scene& sc, const SceneOptions& o, uint64_t seed, uint64_t index);

}  // namespace di::synth
