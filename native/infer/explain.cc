#include "infer/explain.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "core/saliency.h"

namespace di {

namespace {

constexpr const char* kNanMessage = "model output holds NaN or infinite values for this image";

// Images are prepared a batch at a time, so memory stays bounded however many are explained.
// each(ok, tensorOf) gets the indices of the images that decoded and where each one's input is.
using ChunkHandler = std::function<void(const std::vector<size_t>& ok, const std::function<const float*(size_t)>& tensorOf)>;

void ForEachChunk(const std::vector<ImageSource>& images, const PreprocessSpec& spec, size_t step,
                  std::vector<PreparedImage>& prepared, const ChunkHandler& each) {
  const size_t per = static_cast<size_t>(3) * spec.width * spec.height;
  prepared.assign(images.size(), PreparedImage{});
  std::vector<float> buf(step * per);
  for (size_t first = 0; first < images.size(); first += step) {
    const size_t n = std::min(step, images.size() - first);
    cv::parallel_for_(cv::Range(0, static_cast<int>(n)), [&](const cv::Range& r) {
      for (int k = r.start; k < r.end; ++k) PrepareImage(images[first + k], spec, buf.data() + k * per, prepared[first + k]);
    });
    std::vector<size_t> ok;
    for (size_t k = 0; k < n; ++k)
      if (prepared[first + k].error.ok()) ok.push_back(first + k);
    each(ok, [&](size_t image) { return buf.data() + (image - first) * per; });
  }
}

// Runs a model call and turns a failure into every listed image's error.
template <class F>
void Guarded(std::vector<ImageExplanation>& results, const std::vector<size_t>& images, F&& run) {
  try {
    run();
  } catch (const Error& e) {
    for (size_t i : images) results[i].error = {e.code(), e.what()};
  } catch (const Ort::Exception& e) {
    for (size_t i : images) results[i].error = {code::kInference, e.what()};
  }
}

// The normalised value of the pad colour in each channel: what a hidden region holds.
std::array<float, 3> FillValues(const PreprocessSpec& s) {
  std::array<float, 3> v{};
  for (int c = 0; c < 3; ++c) v[c] = (s.padValue * s.scale - s.mean[c]) / s.std[c];
  return v;
}

SaliencyMap Finish(cv::Mat inputMap, bool clipNegative, const InputPlacement& place, int mapSide) {
  SaliencyMap m;
  m.peakValue = NormaliseMap(inputMap, clipNegative);
  m.map = ToImage(inputMap, place, MapSize(place.imageWidth, place.imageHeight, mapSide));
  m.peak = PeakOf(m.map, place.imageWidth, place.imageHeight);
  return m;
}

// Occlusion compares log-odds: a confident classifier's probability barely moves
// (0.99995 -> 0.9999) where its evidence halves.
float LogOdds(float p) {
  const double q = std::clamp(static_cast<double>(p), 1e-7, 1 - 1e-7);
  return static_cast<float>(std::log(q / (1 - q)));
}

int ArgMax(const std::vector<float>& v) { return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin()); }

void CheckCommon(const ExplainConfig& c) {
  if (c.mapSide < 0 || c.maxMaps < 0) throw Error(code::kInvalidArg, "mapSide and maxMaps must be >= 0");
  if (c.method == SaliencyMethod::kRise && (c.masks < 1 || c.masks > 100000 || c.cells < 1 || c.cells > 256 ||
                                            !(c.keep > 0.f && c.keep < 1.f)))
    throw Error(code::kInvalidArg, "RISE needs masks in 1..100000, cells in 1..256 and keep strictly between 0 and 1");
  if (c.method == SaliencyMethod::kCam && (c.shifts < 1 || c.shifts > 8))
    throw Error(code::kInvalidArg, "CAM shifts must be in 1..8");
  if (c.method == SaliencyMethod::kOcclusion && (c.grid < 1 || c.grid > 64))
    throw Error(code::kInvalidArg, "occlusion needs grid in 1..64");
}

// Class activation maps: shifts x shifts runs per batch, each of the inputs moved by a
// fraction of a feature cell; each map moved back onto the input and averaged, so the
// result resolves finer than one cell (a 7 x 7 map of a 224 input has 32 px cells).
void CamChunk(InferenceSession& session, const ImageInputSpec& input, const ClassifyConfig& cc, const ExplainConfig& ec,
              const PreprocessSpec& spec, const std::vector<PreparedImage>& prepared, const std::vector<size_t>& ok,
              const std::function<const float*(size_t)>& tensorOf, std::vector<ImageExplanation>& results) {
  const int W = input.width, H = input.height;
  const size_t plane = static_cast<size_t>(W) * H, per = 3 * plane;
  const std::array<float, 3> fill = FillValues(spec);
  const int64_t channels = ec.classes > 0 ? static_cast<int64_t>(ec.weights.size()) / ec.classes : 0;
  std::vector<cv::Mat> sum(ok.size());
  std::vector<int> target(ok.size(), ec.target);
  std::vector<bool> bad(ok.size(), false);
  double cellX = 0, cellY = 0;  // input pixels per feature cell, from the first run
  for (int step = 0; step < ec.shifts * ec.shifts; ++step) {
    const int dx = static_cast<int>(std::lround(cellX * (step % ec.shifts) / ec.shifts));
    const int dy = static_cast<int>(std::lround(cellY * (step / ec.shifts) / ec.shifts));
    RunInputs(session, input, ok.size(), cc.maxBatch,
              [&](size_t i, float* dst) {
                const float* x = tensorOf(ok[i]);
                if (dx == 0 && dy == 0) return void(std::copy_n(x, per, dst));
                ShiftPlanes(x, W, H, dx, dy, fill.data(), dst);
              },
              [&](size_t first, size_t n, std::vector<Ort::Value>& outputs) {
                const int64_t k = ClassScoreWidth(outputs[cc.outputIndex], n);
                const Ort::Value& f = outputs[ec.featureOutput];
                const std::vector<int64_t> fd = f.GetTensorTypeAndShapeInfo().GetShape();
                if (fd.size() != 4 || fd[0] < static_cast<int64_t>(n) || fd[1] != channels || ec.classes != k || fd[2] < 1 || fd[3] < 1)
                  throw Error(code::kOutputLayout, "the feature output is not [batch, " + std::to_string(channels) +
                                                       ", h, w] for a head of " + std::to_string(ec.classes) + " classes");
                cellX = static_cast<double>(W) / fd[3];
                cellY = static_cast<double>(H) / fd[2];
                const size_t fper = static_cast<size_t>(fd[1] * fd[2] * fd[3]);
                const float* scores = outputs[cc.outputIndex].GetTensorData<float>();
                const float* feats = f.GetTensorData<float>();
                for (size_t s = 0; s < n; ++s) {
                  const size_t j = first + s;
                  ImageExplanation& r = results[ok[j]];
                  std::vector<float> probs;
                  if (bad[j] || !ToProbabilities(scores + s * k, k, cc.scores, probs) ||
                      !cv::checkRange(cv::Mat(1, static_cast<int>(fper), CV_32F, const_cast<float*>(feats + s * fper)))) {
                    bad[j] = true;
                    continue;
                  }
                  if (step == 0) {
                    r.probabilities = probs;
                    if (target[j] < 0) target[j] = ArgMax(probs);
                  }
                  const cv::Mat cam = ClassActivation(feats + s * fper, static_cast<int>(fd[1]), static_cast<int>(fd[2]),
                                                      static_cast<int>(fd[3]), ec.weights, ec.classes, target[j]);
                  const cv::Mat onInput = CamToInput(cam, W, H, dx, dy);
                  if (sum[j].empty()) sum[j] = onInput;
                  else sum[j] += onInput;
                }
              });
  }
  for (size_t j = 0; j < ok.size(); ++j) {
    ImageExplanation& r = results[ok[j]];
    if (bad[j]) {
      r.error = {code::kNanOutput, kNanMessage};
      continue;
    }
    const PreparedImage& p = prepared[ok[j]];
    SaliencyMap m = Finish(sum[j] / (ec.shifts * ec.shifts), true, PlacementOf(p.map, spec, p.original.width, p.original.height),
                           ec.mapSide);
    m.classId = target[j];
    m.score = r.probabilities[target[j]];
    r.maps.push_back(std::move(m));
  }
}

// RISE or occlusion for one image: input 0 is the image itself, then one masked copy each.
void PerturbImage(InferenceSession& session, const ImageInputSpec& input, const ClassifyConfig& cc, const ExplainConfig& ec,
                  const PreprocessSpec& spec, const PreparedImage& p, const float* x, ImageExplanation& r) {
  const int W = input.width, H = input.height;
  const size_t plane = static_cast<size_t>(W) * H;
  const std::array<float, 3> fill = FillValues(spec);
  const bool rise = ec.method == SaliencyMethod::kRise;
  const size_t count = 1 + static_cast<size_t>(rise ? ec.masks : ec.grid * ec.grid);
  std::vector<float> mask(plane);
  // What a RISE mask hides is blurred rather than greyed: a grey patch on a die is an
  // edge the classifier reads as damage, which would make the map point away from it.
  std::vector<float> blurred;
  if (rise) {
    blurred.resize(3 * plane);
    for (int c = 0; c < 3; ++c) {
      cv::Mat src(H, W, CV_32F, const_cast<float*>(x + c * plane)), dst(H, W, CV_32F, blurred.data() + c * plane);
      const double sigma = std::max(W, H) / 16.0;
      cv::GaussianBlur(src, dst, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
    }
  }
  // Mask i is made again from its own seed where it is needed, rather than kept (masks x H x W floats).
  const auto riseMask = [&](size_t i) {
    std::mt19937 rng(ec.seed * 1000003u + static_cast<uint32_t>(i));
    RiseMask(ec.cells, ec.keep, W, H, rng, mask.data());
  };
  // RISE: each pixel's mean score over the masks, weighted by how much each mask kept it
  // (sum of score x mask over sum of mask). Dividing by the masks' expected coverage instead,
  // as RISE was first written, leaves each pixel's share of kept masks in the map as noise
  // as large as a saturated classifier's whole signal.
  cv::Mat sum(H, W, CV_32F, cv::Scalar(0)), kept(H, W, CV_32F, cv::Scalar(0)), drops(ec.grid, ec.grid, CV_32F, cv::Scalar(0));
  int target = ec.target;
  float base = 0;
  bool nan = false;
  RunInputs(session, input, count, cc.maxBatch,
            [&](size_t i, float* dst) {
              std::copy_n(x, 3 * plane, dst);
              if (i == 0) return;
              if (rise) {
                riseMask(i);
                for (int c = 0; c < 3; ++c)
                  for (size_t q = 0; q < plane; ++q) {
                    const float b = blurred[c * plane + q];
                    dst[c * plane + q] = b + mask[q] * (dst[c * plane + q] - b);
                  }
                return;
              }
              const int cell = static_cast<int>(i - 1);
              const cv::Rect rc = GridCell(ec.grid, cell % ec.grid, cell / ec.grid, W, H);
              for (int c = 0; c < 3; ++c)
                for (int yy = rc.y; yy < rc.y + rc.height; ++yy)
                  std::fill_n(dst + c * plane + static_cast<size_t>(yy) * W + rc.x, rc.width, fill[c]);
            },
            [&](size_t first, size_t n, std::vector<Ort::Value>& outputs) {
              const int64_t k = ClassScoreWidth(outputs[cc.outputIndex], n);
              const float* scores = outputs[cc.outputIndex].GetTensorData<float>();
              std::vector<float> probs;
              for (size_t s = 0; s < n && !nan; ++s) {
                const size_t i = first + s;
                if (!ToProbabilities(scores + s * k, k, cc.scores, probs)) {
                  nan = true;
                  break;
                }
                if (i == 0) {
                  r.probabilities = probs;
                  if (target < 0) target = ArgMax(probs);
                  if (target >= k) throw Error(code::kInvalidArg, "target class " + std::to_string(target) + " is not one of the model's " +
                                                                      std::to_string(k));
                  base = probs[target];
                } else if (rise) {
                  riseMask(i);
                  const cv::Mat m(H, W, CV_32F, mask.data());
                  cv::scaleAdd(m, probs[target], sum, sum);
                  kept += m;
                } else {
                  drops.ptr<float>()[i - 1] = LogOdds(base) - LogOdds(probs[target]);
                }
              }
            });
  if (nan) {
    r.error = {code::kNanOutput, kNanMessage};
    return;
  }
  const InputPlacement place = PlacementOf(p.map, spec, p.original.width, p.original.height);
  SaliencyMap m = rise ? Finish(sum / cv::max(kept, 1e-6), false, place, ec.mapSide) : Finish(drops, true, place, ec.mapSide);
  m.classId = target;
  m.score = base;
  r.maps.push_back(std::move(m));
}

void CopyPrepared(const std::vector<PreparedImage>& prepared, std::vector<ImageExplanation>& results) {
  for (size_t i = 0; i < results.size(); ++i) {
    const PreparedImage& p = prepared[i];
    if (!p.error.ok() && results[i].error.ok()) results[i].error = p.error;
    results[i].width = p.original.width;
    results[i].height = p.original.height;
    results[i].warning = p.warning;
  }
}

}  // namespace

std::vector<ImageExplanation> ExplainClassification(InferenceSession& session, const std::vector<ImageSource>& images,
                                                    const ClassifyConfig& cc, const ExplainConfig& ec) {
  CheckCommon(ec);
  const ImageInputSpec input = ResolveImageInput(session.info(), cc.imgszHeight, cc.imgszWidth, 1);
  CheckOutputIndex(session.info(), cc.outputIndex, "classifier");
  if (ec.method == SaliencyMethod::kCam) {
    if (ec.featureOutput < 0) throw Error(code::kInvalidArg, "a class activation map needs the model's feature output");
    CheckOutputIndex(session.info(), ec.featureOutput, "feature");
    if (ec.classes < 1 || ec.weights.empty() || ec.weights.size() % ec.classes != 0)
      throw Error(code::kInvalidArg, "CAM weights must be classes x channels");
    if (ec.target >= ec.classes) throw Error(code::kInvalidArg, "target class " + std::to_string(ec.target) + " is not one of the head's " +
                                                                    std::to_string(ec.classes));
  }
  PreprocessSpec spec = cc.preprocess;
  spec.width = input.width;
  spec.height = input.height;
  std::vector<PreparedImage> prepared;
  std::vector<ImageExplanation> results(images.size());
  const size_t step = input.fixedBatch > 0 ? input.fixedBatch : std::max(1, cc.maxBatch);
  ForEachChunk(images, spec, step, prepared, [&](const std::vector<size_t>& ok, const std::function<const float*(size_t)>& tensorOf) {
    if (ec.method == SaliencyMethod::kCam) {
      Guarded(results, ok, [&] { CamChunk(session, input, cc, ec, spec, prepared, ok, tensorOf, results); });
      return;
    }
    for (size_t image : ok)
      Guarded(results, {image}, [&] { PerturbImage(session, input, cc, ec, spec, prepared[image], tensorOf(image), results[image]); });
  });
  CopyPrepared(prepared, results);
  return results;
}

std::vector<ImageExplanation> ExplainDetections(InferenceSession& session, const std::vector<ImageSource>& images,
                                                const DetectConfig& dc, const ExplainConfig& ec) {
  CheckCommon(ec);
  if (ec.method != SaliencyMethod::kOcclusion) throw Error(code::kInvalidArg, "detectors are explained by occlusion");
  const ImageInputSpec input = ResolveImageInput(session.info(), dc.imgszHeight, dc.imgszWidth, dc.stride);
  CheckOutputIndex(session.info(), dc.outputIndex, "detector");
  PreprocessSpec spec = dc.preprocess;
  spec.width = input.width;
  spec.height = input.height;
  const int W = input.width, H = input.height;
  const size_t plane = static_cast<size_t>(W) * H, per = 3 * plane;
  const std::array<float, 3> fill = FillValues(spec);
  std::vector<PreparedImage> prepared;
  std::vector<ImageExplanation> results(images.size());
  std::vector<std::vector<Candidate>> found(images.size());
  const size_t step = input.fixedBatch > 0 ? input.fixedBatch : std::max(1, dc.maxBatch);
  ForEachChunk(images, spec, step, prepared, [&](const std::vector<size_t>& ok, const std::function<const float*(size_t)>& tensorOf) {
    Guarded(results, ok, [&] {
      RunInputs(session, input, ok.size(), dc.maxBatch, [&](size_t i, float* dst) { std::copy_n(tensorOf(ok[i]), per, dst); },
                [&](size_t first, size_t n, std::vector<Ort::Value>& outputs) {
                  DecodeBatchOutput(outputs[dc.outputIndex], dc, n, [&](size_t s, std::vector<Candidate>* cands) {
                    const size_t image = ok[first + s];
                    if (!cands) results[image].error = {code::kNanOutput, kNanMessage};
                    else found[image] = FinishDetections(*cands, prepared[image].map, dc.nms);
                    if (found[image].size() > static_cast<size_t>(ec.maxMaps)) found[image].resize(ec.maxMaps);
                  });
                });
    });
    for (size_t image : ok) {
      const std::vector<Candidate>& dets = found[image];
      if (dets.empty() || !results[image].error.ok()) continue;
      std::vector<cv::Mat> drops(dets.size());
      for (auto& d : drops) d = cv::Mat(ec.grid, ec.grid, CV_32F, cv::Scalar(0));
      const float* x = tensorOf(image);
      Guarded(results, {image}, [&] {
        RunInputs(session, input, static_cast<size_t>(ec.grid) * ec.grid, dc.maxBatch,
                  [&](size_t i, float* dst) {
                    std::copy_n(x, per, dst);
                    const cv::Rect rc = GridCell(ec.grid, static_cast<int>(i) % ec.grid, static_cast<int>(i) / ec.grid, W, H);
                    for (int c = 0; c < 3; ++c)
                      for (int yy = rc.y; yy < rc.y + rc.height; ++yy)
                        std::fill_n(dst + c * plane + static_cast<size_t>(yy) * W + rc.x, rc.width, fill[c]);
                  },
                  [&](size_t first, size_t n, std::vector<Ort::Value>& outputs) {
                    DecodeBatchOutput(outputs[dc.outputIndex], dc, n, [&](size_t s, std::vector<Candidate>* cands) {
                      if (!cands) return;  // a NaN answer for one occluded copy: that cell keeps drop 0
                      const std::vector<Candidate> seen = FinishDetections(*cands, prepared[image].map, dc.nms);
                      for (size_t d = 0; d < dets.size(); ++d) {
                        float still = 0;
                        for (const Candidate& c : seen)
                          if (c.classId == dets[d].classId && IoU(c.box, dets[d].box) >= 0.5f) still = std::max(still, c.score);
                        drops[d].ptr<float>()[first + s] = dets[d].score - still;
                      }
                    });
                  });
      });
      if (!results[image].error.ok()) continue;
      const PreparedImage& p = prepared[image];
      const InputPlacement place = PlacementOf(p.map, spec, p.original.width, p.original.height);
      for (size_t d = 0; d < dets.size(); ++d) {
        SaliencyMap m = Finish(drops[d], true, place, ec.mapSide);
        m.classId = dets[d].classId;
        m.score = dets[d].score;
        m.box = dets[d].box;
        results[image].maps.push_back(std::move(m));
      }
    }
  });
  CopyPrepared(prepared, results);
  return results;
}

}  // namespace di
