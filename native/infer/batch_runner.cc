#include "infer/batch_runner.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <future>

#include <opencv2/core/utility.hpp>

namespace di {

ImageInputSpec ResolveImageInput(const ModelInfo& info, int reqH, int reqW, int stride) {
  if (info.inputs.empty()) throw Error(code::kModelInput, "model has no inputs");
  const TensorInfo& in = info.inputs[0];
  if (in.type != "float32")
    throw Error(code::kModelInput, "model input '" + in.name + "' is " + in.type + "; float32 image input expected");
  if (in.shape.size() != 4)
    throw Error(code::kModelInput, "model input '" + in.name + "' has rank " + std::to_string(in.shape.size()) +
                                       "; an image model takes [batch, 3, height, width]");
  if (in.shape[1] != 3 && in.shape[1] != -1)
    throw Error(code::kModelInput, "model input '" + in.name + "' has " + std::to_string(in.shape[1]) +
                                       " channels; 3 (RGB) expected");
  // Checked before the stride rounding, which could overflow, and after it.
  const auto tooBig = [&](int64_t w, int64_t h) {
    return Error(code::kInvalidArg, "input size " + std::to_string(w) + "x" + std::to_string(h) + " is over " +
                                        std::to_string(kMaxInputSide) + " px a side");
  };
  if (stride > kMaxInputSide)
    throw Error(code::kInvalidArg, "stride " + std::to_string(stride) + " is over " + std::to_string(kMaxInputSide));
  if (reqH > kMaxInputSide || reqW > kMaxInputSide) throw tooBig(reqW, reqH);
  ImageInputSpec s;
  s.name = in.name;
  s.fixedBatch = in.shape[0] > 0 ? static_cast<int>(in.shape[0]) : 0;
  s.height = in.shape[2] > 0 ? static_cast<int>(std::min<int64_t>(in.shape[2], INT32_MAX)) : AlignToStride(reqH > 0 ? reqH : 640, stride);
  s.width = in.shape[3] > 0 ? static_cast<int>(std::min<int64_t>(in.shape[3], INT32_MAX)) : AlignToStride(reqW > 0 ? reqW : 640, stride);
  if (s.height > kMaxInputSide || s.width > kMaxInputSide) throw tooBig(s.width, s.height);
  return s;
}

void CheckOutputIndex(const ModelInfo& info, int index, const char* role) {
  const auto& outs = info.outputs;
  if (index < 0 || index >= static_cast<int>(outs.size()))
    throw Error(code::kOutputLayout, "model has " + std::to_string(outs.size()) + " outputs; output " + std::to_string(index) +
                                         " requested");
  if (outs[index].type != "float32")
    throw Error(code::kOutputLayout, std::string(role) + " output '" + outs[index].name + "' must be a float32 tensor, not " +
                                         outs[index].type);
}

void PrepareImage(const ImageSource& src, const PreprocessSpec& spec, float* dst, PreparedImage& p) {
  try {
    const cv::Mat bgr = LoadBgrForTarget(src, spec.width, spec.height, &p.original, &p.registration, &p.warning);
    p.map = PreprocessInto(bgr, spec, dst, p.original);
  } catch (const Error& e) {
    p.error = {e.code(), e.what()};
  } catch (const cv::Exception& e) {
    p.error = {code::kImageDecode, std::string("image processing failed: ") + e.what()};
  } catch (const std::bad_alloc&) {
    p.error = {code::kImageDecode, "image too large to process"};
  }
}

void RunInputs(InferenceSession& session, const ImageInputSpec& input, size_t count, int maxBatch, const InputFiller& fill,
               const OutputHandler& handle) {
  const size_t per = static_cast<size_t>(3) * input.height * input.width;
  const size_t step = input.fixedBatch > 0 ? input.fixedBatch : std::max(1, maxBatch);
  if (InputTensorBytes(double(std::min(step, count)), input.height, input.width) > kMaxInputTensorBytes)
    throw Error(code::kInvalidArg, "a batch of this size is over the input tensor limit: lower maxBatch");
  for (size_t first = 0; first < count; first += step) {
    const size_t n = std::min(step, count - first);
    const int batch = input.fixedBatch > 0 ? input.fixedBatch : static_cast<int>(n);
    InferenceSession::HostBuffer buf = session.AllocateInput(static_cast<size_t>(batch) * per);
    for (size_t k = 0; k < n; ++k) fill(first + k, buf.data.get() + k * per);
    std::fill(buf.data.get() + n * per, buf.data.get() + batch * per, 0.f);
    const std::vector<int64_t> shape{batch, 3, input.height, input.width};
    std::vector<Ort::Value> feeds;
    feeds.push_back(Ort::Value::CreateTensor<float>(buf.info, buf.data.get(), batch * per, shape.data(), shape.size()));
    std::vector<Ort::Value> outputs = session.Run({input.name}, feeds);
    handle(first, n, outputs);
  }
}

namespace {

struct Chunk {
  std::vector<size_t> slots;  // image index per filled slot
  InferenceSession::HostBuffer tensor;  // batch x 3 x H x W floats, the images in slot order
  int batch = 0;  // tensor batch dimension (>= slots.size() when padded)
};

// Decodes and preprocesses images [first, last) straight into the batch's input
// memory (pinned where the session has it): no copy between preparing and running
// unless an image fails, and then only a move down within the buffer.
Chunk Prepare(InferenceSession& session, const ImageInputSpec& input, const PreprocessSpec& spec,
              const std::vector<ImageSource>& images, size_t first, size_t last, std::vector<PreparedImage>& prepared) {
  const size_t n = last - first;
  const size_t per = static_cast<size_t>(3) * input.height * input.width;
  Chunk c;
  c.tensor = session.AllocateInput(std::max(n, static_cast<size_t>(std::max(0, input.fixedBatch))) * per);
  float* data = c.tensor.data.get();
  cv::parallel_for_(cv::Range(0, static_cast<int>(n)), [&](const cv::Range& r) {
    for (int k = r.start; k < r.end; ++k) {
      PrepareImage(images[first + k], spec, data + k * per, prepared[first + k]);
    }
  });
  for (size_t k = 0; k < n; ++k)
    if (prepared[first + k].error.ok()) c.slots.push_back(first + k);
  // Slots are ascending, so each image moves down (or stays): a forward pass is safe.
  for (size_t s = 0; s < c.slots.size(); ++s) {
    const size_t from = c.slots[s] - first;
    if (from != s) std::memmove(data + s * per, data + from * per, per * sizeof(float));
  }
  c.batch = input.fixedBatch > 0 ? input.fixedBatch : static_cast<int>(c.slots.size());
  std::fill(data + c.slots.size() * per, data + static_cast<size_t>(c.batch) * per, 0.f);  // padding of a fixed batch
  return c;
}

}  // namespace

void RunImageBatches(InferenceSession& session, const ImageInputSpec& input, const PreprocessSpec& specIn,
                     const std::vector<ImageSource>& images, int maxBatch, std::vector<PreparedImage>& prepared,
                     const BatchHandler& handle) {
  PreprocessSpec spec = specIn;
  spec.width = input.width;
  spec.height = input.height;
  prepared.assign(images.size(), PreparedImage{});
  const size_t step = input.fixedBatch > 0 ? input.fixedBatch : std::max(1, maxBatch);
  // Two batches' tensors are alive at once (one running, one being prepared). Refuse a
  // size that could not be served, rather than let the allocation take the process down.
  const double bytes = InputTensorBytes(double(std::min(step, images.size())), input.height, input.width);
  if (bytes > kMaxInputTensorBytes) {
    char text[200];
    std::snprintf(text, sizeof text, "a batch of %zu at %dx%d is a %.1f GiB input tensor, over the %.0f GiB allowed: "
                  "lower maxBatch or the input size", std::min(step, images.size()), input.width, input.height,
                  bytes / (1ull << 30), kMaxInputTensorBytes / (1ull << 30));
    throw Error(code::kInvalidArg, text);
  }
  auto launch = [&](size_t first) {
    const size_t last = std::min(images.size(), first + step);
    return std::async(std::launch::async, Prepare, std::ref(session), std::cref(input), std::cref(spec), std::cref(images),
                      first, last, std::ref(prepared));
  };
  if (images.empty()) return;
  std::future<Chunk> next = launch(0);
  for (size_t first = 0; first < images.size(); first += step) {
    Chunk chunk = next.get();
    if (first + step < images.size()) next = launch(first + step);  // overlap with this run
    if (chunk.slots.empty()) continue;
    const std::vector<int64_t> shape{chunk.batch, 3, input.height, input.width};
    std::vector<Ort::Value> feeds;
    const size_t count = static_cast<size_t>(chunk.batch) * 3 * input.height * input.width;
    feeds.push_back(Ort::Value::CreateTensor<float>(chunk.tensor.info, chunk.tensor.data.get(), count, shape.data(),
                                                    shape.size()));
    try {
      std::vector<Ort::Value> outputs = session.Run({input.name}, feeds);
      handle(chunk.slots, outputs);
    } catch (const Error& e) {
      for (size_t idx : chunk.slots) prepared[idx].error = {e.code(), e.what()};
    } catch (const Ort::Exception& e) {
      for (size_t idx : chunk.slots) prepared[idx].error = {code::kInference, e.what()};
    }
  }
}

}  // namespace di
