#include "percept/tasks/depth/depth_task.hpp"

#include <spdlog/spdlog.h>

#include "../image_task.hpp"

namespace percept {

void depth_to_frame(const float* out, int out_w, int out_h, const LetterboxParams& p,
                    DepthUnit unit, DepthMap& map, PlaneResampler& resampler) {
  map.width = p.src_w;
  map.height = p.src_h;
  map.unit = unit;
  map.values.resize(static_cast<size_t>(p.src_w) * p.src_h);
  resample_bilinear(out, out_w, out_h, output_region(p, out_w, out_h), map.values.data(), p.src_w,
                    p.src_h, resampler);
}

namespace {

class DepthTask final : public ImageTask {
 public:
  DepthTask(const TaskContext& ctx, const ModelConventions& c)
      : ImageTask(ctx, c, ResizeMode::keep_aspect,
                  make_normalize(c, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true),
                  "depth") {
    const TensorInfo& out = backend_.outputs()[0];
    const bool rank_ok = out.shape.size() == 3 ||
                         (out.shape.size() == 4 && (out.shape[1] == 1 || out.shape[1] == -1));
    if (out.dtype != DType::f32 || !rank_ok)
      throw Error(ErrorCode::model, model() + ": output '" + out.name + "' is " +
                                        dtype_name(out.dtype) + " " + shape_str(out.shape) +
                                        "; the depth task reads float32 [B, H, W] or [B, 1, H, W]");
    unit_ = c.depth_unit && *c.depth_unit == "m" ? DepthUnit::metres : DepthUnit::relative;
    description_ = "depth: " + input_.describe() + ", output " + depth_unit_name(unit_) + " (" +
                   c.origin("depth_unit") + ")";
    if (!c.depth_unit)
      spdlog::info(
          "{}: no depth_unit in config, sidecar or metadata; the output is taken as relative "
          "inverse depth (set depth_unit: m for a metric model)",
          model());
  }

  bool metric_depth() const override { return unit_ == DepthUnit::metres; }

 protected:
  Status read_output(const TensorView& o, std::span<const LetterboxParams> params,
                     std::span<ModelOutput> outputs) override {
    if (o.dtype != DType::f32 || !(o.shape.size() == 3 || (o.shape.size() == 4 && o.shape[1] == 1)))
      return output_error(o, "float32 [B, H, W] or [B, 1, H, W]");
    const int oh = static_cast<int>(o.shape[o.shape.size() - 2]);
    const int ow = static_cast<int>(o.shape[o.shape.size() - 1]);
    for (size_t i = 0; i < outputs.size(); ++i)
      depth_to_frame(o.as<float>() + i * static_cast<size_t>(ow) * oh, ow, oh, params[i], unit_,
                     outputs[i].depth, resampler_);
    return {};
  }

 private:
  DepthUnit unit_ = DepthUnit::relative;
  PlaneResampler resampler_;
};

}  // namespace

std::unique_ptr<Task> make_depth_task(const TaskContext& ctx, const TaskConfig&,
                                      const ModelConventions& conventions) {
  return std::make_unique<DepthTask>(ctx, conventions);
}

}  // namespace percept
