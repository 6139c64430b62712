// Rectification (remap) and the separable Gaussian blur on the GPU, with the per-pixel math of
// the CPU references (imgproc/rectify_math.hpp, imgproc/gaussian_math.hpp): both are integer
// fixed point, so the kernels are expected to equal Remapper and GaussianBlur bit for bit.
// Plain C++ launchers (no nvcc needed to include this header).
//
// All pointers are DEVICE memory; images are 8-bit interleaved (bgr8, rgb8, gray8) with a row
// stride in bytes. The kernels are queued on `stream` and the calls return without waiting;
// nothing is allocated (the Gaussian's intermediate rows live in the caller's `scratch`).
// Arguments are checked before any CUDA call, so a bad call never touches the device.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/imgproc/gaussian_math.hpp"
#include "percept/imgproc/rectify_math.hpp"

namespace percept {

// dst (dst_w x dst_h, src's channels, dst_stride bytes per row) = src sampled at
// (map_x, map_y) (dst_w x dst_h floats each, row-major; RectifyMaps uploaded once), bilinear,
// border 0. One thread per destination pixel. src at most 16384 x 16384.
Status remap_cuda(const ImageView& src, const float* map_x, const float* map_y, int dst_w,
                  int dst_h, uint8_t* dst, size_t dst_stride, cudaStream_t stream);

// dst (src's size and channels, dst_stride bytes per row) = src blurred with `k`
// (gaussian_kernel()), border replicate: a horizontal pass into `scratch` (uint16, at least
// gaussian_cuda_scratch_elements() of them), then a vertical pass, each staged through
// shared-memory tiles.
Status gaussian_cuda(const ImageView& src, const gaussian_math::Kernel& k, uint16_t* scratch,
                     uint8_t* dst, size_t dst_stride, cudaStream_t stream);
size_t gaussian_cuda_scratch_elements(int width, int height, int channels);

// The argument checks the launchers run first (exposed for the tests).
Status remap_cuda_validate(const ImageView& src, const float* map_x, const float* map_y, int dst_w,
                           int dst_h, const uint8_t* dst, size_t dst_stride);
Status gaussian_cuda_validate(const ImageView& src, const gaussian_math::Kernel& k,
                              const uint16_t* scratch, const uint8_t* dst, size_t dst_stride);

}  // namespace percept
