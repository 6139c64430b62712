// Per-anchor YOLO decoding and the pieces of bitmask NMS, shared by the CPU decoder
// (yolo_decode.cpp) and the CUDA kernels (src/tasks/cuda/yolo_nms.cu), so that both keep the
// same anchors with the same boxes, scores and classes (ARCHITECTURE.md, GPU rules). Plain
// functions over raw pointers: no std:: calls that have no __device__ version.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "percept/core/box_math.hpp"
#include "percept/core/hd.hpp"

namespace percept {

// One decoded box in network-input pixels. 24 bytes: the CUDA path's output element too.
struct DecodedBox {
  float x1, y1, x2, y2;
  float score;
  int32_t class_id;
};

// Centre and size -> corners, then what may leave the decoder: a finite score and a finite,
// ordered box. Finite inputs can still overflow (cx 3e38 + w/2), a negative width turns a box
// inside out, obj x cls can reach +Inf.
PERCEPT_HD inline bool make_box(float cx, float cy, float w, float h, float score, int32_t cls,
                                DecodedBox* out) {
  const DecodedBox b{cx - w * 0.5f, cy - h * 0.5f, cx + w * 0.5f, cy + h * 0.5f, score, cls};
  if (!finite_f(score) || !finite_f(b.x1) || !finite_f(b.y1) || !finite_f(b.x2) ||
      !finite_f(b.y2) || !(b.x1 <= b.x2) || !(b.y1 <= b.y2))
    return false;
  *out = b;
  return true;
}

// v8 [4+nc, N] (one image): anchor i, class-major. The best class is the first maximum (a later
// class must be strictly greater), a NaN score never wins and a NaN first score keeps the
// anchor out; kept when best > conf. The CPU decoder finds `best` with vectorised row sweeps
// (the same first-maximum rule) and calls make_box itself.
PERCEPT_HD inline bool decode_v8_anchor(const float* p, int nc, int n, int i, float conf,
                                        DecodedBox* out) {
  const float* s = p + 4 * static_cast<size_t>(n) + i;
  float best = s[0];
  int32_t cls = 0;
  for (int c = 1; c < nc; ++c) {
    const float v = s[static_cast<size_t>(c) * n];
    if (v > best) {
      best = v;
      cls = c;
    }
  }
  if (!(best > conf)) return false;  // also rejects NaN
  return make_box(p[i], p[n + i], p[2 * static_cast<size_t>(n) + i],
                  p[3 * static_cast<size_t>(n) + i], best, cls, out);
}

// v5 [N, 5+nc]: row `r` of one anchor. score = objectness x best class score.
PERCEPT_HD inline bool decode_v5_anchor(const float* r, int nc, float conf, DecodedBox* out) {
  const float obj = r[4];
  if (!(obj > conf)) return false;  // score = obj * cls <= obj, so this filter is exact
  int32_t best = 0;
  for (int c = 1; c < nc; ++c)
    if (r[5 + c] > r[5 + best]) best = c;
  const float score = obj * r[5 + best];
  if (!(score > conf)) return false;
  return make_box(r[0], r[1], r[2], r[3], score, best, out);
}

// end2end [K, 6] row: x1 y1 x2 y2 score class, NMS already done inside the graph.
PERCEPT_HD inline bool decode_e2e_row(const float* r, float conf, DecodedBox* out) {
  // A class id that is not a small whole number (NaN, negative, 1e12) names no class; an int
  // conversion of it would be undefined behaviour.
  constexpr float kMaxClassId = 1e6f;
  if (!(r[4] > conf) || !(r[5] >= 0.f && r[5] < kMaxClassId)) return false;
  const DecodedBox b{r[0], r[1], r[2], r[3], r[4], static_cast<int32_t>(r[5])};
  if (!finite_f(b.score) || !finite_f(b.x1) || !finite_f(b.y1) || !finite_f(b.x2) ||
      !finite_f(b.y2) || !(b.x1 <= b.x2) || !(b.y1 <= b.y2))
    return false;
  *out = b;
  return true;
}

// Sort key of a candidate: ascending keys = descending score, then ascending anchor index,
// the order nms_inplace sorts in (ties keep input order). The score's bits are mapped to an
// unsigned integer that orders like the float (negative scores exist when conf < 0), -0 is
// taken as +0 (they compare equal on the CPU), then inverted for descending order.
PERCEPT_HD inline uint64_t candidate_key(float score, uint32_t index) {
  if (score == 0.f) score = 0.f;
  uint32_t u;
#if defined(__CUDA_ARCH__)
  u = __float_as_uint(score);
#else
  __builtin_memcpy(&u, &score, sizeof u);
#endif
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return (static_cast<uint64_t>(~u) << 32) | index;
}
PERCEPT_HD inline uint32_t key_index(uint64_t key) {
  return static_cast<uint32_t>(key & 0xffffffffu);
}

// Bitmask NMS over `m` candidates sorted by candidate_key, in words of 64: bit j of word w of
// row i says candidate 64 w + j > i is suppressed by candidate i (same class unless agnostic,
// IoU above the threshold, compared exactly as nms_inplace does). The kernel computes one word
// per thread, row i against a tile of 64 column boxes it staged in shared memory.
PERCEPT_HD inline uint64_t nms_mask_word(const DecodedBox& row, int i, const DecodedBox* tile,
                                         int tile_start, int tile_n, float iou_threshold,
                                         bool agnostic) {
  uint64_t bits = 0;
  for (int j = 0; j < tile_n; ++j) {
    if (tile_start + j <= i) continue;
    const DecodedBox& c = tile[j];
    if (!agnostic && c.class_id != row.class_id) continue;
    if (iou_xyxy(row.x1, row.y1, row.x2, row.y2, c.x1, c.y1, c.x2, c.y2) > iou_threshold)
      bits |= uint64_t{1} << j;
  }
  return bits;
}

// The greedy walk over the mask rows (`stride` words each), in score order: a candidate not
// yet suppressed is kept (emit(k, i): the k-th kept box is candidate i) and suppresses what its
// row says; stops after max_det kept. `removed` holds ceil(m / 64) zeroed words. Run by `lanes`
// threads of a warp in step (lane 0 emits), which stride over the words of a row and meet at
// `sync` (the kernel's __syncwarp; nothing on the CPU, where the tests run it with one lane).
// Returns the number kept.
template <class Sync, class Emit>
PERCEPT_HD inline int nms_walk(const uint64_t* masks, int m, int stride, int max_det,
                               uint64_t* removed, int lane, int lanes, Sync sync, Emit emit) {
  const int words = (m + 63) / 64;
  int kept = 0;
  for (int i = 0; i < m && kept < max_det; ++i) {
    const bool suppressed = (removed[i >> 6] >> (i & 63)) & 1u;
    sync();  // every lane has read removed[i / 64] before any lane writes it
    if (suppressed) continue;
    if (lane == 0) emit(kept, i);
    ++kept;
    const uint64_t* row = masks + static_cast<size_t>(i) * stride;
    for (int w = (i >> 6) + lane; w < words; w += lanes) removed[w] |= row[w];
    sync();
  }
  return kept;
}

}  // namespace percept
