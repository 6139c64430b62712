// The letterbox on the GPU: the same geometry (letterbox_params), sampling and normalisation
// as letterbox_cpu, fused into one kernel that reads the 8-bit frame once and writes the
// network input's three planes once. Plain C++ launcher (no nvcc needed to include it).
//
// Contract: `src` is an ImageView whose data is DEVICE memory (bgr8, rgb8 or gray8, any size,
// stride in bytes >= width * channels); `dst` is device memory for one image of an NCHW batch:
// 3 * p.dst_h * p.dst_w elements of `dtype` (DType::f32 or DType::f16, round to nearest).
// The kernel is queued on `stream` and the call returns without waiting; nothing is
// allocated. Errors (bad arguments, launch failure) come back as a Status; arguments are
// checked before any CUDA call, so a bad call never touches the device.
// Parity: equal to letterbox_cpu(..., allow_simd = false) up to float rounding of the
// reference's own operation order (tests/gpu/kernel_parity_test.cpp states the tolerance).
#pragma once

#include <cuda_runtime_api.h>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/core/tensor.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/preprocess/letterbox_math.hpp"

namespace percept {

Status letterbox_cuda(const ImageView& src, const LetterboxParams& p, const Normalize& norm,
                      void* dst, DType dtype, cudaStream_t stream);

// What the kernel receives (src.data is the device pointer as given): exposed so that the tests
// can run the kernel's per-pixel code (letterbox_math::pixel) on the CPU.
letterbox_math::Args letterbox_cuda_args(const ImageView& src, const LetterboxParams& p,
                                         const Normalize& norm, DType dtype);

// The argument checks letterbox_cuda runs first (exposed for the tests).
Status letterbox_cuda_validate(const ImageView& src, const LetterboxParams& p, const void* dst,
                               DType dtype);

}  // namespace percept
