// Bilinear remap of 8-bit interleaved images through float maps: one thread per destination
// pixel. The per-pixel math is rectify_math.hpp's (tap, sample), which the tests also run on
// the CPU over every pixel.
#include "imgproc_kernel.hpp"

namespace percept::cuda_detail {
namespace {

__global__ void remap_kernel(Plane8 src, const float* map_x, const float* map_y, int dst_w,
                             int dst_h, uint8_t* dst, long dst_stride) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= dst_w || y >= dst_h) return;
  const long i = static_cast<long>(y) * dst_w + x;
  const rectify_math::Tap t = rectify_math::tap(map_x[i], map_y[i], src.w, src.h);
  uint8_t* out = dst + y * dst_stride + static_cast<long>(x) * src.channels;
  for (int c = 0; c < src.channels; ++c)
    out[c] = rectify_math::sample(src.data, src.w, src.h, src.stride, src.channels, t, c);
}

}  // namespace

cudaError_t launch_remap(const Plane8& src, const float* map_x, const float* map_y, int dst_w,
                         int dst_h, uint8_t* dst, long dst_stride, cudaStream_t stream) {
  const dim3 block(32, 8);
  const dim3 grid((static_cast<unsigned>(dst_w) + block.x - 1) / block.x,
                  (static_cast<unsigned>(dst_h) + block.y - 1) / block.y);
  remap_kernel<<<grid, block, 0, stream>>>(src, map_x, map_y, dst_w, dst_h, dst, dst_stride);
  return cudaGetLastError();
}

}  // namespace percept::cuda_detail
