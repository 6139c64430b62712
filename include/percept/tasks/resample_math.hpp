// Per-element math of the bilinear resampling of model output planes onto frame pixels
// (PlaneResampler, segmentation_to_frame, depth_to_frame), shared with the CUDA kernels in
// tasks/cuda/plane_resample_cuda.hpp. Plain C++ and nvcc both compile it.
#pragma once

#include <math.h>

#include "percept/core/hd.hpp"

namespace percept {

// Bilinear taps of one destination coordinate along one axis of the region [offset,
// offset + extent) of a grid of `size` cells.
struct Tap {
  int i0 = 0, i1 = 0;
  float w1 = 0;  // weight of i1; i0 gets 1 - w1
};
struct Axis {
  float scale = 1, offset = 0;  // source coordinate = (dst + 0.5) * scale - 0.5 + offset
  int lo = 0, hi = 0;           // cells taps may use
};

PERCEPT_HD inline Tap bilinear_tap(int dst, const Axis& a) {
  const float s = (static_cast<float>(dst) + 0.5f) * a.scale - 0.5f + a.offset;
  Tap t;
  const float fl = floorf(s);
  t.i0 = static_cast<int>(fl);
  t.w1 = s - fl;
  if (t.i0 < a.lo) {
    t.i0 = a.lo;
    t.w1 = 0.f;
  }
  if (t.i0 >= a.hi) {
    t.i0 = a.hi;
    t.w1 = 0.f;
  }
  t.i1 = t.i0 + 1 < a.hi ? t.i0 + 1 : a.hi;
  return t;
}

// a + (b - a) * w: both halves of the separable bilinear blend (horizontal, then vertical).
PERCEPT_HD inline float lerp_w(float a, float b, float w) {
  return a + (b - a) * w;
}

}  // namespace percept
