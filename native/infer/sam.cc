#include "infer/sam.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di {

namespace {

const char* const kDecoderInputs[] = {"image_embeddings", "point_coords", "point_labels",
                                      "mask_input",       "has_mask_input", "orig_im_size"};

const TensorInfo* FindByName(const std::vector<TensorInfo>& list, const std::string& name) {
  for (const auto& t : list)
    if (t.name == name) return &t;
  return nullptr;
}

int IndexByName(const std::vector<TensorInfo>& list, const std::string& name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name) return int(i);
  return -1;
}

// Normalisation of the official predictor (RGB, 0-255 scale).
constexpr float kMean[3] = {123.675f, 116.28f, 103.53f};
constexpr float kStd[3] = {58.395f, 57.12f, 57.375f};

// Long side to S, planar normalised RGB in the top-left, zeros elsewhere.
// Returns the resized size (the frame the prompt coordinates live in).
cv::Size EncoderInput(const cv::Mat& bgr, int S, std::vector<float>& tensor) {
  const double scale = double(S) / std::max(bgr.cols, bgr.rows);
  const cv::Size size(std::clamp(int(bgr.cols * scale + 0.5), 1, S), std::clamp(int(bgr.rows * scale + 0.5), 1, S));
  cv::Mat resized;
  cv::resize(bgr, resized, size, 0, 0, cv::INTER_LINEAR);
  tensor.assign(size_t(3) * S * S, 0.f);
  const size_t plane = size_t(S) * S;
  for (int y = 0; y < size.height; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y);
    for (int x = 0; x < size.width; ++x)
      for (int c = 0; c < 3; ++c)  // BGR in, RGB planes out
        tensor[c * plane + size_t(y) * S + x] = (row[3 * x + (2 - c)] - kMean[c]) / kStd[c];
  }
  return size;
}

}  // namespace

SamSignature ResolveSamSignature(const ModelInfo& enc, const ModelInfo& dec) {
  SamSignature s;
  if (enc.inputs.size() != 1)
    throw Error(code::kModelInput, "a SAM image encoder takes one input [1, 3, S, S]; this model takes " +
                                       std::to_string(enc.inputs.size()));
  const TensorInfo& in = enc.inputs[0];
  if (in.type != "float32" || in.shape.size() != 4 || (in.shape[1] != 3 && in.shape[1] != -1))
    throw Error(code::kModelInput, "SAM encoder input '" + in.name + "' must be float32 [1, 3, S, S]");
  if (in.shape[2] > 0 && in.shape[3] > 0 && in.shape[2] != in.shape[3])
    throw Error(code::kModelInput, "SAM encoder input '" + in.name + "' must be square");
  s.encoderInput = in.name;
  s.inputSize = in.shape[2] > 0 ? int(in.shape[2]) : in.shape[3] > 0 ? int(in.shape[3]) : 1024;
  const TensorInfo* emb = FindByName(enc.outputs, "image_embeddings");
  if (!emb && enc.outputs.size() == 1) emb = &enc.outputs[0];  // exports that name it otherwise
  if (!emb || emb->shape.size() != 4)
    throw Error(code::kOutputLayout, "SAM encoder must output image_embeddings [1, C, h, w]");
  s.encoderOutput = emb->name;

  std::string missing;
  for (const char* name : kDecoderInputs) {
    const TensorInfo* t = FindByName(dec.inputs, name);
    if (!t) missing += std::string(missing.empty() ? "" : ", ") + name;
    else if (t->type != "float32")
      throw Error(code::kModelInput, std::string("SAM decoder input '") + name + "' must be float32, not " + t->type);
  }
  if (!missing.empty())
    throw Error(code::kModelInput, "not a SAM prompt decoder: inputs " + missing + " are missing");
  if (dec.inputs.size() != std::size(kDecoderInputs))
    throw Error(code::kModelInput, "SAM decoder takes exactly the six inputs of the official export");
  const TensorInfo& mi = *FindByName(dec.inputs, "mask_input");
  if (mi.shape.size() != 4) throw Error(code::kModelInput, "SAM decoder input 'mask_input' must be [1, 1, h, w]");
  const int eh = emb->shape[2] > 0 ? int(emb->shape[2]) : 64, ew = emb->shape[3] > 0 ? int(emb->shape[3]) : 64;
  s.maskInputH = mi.shape[2] > 0 ? int(mi.shape[2]) : 4 * eh;
  s.maskInputW = mi.shape[3] > 0 ? int(mi.shape[3]) : 4 * ew;
  s.masksOutput = IndexByName(dec.outputs, "masks");
  s.iouOutput = IndexByName(dec.outputs, "iou_predictions");
  if (s.masksOutput < 0 || s.iouOutput < 0)
    throw Error(code::kOutputLayout, "SAM decoder must output 'masks' and 'iou_predictions'");
  return s;
}

