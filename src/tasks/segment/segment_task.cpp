#include "percept/tasks/segment/segment_task.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "../image_task.hpp"

namespace percept {

void segmentation_to_frame(const float* logits, int classes, int out_w, int out_h,
                           const LetterboxParams& p, float mask_threshold, SegmentationMap& map) {
  map.width = p.src_w;
  map.height = p.src_h;
  map.classes.resize(static_cast<size_t>(p.src_w) * p.src_h);
  const int n_classes = classes == 1 ? 2 : classes;
  std::array<uint64_t, 256> counts{};  // on the stack: the frame path does not allocate
  const OutputRegion r = output_region(p, out_w, out_h);
  const Axis ax = region_axis(r.x0, r.w, p.src_w, out_w);
  const Axis ay = region_axis(r.y0, r.h, p.src_h, out_h);
  const size_t plane = static_cast<size_t>(out_w) * out_h;
  // sigmoid(x) > t  <=>  x > logit(t): no exp per pixel.
  const float t = std::clamp(mask_threshold, 1e-6f, 1.f - 1e-6f);
  const float logit_threshold = std::log(t / (1.f - t));
  for (int y = 0; y < p.src_h; ++y) {
    const Tap ty = bilinear_tap(y, ay);
    const size_t o0 = static_cast<size_t>(ty.i0) * out_w, o1 = static_cast<size_t>(ty.i1) * out_w;
    uint8_t* row = map.classes.data() + static_cast<size_t>(y) * p.src_w;
    for (int x = 0; x < p.src_w; ++x) {
      const Tap tx = bilinear_tap(x, ax);
      auto sample = [&](const float* c) {
        const float top = c[o0 + tx.i0] + (c[o0 + tx.i1] - c[o0 + tx.i0]) * tx.w1;
        const float bot = c[o1 + tx.i0] + (c[o1 + tx.i1] - c[o1 + tx.i0]) * tx.w1;
        return top + (bot - top) * ty.w1;
      };
      int best = 0;
      if (classes == 1) {
        best = sample(logits) > logit_threshold ? 1 : 0;
      } else {
        float best_v = sample(logits);
        for (int c = 1; c < classes; ++c) {
          const float v = sample(logits + static_cast<size_t>(c) * plane);
          if (v > best_v) {
            best_v = v;
            best = c;
          }
        }
      }
      row[x] = static_cast<uint8_t>(best);
      ++counts[static_cast<size_t>(best)];
    }
  }
  map.fractions.resize(static_cast<size_t>(n_classes));
  const double total = static_cast<double>(map.classes.size());
  for (size_t c = 0; c < map.fractions.size(); ++c)
    map.fractions[c] = total > 0 ? static_cast<float>(static_cast<double>(counts[c]) / total) : 0.f;
}

namespace {

class SegmentTask final : public ImageTask {
 public:
  SegmentTask(std::unique_ptr<Backend> backend, const ModelConventions& c, float threshold)
      : ImageTask(std::move(backend), c, ResizeMode::stretch,
                  make_normalize(c, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true),
                  "segment"),
        threshold_(threshold) {
    const TensorInfo& out = backend_->outputs()[0];
    if (out.dtype != DType::f32 || out.shape.size() != 4)
      throw Error(model() + ": output '" + out.name + "' is " + dtype_name(out.dtype) + " " +
                  shape_str(out.shape) + "; the segment task reads float32 [B, C, H, W] logits");
    if (out.shape[1] > 256)
      throw Error(model() + ": output '" + out.name + "' has " + std::to_string(out.shape[1]) +
                  " classes; percept's class maps hold at most 256");
    if (c.labels) labels_ = *c.labels;
    if (labels_.empty() && out.shape[1] == 1) labels_ = {"background", "foreground"};
    description_ = "segment: " + input_.describe() + ", " +
                   (out.shape[1] > 0 ? std::to_string(out.shape[1]) : std::string("?")) +
                   " classes, labels " + c.origin("labels");
  }

  TaskKind kind() const override { return TaskKind::segment; }

 protected:
  Status read_output(const TensorView& o, std::span<const LetterboxParams> params,
                     std::span<TaskOutput> outputs) override {
    if (o.dtype != DType::f32 || o.shape.size() != 4 || o.shape[1] < 1 || o.shape[1] > 256)
      return output_error(o, "float32 [B, C, H, W] with 1 <= C <= 256");
    const int classes = static_cast<int>(o.shape[1]);
    const int oh = static_cast<int>(o.shape[2]);
    const int ow = static_cast<int>(o.shape[3]);
    const size_t per_image = static_cast<size_t>(classes) * ow * oh;
    for (size_t i = 0; i < outputs.size(); ++i)
      segmentation_to_frame(o.as<float>() + i * per_image, classes, ow, oh, params[i], threshold_,
                            outputs[i].segmentation);
    return {};
  }

 private:
  float threshold_ = 0.5f;
};

}  // namespace

std::unique_ptr<Task> make_segment_task(std::unique_ptr<Backend> backend,
                                        const ModelConventions& conventions, float mask_threshold) {
  return std::make_unique<SegmentTask>(std::move(backend), conventions, mask_threshold);
}

}  // namespace percept
