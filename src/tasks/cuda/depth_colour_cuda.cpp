#include "percept/tasks/cuda/depth_colour_cuda.hpp"

#include <string>

#include "depth_colour_kernel.hpp"
#include "percept/gpu/cuda.hpp"

namespace percept {

Status colorize_depth_cuda_validate(const float* depth, int width, int height, const void* scratch,
                                    const uint8_t* bgr, size_t bgr_stride) {
  auto fail = [](const std::string& m) {
    return Status(Error(ErrorCode::invalid_argument, "depth colour (cuda): " + m));
  };
  if (!depth || !bgr || !scratch) return fail("null depth map, picture or scratch");
  if (width < 1 || height < 1) return fail("empty depth map");
  if (bgr_stride < static_cast<size_t>(width) * 3)
    return fail("picture rows of " + std::to_string(bgr_stride) + " bytes are shorter than " +
                std::to_string(width) + " BGR pixels");
  return {};
}

Status colorize_depth_cuda(const float* depth, int width, int height, bool metres, void* scratch,
                           uint8_t* bgr, size_t bgr_stride, cudaStream_t stream) {
  if (Status s = colorize_depth_cuda_validate(depth, width, height, scratch, bgr, bgr_stride);
      !s.ok())
    return s;
  auto* range = static_cast<uint32_t*>(scratch);
  // range = {0xffffffff, 0}: the identities of min and max over the keys.
  if (Status s = gpu::check(cudaMemsetAsync(range, 0xff, sizeof(uint32_t), stream),
                            "depth colour: reset range");
      !s.ok())
    return s;
  if (Status s = gpu::check(cudaMemsetAsync(range + 1, 0, sizeof(uint32_t), stream),
                            "depth colour: reset range");
      !s.ok())
    return s;
  const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height);
  if (Status s = gpu::check(cuda_detail::launch_depth_range(depth, n, range, stream),
                            "depth range kernel launch");
      !s.ok())
    return s;
  return gpu::check(cuda_detail::launch_depth_colour(depth, width, height, metres, range, bgr,
                                                     bgr_stride, stream),
                    "depth colour kernel launch");
}

}  // namespace percept