std::vector<SamResult> SamSegment(InferenceSession& encoder, InferenceSession& decoder,
                                  const std::vector<ImageSource>& images, const std::vector<std::optional<Box>>& boxes,
                                  const SamConfig& cfg) {
  if (boxes.size() != images.size()) throw Error(code::kInvalidArg, "one box prompt (or none) per image");
  const SamSignature sig = ResolveSamSignature(encoder.info(), decoder.info());
  const int S = sig.inputSize;
  const Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<SamResult> results(images.size());
  std::vector<float> pixels;
  for (size_t i = 0; i < images.size(); ++i) {
    SamResult& r = results[i];
    if (!boxes[i]) continue;  // no prompt: nothing to decode or run
    try {
      const cv::Mat bgr = LoadBgr(images[i]);
      r.width = bgr.cols;
      r.height = bgr.rows;
      r.prompted = true;
      const cv::Size resized = EncoderInput(bgr, S, pixels);

      const int64_t inShape[4] = {1, 3, S, S};
      std::vector<Ort::Value> encIn;
      encIn.push_back(Ort::Value::CreateTensor<float>(mem, pixels.data(), pixels.size(), inShape, 4));
      std::vector<Ort::Value> encOut = encoder.Run({sig.encoderInput}, encIn);
      const int embIndex = IndexByName(encoder.info().outputs, sig.encoderOutput);
      Ort::Value embedding = std::move(encOut[embIndex]);

      // Box corners in the resized frame, per axis as the official predictor does.
      const Box& b = *boxes[i];
      const float fx = float(resized.width) / bgr.cols, fy = float(resized.height) / bgr.rows;
      std::vector<float> coords{b.x1 * fx, b.y1 * fy, b.x2 * fx, b.y2 * fy};
      std::vector<float> labels{2.f, 3.f};
      if (cfg.padPoint) {
        coords.insert(coords.end(), {0.f, 0.f});
        labels.push_back(-1.f);
      }
      const int64_t n = int64_t(labels.size());
      std::vector<float> maskInput(size_t(sig.maskInputH) * sig.maskInputW, 0.f);
      float hasMask = 0.f;
      float origSize[2] = {float(bgr.rows), float(bgr.cols)};
      const int64_t coordShape[3] = {1, n, 2}, labelShape[2] = {1, n},
                    maskShape[4] = {1, 1, sig.maskInputH, sig.maskInputW}, oneShape[1] = {1}, twoShape[1] = {2};

      std::vector<std::string> names;
      std::vector<Ort::Value> feeds;
      names.push_back("image_embeddings");
      feeds.push_back(std::move(embedding));
      names.push_back("point_coords");
      feeds.push_back(Ort::Value::CreateTensor<float>(mem, coords.data(), coords.size(), coordShape, 3));
      names.push_back("point_labels");
      feeds.push_back(Ort::Value::CreateTensor<float>(mem, labels.data(), labels.size(), labelShape, 2));
      names.push_back("mask_input");
      feeds.push_back(Ort::Value::CreateTensor<float>(mem, maskInput.data(), maskInput.size(), maskShape, 4));
      names.push_back("has_mask_input");
      feeds.push_back(Ort::Value::CreateTensor<float>(mem, &hasMask, 1, oneShape, 1));
      names.push_back("orig_im_size");
      feeds.push_back(Ort::Value::CreateTensor<float>(mem, origSize, 2, twoShape, 1));
      std::vector<Ort::Value> out = decoder.Run(names, feeds);

      Ort::Value& masks = out[sig.masksOutput];
      Ort::Value& ious = out[sig.iouOutput];
      if (masks.GetTensorTypeAndShapeInfo().GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT ||
          ious.GetTensorTypeAndShapeInfo().GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
        throw Error(code::kOutputLayout, "SAM decoder outputs must be float32");
      const std::vector<int64_t> md = masks.GetTensorTypeAndShapeInfo().GetShape();
      const size_t k = ious.GetTensorTypeAndShapeInfo().GetElementCount();
      if (md.size() != 4 || md[0] != 1 || md[2] != bgr.rows || md[3] != bgr.cols || md[1] < 1 ||
          size_t(md[1]) != k)
        throw Error(code::kOutputLayout, "SAM decoder masks must be [1, k, H, W] at the image size, with k "
                                         "iou_predictions");
      const float* iou = ious.GetTensorData<float>();
      int best = 0;
      for (size_t m = 1; m < k; ++m)
        if (iou[m] > iou[best]) best = int(m);
      if (!std::isfinite(iou[best])) throw Error(code::kNanOutput, "SAM iou_predictions hold NaN or infinite values");
      r.maskIndex = best;
      r.iouPrediction = iou[best];
      const float* logits = masks.GetTensorData<float>() + size_t(best) * bgr.rows * bgr.cols;
      const cv::Mat chosen(bgr.rows, bgr.cols, CV_32F, const_cast<float*>(logits));
      cv::Mat bin;
      cv::compare(chosen, cfg.maskThreshold, bin, cv::CMP_GT);
      r.quad = roi::MaskToQuad(bin);
    } catch (const Error& e) {
      r.error = {e.code(), e.what()};
    } catch (const Ort::Exception& e) {
      r.error = {code::kInference, e.what()};
    } catch (const cv::Exception& e) {
      r.error = {code::kInternal, std::string("image processing failed: ") + e.what()};
    }
  }
  return results;
}

}  // namespace di
