#include "infer/segmenter.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace di {

SegOutputs ResolveSegOutputs(const ModelInfo& info) {
  SegOutputs s;
  for (size_t i = 0; i < info.outputs.size(); ++i) {
    const size_t rank = info.outputs[i].shape.size();
    if (rank == 3 && s.detections < 0) s.detections = int(i);
    if (rank == 4 && s.protos < 0) s.protos = int(i);
  }
  if (s.detections < 0 || s.protos < 0)
    throw Error(code::kOutputLayout,
                "a YOLO-seg model has a detection output [batch, a, b] and a prototype output [batch, masks, h, w]; "
                "this model's outputs do not include both");
  for (int idx : {s.detections, s.protos})
    if (info.outputs[idx].type != "float32")
      throw Error(code::kOutputLayout, "segmenter output '" + info.outputs[idx].name + "' must be float32");
  return s;
}

cv::Mat DetectionMask(const float* protos, int M, int ph, int pw, const float* coeffs, int64_t coeffStride,
                      const Box& b, int inputH, int inputW, const LetterboxMap& map, float threshold) {
  const float sx = float(pw) / float(inputW), sy = float(ph) / float(inputH);
  cv::Mat logits(ph, pw, CV_32F, cv::Scalar(0));
  const size_t plane = size_t(ph) * pw;
  for (int m = 0; m < M; ++m) {
    const float c = coeffs[m * coeffStride];
    if (c == 0.f) continue;
    cv::Mat p(ph, pw, CV_32F, const_cast<float*>(protos + m * plane));
    cv::scaleAdd(p, c, logits, logits);
  }
  cv::Mat prob;
  cv::exp(-logits, prob);
  prob = 1.f / (1.f + prob);
  // proto cell -> model input -> original pixels, continuous coordinates.
  const cv::Matx33d toSrc(1.0 / (sx * map.scaleX), 0, -map.padX / map.scaleX,  //
                          0, 1.0 / (sy * map.scaleY), -map.padY / map.scaleY,   //
                          0, 0, 1);
  const cv::Matx33d idx = ToIndexSpace(toSrc);
  const cv::Matx23d affine(idx(0, 0), idx(0, 1), idx(0, 2), idx(1, 0), idx(1, 1), idx(1, 2));
  cv::Mat warped;
  cv::warpAffine(prob, warped, affine, cv::Size(map.srcWidth, map.srcHeight), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0));
  // Crop to the box in image pixels rather than proto cells, so the box edge is
  // not rounded to the proto stride: keep pixels whose centre lies in the box.
  auto first = [](float edge, int n) { return std::clamp(int(std::ceil(edge - 0.5f)), 0, n); };
  const int x0 = first(map.ToSrcX(b.x1), map.srcWidth), x1 = first(map.ToSrcX(b.x2), map.srcWidth);
  const int y0 = first(map.ToSrcY(b.y1), map.srcHeight), y1 = first(map.ToSrcY(b.y2), map.srcHeight);
  cv::Mat cropped(warped.size(), CV_32F, cv::Scalar(0));
  if (x1 > x0 && y1 > y0) {
    const cv::Rect keep(x0, y0, x1 - x0, y1 - y0);
    warped(keep).copyTo(cropped(keep));
  }
  cv::Mat mask;
  cv::compare(cropped, threshold, mask, cv::CMP_GT);
  return mask;
}

std::vector<SegmentResult> SegmentBatch(InferenceSession& session, const std::vector<ImageSource>& images,
                                        const SegmentConfig& seg) {
  const DetectConfig& cfg = seg.detect;
  const ImageInputSpec input = ResolveImageInput(session.info(), cfg.imgszHeight, cfg.imgszWidth, cfg.stride);
  const SegOutputs which = ResolveSegOutputs(session.info());
  // Static shapes are checked up front so a wrong model fails the call, not each image.
  const auto& pd = session.info().outputs[which.protos].shape;
  const auto& od = session.info().outputs[which.detections].shape;
  if (pd[1] > 0 && od[1] > 0 && od[2] > 0) ResolveYoloShape({1, od[1], od[2]}, cfg.layout, cfg.numClasses, pd[1]);

  DecodeParams decode = cfg.decode;
  // With a package class, rows whose best class is another one must still count.
  if (seg.classId >= 0) decode.multiLabel = true;

  std::vector<PreparedImage> prepared;
  std::vector<SegmentResult> results(images.size());
  RunImageBatches(
      session, input, cfg.preprocess, images, cfg.maxBatch, prepared,
      [&](const std::vector<size_t>& slots, std::vector<Ort::Value>& outputs) {
        Ort::Value& det = outputs[which.detections];
        Ort::Value& pro = outputs[which.protos];
        const std::vector<int64_t> dd = det.GetTensorTypeAndShapeInfo().GetShape();
        const std::vector<int64_t> pdims = pro.GetTensorTypeAndShapeInfo().GetShape();
        if (pdims.size() != 4 || pdims[1] < 1 || pdims[2] < 1 || pdims[3] < 1)
          throw Error(code::kOutputLayout, "prototype output must be [batch, masks, h, w]");
        const YoloShape shape = ResolveYoloShape(dd, cfg.layout, cfg.numClasses, pdims[1]);
        if (dd[0] < int64_t(slots.size()) || pdims[0] < int64_t(slots.size()))
          throw Error(code::kOutputLayout, "segmenter output batch is smaller than the input batch");
        const int M = int(pdims[1]), ph = int(pdims[2]), pw = int(pdims[3]);
        const size_t perDet = size_t(dd[1] * dd[2]), perProto = size_t(M) * ph * pw;
        const float* detData = det.GetTensorData<float>();
        const float* protoData = pro.GetTensorData<float>();
        for (size_t s = 0; s < slots.size(); ++s) {
          SegmentResult& r = results[slots[s]];
          const float* out = detData + s * perDet;
          std::vector<Candidate> cands;
          if (!DecodeYolo(out, shape, decode, cands)) {
            r.error = {code::kNanOutput, "model output holds NaN or infinite values for this image"};
            continue;
          }
          if (seg.classId >= 0)
            cands.erase(std::remove_if(cands.begin(), cands.end(),
                                       [&](const Candidate& c) { return c.classId != seg.classId; }),
                        cands.end());
          std::vector<Candidate> kept = Nms(cands, cfg.nms);
          if (kept.empty()) continue;
          const Candidate best = kept.front();  // model-space box, highest score
          const float* coeffs;
          int64_t coeffStride;
          if (shape.layout == YoloLayout::kAnchorBased) {
            coeffs = out + best.index * dd[2] + 5 + shape.numClasses;
            coeffStride = 1;
          } else {
            coeffs = out + (4 + shape.numClasses) * shape.numBoxes + best.index;
            coeffStride = shape.numBoxes;
          }
          const LetterboxMap& map = prepared[slots[s]].map;
          const cv::Mat mask = DetectionMask(protoData + s * perProto, M, ph, pw, coeffs, coeffStride, best.box,
                                             input.height, input.width, map, seg.maskThreshold);
          r.quad = roi::MaskToQuad(mask);
          std::vector<Candidate> one{best};
          r.detection = FinishDetections(one, map, NmsParams{})[0];
        }
      });
  MergePrepared(prepared, results);
  return results;
}

}  // namespace di
