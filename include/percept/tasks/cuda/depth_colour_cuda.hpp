// The depth picture on the GPU: a depth map in frame pixels (e.g. depth_to_frame_cuda's
// output) -> the BGR picture colorize_depth (io/annotate.hpp) draws, byte for byte: the map's
// finite range found on the device (order-preserving keys, integer atomics), then the shared
// per-pixel math (core/depth_colour_math.hpp) and the same inferno table. Nothing is
// read back: only the picture, if the caller wants it on the host.
//
// All pointers are DEVICE memory; both kernels are queued on `stream` and the call returns
// without waiting; nothing is allocated. Arguments are checked before any CUDA call.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "percept/core/error.hpp"

namespace percept {

// Scratch the call needs: the range's two keys.
inline constexpr size_t kDepthColourScratchBytes = 2 * sizeof(uint32_t);

// `depth`: width x height floats, rows packed. `bgr`: width x height x 3 bytes, rows of
// `bgr_stride` bytes (>= 3 * width). `metres`: metric depth (larger is farther) instead of
// relative inverse depth, so that near is bright in both. `scratch`: kDepthColourScratchBytes.
Status colorize_depth_cuda(const float* depth, int width, int height, bool metres, void* scratch,
                           uint8_t* bgr, size_t bgr_stride, cudaStream_t stream);

// The argument checks it runs first (exposed for the tests).
Status colorize_depth_cuda_validate(const float* depth, int width, int height, const void* scratch,
                                    const uint8_t* bgr, size_t bgr_stride);

}  // namespace percept
