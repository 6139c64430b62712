// Between letterbox_cuda.cpp (checks, host-side set-up) and letterbox.cu (the kernel).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace percept::cuda_detail {

struct LetterboxArgs {
  const uint8_t* src;
  size_t stride;
  int src_w, src_h, channels;
  int dst_w, dst_h, new_w, new_h, pad_left, pad_top;
  double inv_x, inv_y;  // src / new, as letterbox_cpu computes them
  int src_channel[3];   // output plane k reads source channel src_channel[k]
  float scale[3], bias[3], pad[3];
  bool f16;
};

// Queues the kernel; returns cudaGetLastError() after the launch.
cudaError_t launch_letterbox(const LetterboxArgs& a, void* dst, cudaStream_t stream);

}  // namespace percept::cuda_detail
