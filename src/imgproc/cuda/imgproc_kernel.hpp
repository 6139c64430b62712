// Between imgproc_cuda.cpp (checks) and remap.cu / gaussian.cu (the kernels).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "percept/imgproc/gaussian_math.hpp"
#include "percept/imgproc/rectify_math.hpp"

namespace percept::cuda_detail {

// Shared-memory tile shapes of the Gaussian passes (the tests' emulation uses them too).
constexpr int kGaussRowTile = 256;  // horizontal pass: elements of one row per block
constexpr int kGaussColTileW = 32;  // vertical pass: elements across
constexpr int kGaussColTileH = 8;   // vertical pass: rows per block

struct Plane8 {
  const uint8_t* data;
  int w, h, channels;
  long stride;  // bytes
};

cudaError_t launch_remap(const Plane8& src, const float* map_x, const float* map_y, int dst_w,
                         int dst_h, uint8_t* dst, long dst_stride, cudaStream_t stream);
cudaError_t launch_gaussian(const Plane8& src, const gaussian_math::Kernel& k, uint16_t* scratch,
                            uint8_t* dst, long dst_stride, cudaStream_t stream);

}  // namespace percept::cuda_detail
