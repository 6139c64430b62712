// Bilinear resampling of model output planes onto frame pixels: one thread per frame pixel.
// depth: one plane, float out. segment: argmax over the resampled class planes (uint8 out),
// with a per-block shared-memory histogram for the class fractions. The per-pixel math is
// resample_math.hpp's (sample_plane, argmax_at), which the tests also run on the CPU.
#include "plane_resample_kernel.hpp"

namespace percept::cuda_detail {
namespace {

__global__ void depth_kernel(const float* src, PlaneGrid g, float* dst) {
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x >= g.dst_w || y >= g.dst_h) return;
  dst[static_cast<size_t>(y) * g.dst_w + x] =
      sample_plane(src, g.w, bilinear_tap(x, g.ax), bilinear_tap(y, g.ay));
}

__global__ void argmax_kernel(const float* logits, int classes, PlaneGrid g, float threshold,
                              uint8_t* out, uint32_t* counts) {
  __shared__ uint32_t hist[256];
  const int tid = static_cast<int>(threadIdx.y * blockDim.x + threadIdx.x);
  const int n_threads = static_cast<int>(blockDim.x * blockDim.y);
  const int n_classes = classes == 1 ? 2 : classes;
  if (counts)
    for (int i = tid; i < n_classes; i += n_threads) hist[i] = 0;
  __syncthreads();
  const int x = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int y = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (x < g.dst_w && y < g.dst_h) {
    const int id = argmax_at(logits, classes, g, threshold, x, y);
    out[static_cast<size_t>(y) * g.dst_w + x] = static_cast<uint8_t>(id);
    if (counts) atomicAdd(&hist[id], 1u);
  }
  if (!counts) return;
  __syncthreads();
  for (int i = tid; i < n_classes; i += n_threads)
    if (hist[i]) atomicAdd(&counts[i], hist[i]);
}

dim3 grid_of(const PlaneGrid& g, dim3 block) {
  return dim3((static_cast<unsigned>(g.dst_w) + block.x - 1) / block.x,
              (static_cast<unsigned>(g.dst_h) + block.y - 1) / block.y);
}

}  // namespace

cudaError_t launch_depth_resample(const float* src, const PlaneGrid& g, float* dst,
                                  cudaStream_t stream) {
  const dim3 block(32, 8);
  depth_kernel<<<grid_of(g, block), block, 0, stream>>>(src, g, dst);
  return cudaGetLastError();
}

cudaError_t launch_segment_argmax(const float* logits, int classes, const PlaneGrid& g,
                                  float logit_threshold, uint8_t* out, uint32_t* counts,
                                  cudaStream_t stream) {
  const dim3 block(32, 8);
  argmax_kernel<<<grid_of(g, block), block, 0, stream>>>(logits, classes, g, logit_threshold, out,
                                                         counts);
  return cudaGetLastError();
}

}  // namespace percept::cuda_detail
