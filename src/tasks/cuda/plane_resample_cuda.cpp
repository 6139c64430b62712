#include "percept/tasks/cuda/plane_resample_cuda.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "percept/gpu/cuda.hpp"
#include "percept/tasks/image_input.hpp"
#include "plane_resample_kernel.hpp"

namespace percept {

Status plane_resample_validate(const float* planes, int classes, int out_w, int out_h,
                               const LetterboxParams& p, const void* dst) {
  auto fail = [](const std::string& m) {
    return Status(Error(ErrorCode::invalid_argument, "plane resample (cuda): " + m));
  };
  if (!planes || !dst) return fail("null input or output");
  if (classes < 1 || classes > 256)
    return fail(std::to_string(classes) + " planes (1..256 supported)");
  if (out_w < 1 || out_h < 1) return fail("empty output plane");
  if (p.src_w < 1 || p.src_h < 1 || p.dst_w < 1 || p.dst_h < 1 || p.new_w < 1 || p.new_h < 1)
    return fail("empty frame or input geometry");
  return {};
}

PlaneGrid plane_grid(int out_w, int out_h, const LetterboxParams& p) {
  const OutputRegion r = output_region(p, out_w, out_h);
  PlaneGrid g;
  g.w = out_w;
  g.h = out_h;
  g.dst_w = p.src_w;
  g.dst_h = p.src_h;
  g.ax = region_axis(r.x0, r.w, p.src_w, out_w);
  g.ay = region_axis(r.y0, r.h, p.src_h, out_h);
  return g;
}

float mask_logit_threshold(float mask_threshold) {
  // As segmentation_to_frame: sigmoid(x) > t  <=>  x > logit(t).
  const float t = std::clamp(mask_threshold, 1e-6f, 1.f - 1e-6f);
  return std::log(t / (1.f - t));
}

Status depth_to_frame_cuda(const float* out, int out_w, int out_h, const LetterboxParams& p,
                           float* dst, cudaStream_t stream) {
  if (Status s = plane_resample_validate(out, 1, out_w, out_h, p, dst); !s.ok()) return s;
  return gpu::check(
      cuda_detail::launch_depth_resample(out, plane_grid(out_w, out_h, p), dst, stream),
      "depth resample kernel launch");
}

Status segmentation_to_frame_cuda(const float* logits, int classes, int out_w, int out_h,
                                  const LetterboxParams& p, float mask_threshold,
                                  uint8_t* class_map, uint32_t* counts, cudaStream_t stream) {
  if (Status s = plane_resample_validate(logits, classes, out_w, out_h, p, class_map); !s.ok())
    return s;
  const float logit_threshold = mask_logit_threshold(mask_threshold);
  if (counts) {
    const size_t n = static_cast<size_t>(std::max(classes, 2)) * sizeof(uint32_t);
    if (Status s = gpu::check(cudaMemsetAsync(counts, 0, n, stream), "zero class counts"); !s.ok())
      return s;
  }
  return gpu::check(cuda_detail::launch_segment_argmax(logits, classes, plane_grid(out_w, out_h, p),
                                                       logit_threshold, class_map, counts, stream),
                    "segmentation argmax kernel launch");
}

}  // namespace percept
