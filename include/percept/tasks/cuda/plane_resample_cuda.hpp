// Dense-task post-processing on the GPU: model output planes resampled bilinearly onto frame
// pixels (the letterbox padding removed), as depth_to_frame and segmentation_to_frame do on
// the CPU, with the same taps and blend (tasks/resample_math.hpp). Plain C++ launchers.
//
// All pointers are DEVICE memory; the kernels are queued on `stream` and the calls return
// without waiting; nothing is allocated. Arguments are checked before any CUDA call.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "percept/core/error.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/resample_math.hpp"

namespace percept {

// `out`: one plane of out_w x out_h floats -> `dst`: p.src_w x p.src_h floats (frame pixels).
// Parity: depth_to_frame's values within an ulp of the inputs (its AVX2 build contracts a
// blend into an FMA; the kernel rounds like the baseline build).
Status depth_to_frame_cuda(const float* out, int out_w, int out_h, const LetterboxParams& p,
                           float* dst, cudaStream_t stream);

// `logits`: `classes` planes of out_w x out_h (one image) -> `class_map`: p.src_w x p.src_h
// class ids (argmax of the resampled logits, lowest id on ties; classes == 1: binary mask,
// sigmoid(logit) > mask_threshold). classes <= 256. `counts`, when not null, receives the
// pixel count per class (max(classes, 2) uint32 values, zeroed here first): the fractions of
// SegmentationMap without reading the map back.
Status segmentation_to_frame_cuda(const float* logits, int classes, int out_w, int out_h,
                                  const LetterboxParams& p, float mask_threshold,
                                  uint8_t* class_map, uint32_t* counts, cudaStream_t stream);

// What the kernels receive, exposed so that the tests can run their per-pixel code
// (sample_plane, argmax_at) on the CPU: the grid of output plane out_w x out_h onto the frame
// of `p`, and segmentation_to_frame's logit threshold for a binary mask.
PlaneGrid plane_grid(int out_w, int out_h, const LetterboxParams& p);
float mask_logit_threshold(float mask_threshold);

// The argument checks both run first (exposed for the tests).
Status plane_resample_validate(const float* planes, int classes, int out_w, int out_h,
                               const LetterboxParams& p, const void* dst);

}  // namespace percept
