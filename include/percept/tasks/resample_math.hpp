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

// The frame-pixel grid of one resampling: output plane w x h onto dst_w x dst_h frame pixels
// along the two axes (set up on the host by plane_grid(), tasks/cuda/plane_resample_cuda.hpp).
struct PlaneGrid {
  int w = 0, h = 0;
  int dst_w = 0, dst_h = 0;
  Axis ax, ay;
};

// One resampled value: horizontal blends of the two source rows, then the vertical blend, the
// order PlaneResampler uses (it caches the horizontal rows).
PERCEPT_HD inline float sample_plane(const float* plane, int w, const Tap& tx, const Tap& ty) {
  const float* r0 = plane + static_cast<long>(ty.i0) * w;
  const float* r1 = plane + static_cast<long>(ty.i1) * w;
  const float top = lerp_w(r0[tx.i0], r0[tx.i1], tx.w1);
  const float bot = lerp_w(r1[tx.i0], r1[tx.i1], tx.w1);
  return lerp_w(top, bot, ty.w1);
}

// Class id of frame pixel (x, y): argmax of the resampled logits, the lowest id on ties (as
// segmentation_to_frame); one plane: 1 where the logit exceeds logit_threshold.
PERCEPT_HD inline int argmax_at(const float* logits, int classes, const PlaneGrid& g,
                                float logit_threshold, int x, int y) {
  const Tap tx = bilinear_tap(x, g.ax), ty = bilinear_tap(y, g.ay);
  if (classes == 1) return sample_plane(logits, g.w, tx, ty) > logit_threshold ? 1 : 0;
  const long plane = static_cast<long>(g.w) * g.h;
  float best = sample_plane(logits, g.w, tx, ty);
  int id = 0;
  for (int c = 1; c < classes; ++c) {
    const float v = sample_plane(logits + c * plane, g.w, tx, ty);
    if (v > best) {
      best = v;
      id = c;
    }
  }
  return id;
}

}  // namespace percept
