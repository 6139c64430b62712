// The letterbox kernel: one thread per output pixel writes its three planes (coalesced along
// a row). The per-pixel work is letterbox_math::pixel, which the tests also run on the CPU.
#include <cuda_fp16.h>

#include "letterbox_kernel.hpp"

namespace percept::cuda_detail {
namespace {

template <bool F16>
__global__ void letterbox_kernel(letterbox_math::Args a, void* dst) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= a.dst_w || y >= a.dst_h) return;
  float v[3];
  letterbox_math::pixel(a, x, y, v);
  const size_t plane = static_cast<size_t>(a.dst_w) * a.dst_h;
  const size_t i = static_cast<size_t>(y) * a.dst_w + x;
  for (int k = 0; k < 3; ++k) {
    if constexpr (F16)
      static_cast<__half*>(dst)[k * plane + i] = __float2half_rn(v[k]);
    else
      static_cast<float*>(dst)[k * plane + i] = v[k];
  }
}

}  // namespace

cudaError_t launch_letterbox(const letterbox_math::Args& a, void* dst, cudaStream_t stream) {
  const dim3 block(32, 8);
  const dim3 grid((static_cast<unsigned>(a.dst_w) + block.x - 1) / block.x,
                  (static_cast<unsigned>(a.dst_h) + block.y - 1) / block.y);
  if (a.f16)
    letterbox_kernel<true><<<grid, block, 0, stream>>>(a, dst);
  else
    letterbox_kernel<false><<<grid, block, 0, stream>>>(a, dst);
  return cudaGetLastError();
}

}  // namespace percept::cuda_detail
