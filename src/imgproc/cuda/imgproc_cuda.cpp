#include "percept/imgproc/cuda/imgproc_cuda.hpp"

#include <string>

#include "imgproc_kernel.hpp"
#include "percept/gpu/cuda.hpp"

namespace percept {

namespace {

Status fail(const char* what, const std::string& m) {
  return Error(ErrorCode::invalid_argument, std::string(what) + " (cuda): " + m);
}

// Common checks of an 8-bit interleaved source; int indexing in the kernels needs the limit.
Status check_src(const char* what, const ImageView& src) {
  if (!src.data) return fail(what, "null source");
  if (src.width < 1 || src.height < 1) return fail(what, "empty source image");
  if (src.width > 16384 || src.height > 16384)
    return fail(what, "source larger than 16384 pixels on a side");
  if (src.stride < static_cast<size_t>(src.width) * static_cast<size_t>(src.channels()))
    return fail(what, "source stride smaller than a row");
  return {};
}

cuda_detail::Plane8 plane_of(const ImageView& v) {
  return {v.data, v.width, v.height, v.channels(), static_cast<long>(v.stride)};
}

}  // namespace

Status remap_cuda_validate(const ImageView& src, const float* map_x, const float* map_y, int dst_w,
                           int dst_h, const uint8_t* dst, size_t dst_stride) {
  if (Status s = check_src("remap", src); !s.ok()) return s;
  if (!map_x || !map_y) return fail("remap", "null map");
  if (!dst) return fail("remap", "null destination");
  if (dst_w < 1 || dst_h < 1 || dst_w > 16384 || dst_h > 16384)
    return fail("remap", "destination size " + std::to_string(dst_w) + "x" + std::to_string(dst_h) +
                             " outside 1..16384");
  if (dst_stride < static_cast<size_t>(dst_w) * static_cast<size_t>(src.channels()))
    return fail("remap", "destination stride smaller than a row");
  return {};
}

Status gaussian_cuda_validate(const ImageView& src, const gaussian_math::Kernel& k,
                              const uint16_t* scratch, const uint8_t* dst, size_t dst_stride) {
  if (Status s = check_src("gaussian", src); !s.ok()) return s;
  if (!scratch) return fail("gaussian", "null scratch");
  if (!dst) return fail("gaussian", "null destination");
  if (dst_stride < static_cast<size_t>(src.width) * static_cast<size_t>(src.channels()))
    return fail("gaussian", "destination stride smaller than a row");
  if (k.n < 1 || k.n > gaussian_math::kMaxTaps || k.n % 2 == 0)
    return fail("gaussian", "kernel of " + std::to_string(k.n) + " taps (odd, 1..63)");
  int sum = 0;
  for (int i = 0; i < k.n; ++i) sum += k.k[i];
  // The uint16 horizontal sums are exact only for a kernel that sums to 1.0 (256).
  if (sum != 256) return fail("gaussian", "kernel sums to " + std::to_string(sum) + "/256, not 1");
  return {};
}

size_t gaussian_cuda_scratch_elements(int width, int height, int channels) {
  return static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels);
}

Status remap_cuda(const ImageView& src, const float* map_x, const float* map_y, int dst_w,
                  int dst_h, uint8_t* dst, size_t dst_stride, cudaStream_t stream) {
  if (Status s = remap_cuda_validate(src, map_x, map_y, dst_w, dst_h, dst, dst_stride); !s.ok())
    return s;
  return gpu::check(cuda_detail::launch_remap(plane_of(src), map_x, map_y, dst_w, dst_h, dst,
                                              static_cast<long>(dst_stride), stream),
                    "remap kernel launch");
}

Status gaussian_cuda(const ImageView& src, const gaussian_math::Kernel& k, uint16_t* scratch,
                     uint8_t* dst, size_t dst_stride, cudaStream_t stream) {
  if (Status s = gaussian_cuda_validate(src, k, scratch, dst, dst_stride); !s.ok()) return s;
  return gpu::check(cuda_detail::launch_gaussian(plane_of(src), k, scratch, dst,
                                                 static_cast<long>(dst_stride), stream),
                    "gaussian kernel launch");
}

}  // namespace percept
