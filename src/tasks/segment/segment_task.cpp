#include "percept/tasks/segment/segment_task.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "../image_task.hpp"
#include "percept/core/simd.hpp"

namespace percept {

namespace {

// One class's row into the running argmax: where v > best, best = v and cls = id. Same-width
// lanes (float, int32) and no aliasing, so this becomes compare + blend vectors.
PERCEPT_VECTOR_CLONES
void argmax_step(const float* __restrict v, float* __restrict best, int32_t* __restrict cls,
                 int32_t id, int n) {
  for (int x = 0; x < n; ++x) {
    const bool more = v[x] > best[x];
    best[x] = more ? v[x] : best[x];
    cls[x] = more ? id : cls[x];
  }
}

}  // namespace

void segmentation_to_frame(const float* logits, int classes, int out_w, int out_h,
                           const LetterboxParams& p, float mask_threshold, SegmentationMap& map,
                           SegmentScratch& scratch) {
  const int w = p.src_w, h = p.src_h;
  map.width = w;
  map.height = h;
  map.classes.resize(static_cast<size_t>(w) * h);
  const int n_classes = classes == 1 ? 2 : classes;
  std::array<uint64_t, 256> counts{};  // on the stack: the frame path does not allocate
  PlaneResampler& rs = scratch.resampler;
  rs.configure(out_w, out_h, output_region(p, out_w, out_h), w, h, classes);
  scratch.best.resize(static_cast<size_t>(w));
  scratch.ids.resize(static_cast<size_t>(w));
  float* best = scratch.best.data();
  int32_t* ids = scratch.ids.data();
  const size_t plane = static_cast<size_t>(out_w) * out_h;
  // sigmoid(x) > t  <=>  x > logit(t): no exp per pixel.
  const float t = std::clamp(mask_threshold, 1e-6f, 1.f - 1e-6f);
  const float logit_threshold = std::log(t / (1.f - t));
  for (int y = 0; y < h; ++y) {
    uint8_t* cls = map.classes.data() + static_cast<size_t>(y) * w;
    if (classes == 1) {
      const float* v = rs.row(logits, 0, y);
      for (int x = 0; x < w; ++x) cls[x] = v[x] > logit_threshold ? 1 : 0;
    } else {
      rs.row(logits, 0, y, best);
      std::fill(ids, ids + w, 0);
      for (int c = 1; c < classes; ++c)
        argmax_step(rs.row(logits + static_cast<size_t>(c) * plane, c, y), best, ids, c, w);
      for (int x = 0; x < w; ++x) cls[x] = static_cast<uint8_t>(ids[x]);
    }
    for (int x = 0; x < w; ++x) ++counts[cls[x]];
  }
  map.fractions.resize(static_cast<size_t>(n_classes));
  const double total = static_cast<double>(map.classes.size());
  for (size_t c = 0; c < map.fractions.size(); ++c)
    map.fractions[c] = total > 0 ? static_cast<float>(static_cast<double>(counts[c]) / total) : 0.f;
}

namespace {

class SegmentTask final : public ImageTask {
 public:
  SegmentTask(const TaskContext& ctx, const ModelConventions& c, float threshold)
      : ImageTask(ctx, c, ResizeMode::stretch,
                  make_normalize(c, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true),
                  "segment"),
        threshold_(threshold) {
    const TensorInfo& out = backend_.outputs()[0];
    if (out.dtype != DType::f32 || out.shape.size() != 4)
      throw Error(ErrorCode::model, model() + ": output '" + out.name + "' is " +
                                        dtype_name(out.dtype) + " " + shape_str(out.shape) +
                                        "; the segment task reads float32 [B, C, H, W] logits");
    if (out.shape[1] > 256)
      throw Error(ErrorCode::model, model() + ": output '" + out.name + "' has " +
                                        std::to_string(out.shape[1]) +
                                        " classes; percept's class maps hold at most 256");
    if (c.labels) labels_ = *c.labels;
    if (labels_.empty() && out.shape[1] == 1) labels_ = {"background", "foreground"};
    description_ = "segment: " + input_.describe() + ", " +
                   (out.shape[1] > 0 ? std::to_string(out.shape[1]) : std::string("?")) +
                   " classes, labels " + c.origin("labels");
  }

 protected:
  Status read_output(const TensorView& o, std::span<const LetterboxParams> params,
                     std::span<ModelOutput> outputs) override {
    if (o.dtype != DType::f32 || o.shape.size() != 4 || o.shape[1] < 1 || o.shape[1] > 256)
      return output_error(o, "float32 [B, C, H, W] with 1 <= C <= 256");
    const int classes = static_cast<int>(o.shape[1]);
    const int oh = static_cast<int>(o.shape[2]);
    const int ow = static_cast<int>(o.shape[3]);
    const size_t per_image = static_cast<size_t>(classes) * ow * oh;
    for (size_t i = 0; i < outputs.size(); ++i)
      segmentation_to_frame(o.as<float>() + i * per_image, classes, ow, oh, params[i], threshold_,
                            outputs[i].segmentation, scratch_);
    return {};
  }

 private:
  float threshold_ = 0.5f;
  SegmentScratch scratch_;
};

}  // namespace

std::unique_ptr<Task> make_segment_task(const TaskContext& ctx, const TaskConfig& config,
                                        const ModelConventions& conventions) {
  return std::make_unique<SegmentTask>(ctx, conventions, config.mask_threshold);
}

}  // namespace percept
