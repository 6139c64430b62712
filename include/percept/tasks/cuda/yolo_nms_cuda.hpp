// YOLO post-processing on the GPU: decode, per-anchor best class, confidence filter, sort by
// score and class-aware bitmask NMS, as YoloDecoder::decode does on the CPU (the reference),
// from the raw detector output already in device memory. Only the kept boxes need to come back
// to the host (copy_kept_detections). Plain C++ launchers.
//
// All pointers except copy_kept_detections' host arguments are DEVICE memory; the kernels are
// queued on `stream` and the calls return without waiting. Nothing is allocated: the caller
// gives a workspace of yolo_nms_workspace_bytes(). Arguments are checked before any CUDA call.
// One call at a time per workspace (it holds the call's intermediate state).
//
// Parity with the CPU (tests/gpu): the same anchors, boxes, scores and classes, bit for bit
// (the per-anchor math is yolo_decode_math.hpp's, the .cu is built with --fmad=false), in the
// same order: score descending, equal scores in anchor order. One difference: when more than
// max_candidates anchors pass the filter, both keep the max_candidates best, but among boxes
// with exactly the score at the cut the CPU's nth_element keeps an unspecified subset and order,
// the GPU the lowest anchor indices.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "percept/core/error.hpp"
#include "percept/tasks/detect/yolo_decode.hpp"
#include "percept/tasks/detect/yolo_decode_math.hpp"

namespace percept {

// Device workspace for a batch of `batch` images of layout `info` under `opt`. About
// B x (N x 40 + M x (24 + 8 x ceil(M / 64))) bytes with M = min(N, max_candidates), plus CUB's
// sort storage: 9.4 MB for one YOLOv8 image (N = 8400, M = 8400), most of it the M x M bit
// matrix; lower max_candidates (Ultralytics' max_nms) to shrink it. Asks CUB for its storage
// size, which needs a CUDA device: an error without one.
Result<size_t> yolo_nms_workspace_bytes(const LayoutInfo& info, int batch,
                                        const DecodeOptions& opt);

// `output`: the detector's output for `batch` images ([B, 4+nc, N], [B, N, 5+nc] or [B, K, 6]
// float32, contiguous). Writes per image b its kept boxes to out[b * max_detections ...] (score
// descending; end2end: the model's order) and their number to counts[b].
// opt.nms.max_detections >= 1; opt.max_candidates >= 1 (v8, v5).
Status yolo_decode_nms_cuda(const float* output, const LayoutInfo& info, int batch,
                            const DecodeOptions& opt, void* workspace, size_t workspace_bytes,
                            DecodedBox* out, int32_t* counts, cudaStream_t stream);

// Copies the kept boxes back, and nothing else: counts first (one synchronisation), then each
// image's counts[b] boxes into host_out[b * max_detections ...]. host_counts: `batch` values;
// pinned host memory makes the copies asynchronous. Waits for `stream`.
Status copy_kept_detections(const DecodedBox* out, const int32_t* counts, int batch,
                            int max_detections, DecodedBox* host_out, int32_t* host_counts,
                            cudaStream_t stream);

// The argument checks yolo_decode_nms_cuda runs first (exposed for the tests).
Status yolo_nms_validate(const float* output, const LayoutInfo& info, int batch,
                         const DecodeOptions& opt, const void* out, const void* counts);

}  // namespace percept
