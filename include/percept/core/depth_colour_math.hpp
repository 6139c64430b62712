// Depth map -> colour picture: the per-pixel math that colorize_depth (io/annotate.hpp) and the
// CUDA colouriser (tasks/cuda/depth_colour_cuda.hpp) share (PERCEPT_HD), so they cannot drift.
// Near is bright: relative inverse depth (larger = nearer) maps as it is, metric depth (larger
// = farther) upside down. Pixels without depth (NaN, inf) are black.
#pragma once

#include <cstdint>
#include <cstring>

#include "percept/core/hd.hpp"

namespace percept {

// The scale of the map's finite range [lo, hi]; a flat map (or none) scales by 1.
PERCEPT_HD inline float depth_span(float lo, float hi) {
  return hi > lo ? hi - lo : 1.f;
}

// Grey level of one value: 0 = no depth, else 1 (far end of the range) .. 255 (near end).
PERCEPT_HD inline uint8_t depth_grey(float v, float lo, float span, bool invert) {
  if (!finite_f(v)) return 0;
  float t = (v - lo) / span;
  if (invert) t = 1.f - t;
  return static_cast<uint8_t>(1.f + t * 254.f + 0.5f);
}

// An order-preserving key of a float: for any two non-NaN floats, a < b <=> key(a) < key(b)
// (-0 sorts just below +0). A kernel finds the map's range with integer atomicMin/atomicMax on
// keys; float_of_key inverts it.
PERCEPT_HD inline uint32_t float_order_key(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
PERCEPT_HD inline float float_of_key(uint32_t k) {
  const uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace percept
