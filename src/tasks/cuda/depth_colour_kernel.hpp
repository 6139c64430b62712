// Between depth_colour_cuda.cpp (checks) and depth_colour.cu (the kernels).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace percept::cuda_detail {

// range[0] / range[1]: the order keys of the smallest / largest finite value, which the caller
// set to 0xffffffff / 0 (no finite value leaves them so).
cudaError_t launch_depth_range(const float* depth, size_t n, uint32_t* range, cudaStream_t stream);
cudaError_t launch_depth_colour(const float* depth, int width, int height, bool metres,
                                const uint32_t* range, uint8_t* bgr, size_t bgr_stride,
                                cudaStream_t stream);

}  // namespace percept::cuda_detail
