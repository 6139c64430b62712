// Between yolo_nms_cuda.cpp (checks, workspace layout) and yolo_nms.cu (the kernels).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "percept/tasks/detect/yolo_decode_math.hpp"

namespace percept::cuda_detail {

// One call's arguments, with the workspace already cut into its parts (yolo_nms_cuda.cpp).
struct YoloNmsLaunch {
  const float* output = nullptr;
  int layout = 0;  // 0: v8 [B, 4+nc, N], 1: v5 [B, N, 5+nc], 2: end2end [B, K, 6]
  int nc = 0, n = 0, batch = 0;
  int mc = 0;     // candidates per image that enter NMS: min(n, max_candidates)
  int words = 0;  // mask words per row: ceil(mc / 64)
  int max_det = 0;
  float conf = 0, iou = 0;
  bool agnostic = false;
  // Workspace parts (device).
  int32_t* cand_count = nullptr;  // [B] anchors that passed the filter
  int32_t* seg_begin = nullptr;   // [B] CUB segment offsets into the key arrays
  int32_t* seg_end = nullptr;     // [B]
  DecodedBox* boxes = nullptr;    // [B, N] decoded, at their anchor index
  uint64_t* keys_in = nullptr;    // [B, N] candidate_key, compacted in any order
  uint64_t* keys_out = nullptr;   // [B, N] the same sorted per image
  DecodedBox* sorted = nullptr;   // [B, mc] the best mc candidates in score order
  uint64_t* masks = nullptr;      // [B, mc, words]
  void* sort_temp = nullptr;      // CUB's storage
  size_t sort_temp_bytes = 0;
  // Outputs (device).
  DecodedBox* out = nullptr;  // [B, max_det]
  int32_t* counts = nullptr;  // [B]
};

// CUB's storage for a segmented sort of `items` 64-bit keys in `segments` segments.
cudaError_t segmented_sort_temp_bytes(int items, int segments, size_t* bytes);
// Queues every kernel of one call on `stream`; the first error.
cudaError_t launch_yolo_nms(const YoloNmsLaunch& a, cudaStream_t stream);

// The largest mc the walk kernel's shared-memory bitset holds (48 KiB of words). Only that
// limit: the IoU bit matrix is mc x mc bits per image (about 19 GB at this size), so the
// workspace (yolo_nms_workspace_bytes) is what bounds max_candidates in practice; keep it at
// the thousands YOLO's own NMS uses (30,000 at most).
constexpr int kMaxNmsCandidates = 48 * 1024 * 8;

}  // namespace percept::cuda_detail
