// Feeds a list of images through an image-input model in batches: decode and
// preprocess in parallel straight into the input tensor, run, hand the outputs
// to the caller. Batch k+1 is prepared while batch k runs. One image's failure
// (missing file, corrupt bytes) only marks that image.
#pragma once

#include <functional>
#include <type_traits>
#include <vector>

#include "core/image.h"
#include "core/preprocess.h"
#include "infer/session.h"
#include "util/error.h"

namespace di {

struct ImageInputSpec {
  std::string name;
  int fixedBatch = 0;  // 0: dynamic batch dimension
  int height = 0, width = 0;
};

// Validates the model's first input as [B, 3, H, W] float32; dynamic H/W take the
// requested size rounded up to `stride`. Throws ERR_MODEL_INPUT.
ImageInputSpec ResolveImageInput(const ModelInfo& info, int requestedHeight, int requestedWidth, int stride);

struct PreparedImage {
  ItemError error;
  LetterboxMap map;
  cv::Size original;          // the image's full size (map.src* is the region's)
  Registration registration;  // set for a reference pair loaded with align
  std::string warning;        // what the decoder let pass (failOn 'error')
};

// Throws ERR_OUTPUT_LAYOUT unless the model has output `index`, a float32 tensor.
void CheckOutputIndex(const ModelInfo& info, int index, const char* role);

// Decodes and preprocesses one image into `dst` (3 x spec.height x spec.width floats);
// a failure (missing file, corrupt bytes) is recorded in p.error, not thrown.
void PrepareImage(const ImageSource& src, const PreprocessSpec& spec, float* dst, PreparedImage& p);

// Runs `count` inputs, each written by fill(i, dst) (3 x H x W floats), in batches of
// maxBatch (the model's fixed batch, padded, when it has one); handle(first, n, outputs)
// gets inputs [first, first + n). For inputs that are not plain images (masked copies).
using InputFiller = std::function<void(size_t i, float* dst)>;
using OutputHandler = std::function<void(size_t first, size_t n, std::vector<Ort::Value>& outputs)>;
void RunInputs(InferenceSession& session, const ImageInputSpec& input, size_t count, int maxBatch, const InputFiller& fill,
               const OutputHandler& handle);

// slots[i] = index (into the caller's image list) of the image in batch slot i;
// slots beyond the valid images are padding and not listed.
using BatchHandler = std::function<void(const std::vector<size_t>& slots, std::vector<Ort::Value>& outputs)>;

// Copies what preparation learnt into per-image results (which need `error`,
// `width`, `height`; `registration` where they have one): the original size,
// a reference's registration, and a decode failure unless the model stage
// already recorded one.
template <class Result>
void MergePrepared(const std::vector<PreparedImage>& prepared, std::vector<Result>& results) {
  for (size_t i = 0; i < results.size() && i < prepared.size(); ++i) {
    if (!prepared[i].error.ok() && results[i].error.ok()) results[i].error = prepared[i].error;
    results[i].width = prepared[i].map.srcWidth;
    results[i].height = prepared[i].map.srcHeight;
    if constexpr (HasRegistration<Result>::value) results[i].registration = prepared[i].registration;
    if constexpr (HasWarning<Result>::value) results[i].warning = prepared[i].warning;
  }
}

void RunImageBatches(InferenceSession& session, const ImageInputSpec& input, const PreprocessSpec& spec,
                     const std::vector<ImageSource>& images, int maxBatch, std::vector<PreparedImage>& prepared,
                     const BatchHandler& handle);

}  // namespace di
