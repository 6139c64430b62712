// Depth picture: a range reduction (grid-stride, per-warp shuffles, one atomic pair per block)
// and a map kernel (one thread per pixel) running depth_colour_math.hpp's per-pixel code with
// the inferno table in constant memory (every thread of a warp reads nearby entries).
#include "depth_colour_kernel.hpp"
#include "percept/core/depth_colour_math.hpp"
#include "percept/core/inferno_lut.hpp"

namespace percept::cuda_detail {
namespace {

__constant__ Bgr8 c_inferno[256] = {PERCEPT_INFERNO_BGR};

constexpr int kRangeThreads = 256;

__global__ void range_kernel(const float* depth, size_t n, uint32_t* range) {
  uint32_t lo = 0xffffffffu, hi = 0;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const float v = depth[i];
    if (!finite_f(v)) continue;
    const uint32_t k = float_order_key(v);
    lo = min(lo, k);
    hi = max(hi, k);
  }
  for (int off = 16; off > 0; off /= 2) {
    lo = min(lo, __shfl_down_sync(0xffffffffu, lo, off));
    hi = max(hi, __shfl_down_sync(0xffffffffu, hi, off));
  }
  __shared__ uint32_t warp_lo[kRangeThreads / 32], warp_hi[kRangeThreads / 32];
  const int lane = static_cast<int>(threadIdx.x % 32), warp = static_cast<int>(threadIdx.x / 32);
  if (lane == 0) {
    warp_lo[warp] = lo;
    warp_hi[warp] = hi;
  }
  __syncthreads();
  if (threadIdx.x != 0) return;
  for (int w = 1; w < kRangeThreads / 32; ++w) {
    lo = min(lo, warp_lo[w]);
    hi = max(hi, warp_hi[w]);
  }
  if (lo != 0xffffffffu) atomicMin(&range[0], lo);
  if (hi != 0) atomicMax(&range[1], hi);
}

__global__ void colour_kernel(const float* depth, int width, int height, bool metres,
                              const uint32_t* range, uint8_t* bgr, size_t bgr_stride) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= width || y >= height) return;
  // No finite value anywhere: the keys were left at their start values, and every pixel is a
  // hole (black) whatever lo and hi read; the CPU uses 0 and 0 then.
  const bool any = range[0] != 0xffffffffu;
  const float lo = any ? float_of_key(range[0]) : 0.f;
  const float hi = any ? float_of_key(range[1]) : 0.f;
  const uint8_t g =
      depth_grey(depth[static_cast<size_t>(y) * width + x], lo, depth_span(lo, hi), metres);
  const Bgr8 c = g ? c_inferno[g] : Bgr8{0, 0, 0};
  uint8_t* o = bgr + static_cast<size_t>(y) * bgr_stride + static_cast<size_t>(x) * 3;
  o[0] = c.b;
  o[1] = c.g;
  o[2] = c.r;
}

}  // namespace

cudaError_t launch_depth_range(const float* depth, size_t n, uint32_t* range, cudaStream_t stream) {
  // Enough blocks to fill any current GPU a few times over; the grid-stride loop covers the rest.
  const size_t wanted = (n + kRangeThreads - 1) / kRangeThreads;
  const unsigned blocks = static_cast<unsigned>(wanted < 1024 ? wanted : 1024);
  range_kernel<<<blocks, kRangeThreads, 0, stream>>>(depth, n, range);
  return cudaGetLastError();
}

cudaError_t launch_depth_colour(const float* depth, int width, int height, bool metres,
                                const uint32_t* range, uint8_t* bgr, size_t bgr_stride,
                                cudaStream_t stream) {
  const dim3 block(32, 8);
  const dim3 grid((static_cast<unsigned>(width) + block.x - 1) / block.x,
                  (static_cast<unsigned>(height) + block.y - 1) / block.y);
  colour_kernel<<<grid, block, 0, stream>>>(depth, width, height, metres, range, bgr, bgr_stride);
  return cudaGetLastError();
}

}  // namespace percept::cuda_detail
