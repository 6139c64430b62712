// Between letterbox_cuda.cpp (checks, host-side set-up) and letterbox.cu (the kernel).
#pragma once

#include <cuda_runtime_api.h>

#include "percept/preprocess/letterbox_math.hpp"

namespace percept::cuda_detail {

// Queues the kernel; returns cudaGetLastError() after the launch.
cudaError_t launch_letterbox(const letterbox_math::Args& a, void* dst, cudaStream_t stream);

}  // namespace percept::cuda_detail
