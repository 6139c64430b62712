// Between plane_resample_cuda.cpp (checks, axes) and plane_resample.cu (the kernels).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "percept/tasks/resample_math.hpp"

namespace percept::cuda_detail {

cudaError_t launch_depth_resample(const float* src, const PlaneGrid& g, float* dst,
                                  cudaStream_t stream);
cudaError_t launch_segment_argmax(const float* logits, int classes, const PlaneGrid& g,
                                  float logit_threshold, uint8_t* out, uint32_t* counts,
                                  cudaStream_t stream);

}  // namespace percept::cuda_detail
