// The letterbox kernel: one thread per output pixel writes its three planes (coalesced along
// a row); the per-element math is letterbox_math.hpp, shared with letterbox_cpu.
#include <cuda_fp16.h>

#include "letterbox_kernel.hpp"
#include "percept/preprocess/letterbox_math.hpp"

namespace percept::cuda_detail {
namespace {

template <bool F16>
__global__ void letterbox_kernel(LetterboxArgs a, void* dst) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= a.dst_w || y >= a.dst_h) return;
  float v[3] = {a.pad[0], a.pad[1], a.pad[2]};
  const int rx = x - a.pad_left, ry = y - a.pad_top;
  if (rx >= 0 && rx < a.new_w && ry >= 0 && ry < a.new_h) {
    using namespace letterbox_math;
    const Tap tx = tap(rx, a.inv_x, a.src_w);
    const Tap ty = tap(ry, a.inv_y, a.src_h);
    const uint8_t* r0 = a.src + static_cast<size_t>(ty.i0) * a.stride;
    const uint8_t* r1 = a.src + static_cast<size_t>(ty.i1) * a.stride;
    const int c0 = tx.i0 * a.channels, c1 = tx.i1 * a.channels;
    for (int k = 0; k < 3; ++k) {
      const int c = a.src_channel[k];
      const float s = bilinear(r0[c0 + c], r0[c1 + c], r1[c0 + c], r1[c1 + c], tx.w, ty.w);
      v[k] = normalise(s, a.scale[k], a.bias[k]);
    }
  }
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

cudaError_t launch_letterbox(const LetterboxArgs& a, void* dst, cudaStream_t stream) {
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
