// Separable Gaussian blur of 8-bit interleaved images in two passes, each staged through a
// shared-memory tile with its halo (border replicate): horizontal, uint8 -> uint16 sums in
// the scratch plane; vertical, uint16 -> uint8. The per-element math is gaussian_math.hpp's
// (row_element, h_dot, v_dot, v_round), which the tests also run on the CPU.
#include "imgproc_kernel.hpp"

namespace percept::cuda_detail {
namespace {

using gaussian_math::Kernel;
using gaussian_math::kMaxTaps;

constexpr int kMaxHalo = (kMaxTaps - 1) / 2 * 3;  // radius x channels, each side

// blockDim = (kGaussRowTile, 1): one tile of kGaussRowTile elements of row blockIdx.y.
__global__ void gauss_h_kernel(Plane8 src, Kernel k, uint16_t* out) {
  __shared__ uint8_t tile[kGaussRowTile + 2 * kMaxHalo];
  const int n = src.w * src.channels;
  const int y = static_cast<int>(blockIdx.y);
  const int e0 = static_cast<int>(blockIdx.x) * kGaussRowTile;
  const int halo = gaussian_math::radius(k) * src.channels;
  const uint8_t* row = src.data + y * src.stride;
  for (int i = static_cast<int>(threadIdx.x); i < kGaussRowTile + 2 * halo;
       i += static_cast<int>(blockDim.x))
    tile[i] = gaussian_math::row_element(row, src.w, src.channels, e0 - halo + i);
  __syncthreads();
  const int e = e0 + static_cast<int>(threadIdx.x);
  if (e < n)
    out[static_cast<long>(y) * n + e] = gaussian_math::h_dot(tile + threadIdx.x, src.channels, k);
}

// blockDim = (kGaussColTileW, kGaussColTileH): kGaussColTileH rows of kGaussColTileW elements.
__global__ void gauss_v_kernel(const uint16_t* in, int n, int h, Kernel k, uint8_t* dst,
                               long dst_stride) {
  __shared__ uint16_t tile[(kGaussColTileH + kMaxTaps - 1) * kGaussColTileW];
  const int r = gaussian_math::radius(k);
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int e = static_cast<int>(blockIdx.x) * kGaussColTileW + tx;
  const int y0 = static_cast<int>(blockIdx.y) * kGaussColTileH;
  if (e < n)
    for (int i = ty; i < kGaussColTileH + 2 * r; i += kGaussColTileH)
      tile[i * kGaussColTileW + tx] =
          in[static_cast<long>(gaussian_math::replicate(y0 - r + i, h)) * n + e];
  __syncthreads();
  const int y = y0 + ty;
  if (e < n && y < h)
    dst[y * dst_stride + e] = gaussian_math::v_round(
        gaussian_math::v_dot(tile + ty * kGaussColTileW + tx, kGaussColTileW, k));
}

}  // namespace

cudaError_t launch_gaussian(const Plane8& src, const Kernel& k, uint16_t* scratch, uint8_t* dst,
                            long dst_stride, cudaStream_t stream) {
  const int n = src.w * src.channels;
  const dim3 hgrid((static_cast<unsigned>(n) + kGaussRowTile - 1) / kGaussRowTile,
                   static_cast<unsigned>(src.h));
  gauss_h_kernel<<<hgrid, kGaussRowTile, 0, stream>>>(src, k, scratch);
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  const dim3 vblock(kGaussColTileW, kGaussColTileH);
  const dim3 vgrid((static_cast<unsigned>(n) + kGaussColTileW - 1) / kGaussColTileW,
                   (static_cast<unsigned>(src.h) + kGaussColTileH - 1) / kGaussColTileH);
  gauss_v_kernel<<<vgrid, vblock, 0, stream>>>(scratch, n, src.h, k, dst, dst_stride);
  return cudaGetLastError();
}

}  // namespace percept::cuda_detail
