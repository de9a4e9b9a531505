// The async jobs the Session object starts; one baton-holding worker each,
// defined in its own *_job.cc.
#pragma once

#include <napi.h>

#include <memory>

#include "infer/classifier.h"
#include "infer/detector.h"
#include "infer/session.h"

namespace di::binding {

using SessionPtr = std::shared_ptr<InferenceSession>;

// session.detect(images, options)
Napi::Value StartDetect(const Napi::CallbackInfo& info, SessionPtr session);
// session.segment(images, options): YOLO-seg package masks -> quads
Napi::Value StartSegment(const Napi::CallbackInfo& info, SessionPtr session);
// Detection options shared by detect and segment (conf, iou, layout, imgsz, ...).
DetectConfig ParseDetectConfig(const Napi::Object& o);
// session.classify(images, options)
Napi::Value StartClassify(const Napi::CallbackInfo& info, SessionPtr session);
// Classification options shared by classify and explainClassify (size, scores, region, ...).
ClassifyConfig ParseClassifyConfig(const Napi::Object& o);
// session.explainClassify / explainDetect(images, options): saliency maps
Napi::Value StartExplainClassify(const Napi::CallbackInfo& info, SessionPtr session);
Napi::Value StartExplainDetect(const Napi::CallbackInfo& info, SessionPtr session);
// session.run({name: {data, dims}}) -> {name: {data, dims, type}}
Napi::Value StartRun(const Napi::CallbackInfo& info, SessionPtr session);
// session.benchmark({batch, warmup, iters, height, width}) -> per-iteration ms
Napi::Value StartBenchmark(const Napi::CallbackInfo& info, SessionPtr session);

}  // namespace di::binding
