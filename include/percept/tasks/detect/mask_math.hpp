// Per-element math of instance-mask assembly (YOLOv8-seg), shared by the CPU assembler
// (mask_assembly.cpp) and a CUDA kernel, so that both set the same pixels. Plain functions
// over raw pointers: no std:: calls without a __device__ version.
//
// Geometry: frame pixel (x, y) has its centre at (x + 0.5, y + 0.5). The letterbox maps it to
// network-input pixels (scale, then padding), the prototypes are the input at 1/stride
// resolution, sampled like torch's bilinear resize with align_corners = False: prototype pixel
// u has its centre at input coordinate (u + 0.5) * stride. A mask pixel is set when the
// bilinearly interpolated logit of coefficients x prototypes exceeds logit(threshold): sigmoid
// is monotonic, so no exp is computed. (Ultralytics interpolates after the sigmoid; the two
// agree on which side of 0.5 a pixel falls wherever the logits do not change sign between
// neighbouring prototype pixels, i.e. away from the mask's edge.)
#pragma once

#include <cmath>
#include <cstddef>

#include "percept/core/hd.hpp"

namespace percept {

// Frame column (or row) -> prototype coordinate, proto = a * x + b.
struct ProtoAxis {
  float a = 0, b = 0;
};

// `scale` = resized size / frame size along the axis, `pad` the letterbox padding before it
// (input pixels), `stride` = input size / prototype size.
PERCEPT_HD inline ProtoAxis proto_axis(float scale, float pad, float stride) {
  return {scale / stride, (0.5f * scale + pad) / stride - 0.5f};
}

// The two prototype samples of a coordinate along an axis of `size` samples and the weight of
// the second: edges clamp, as torch's bilinear resize does.
PERCEPT_HD inline void bilinear_tap(float p, int size, int* i0, int* i1, float* w1) {
  if (!(p > 0.f)) {  // also NaN
    *i0 = *i1 = 0;
    *w1 = 0.f;
    return;
  }
  const float f = floorf(p);
  const int i = static_cast<int>(f);
  if (i >= size - 1) {
    *i0 = *i1 = size - 1;
    *w1 = 0.f;
    return;
  }
  *i0 = i;
  *i1 = i + 1;
  *w1 = p - f;
}

// The logit at one prototype pixel: coefficients . prototypes[:, idx] (planes of `plane`).
PERCEPT_HD inline float proto_logit(const float* coef, int nm, const float* protos, size_t plane,
                                    size_t idx) {
  float s = 0.f;
  for (int k = 0; k < nm; ++k) s += coef[k] * protos[static_cast<size_t>(k) * plane + idx];
  return s;
}

// Bilinear blend of four logits (l<row><col>); weights wx, wy of the second sample along each
// axis. Vertical first: the CPU assembler blends a whole row of prototype columns once per frame
// row (lerp of the two rows), then each frame pixel between two of them, in this same order.
PERCEPT_HD inline float lerp_logit(float a, float b, float w) {
  return a + (b - a) * w;
}
PERCEPT_HD inline float blend(float l00, float l01, float l10, float l11, float wx, float wy) {
  return lerp_logit(lerp_logit(l00, l10, wy), lerp_logit(l01, l11, wy), wx);
}

// logit(t) for a probability threshold t in (0, 1); outside it, a threshold no finite logit
// passes (t >= 1) or every one does (t <= 0).
inline float threshold_logit(float t) {
  if (!(t > 0.f)) return -INFINITY;
  if (t >= 1.f) return INFINITY;
  return std::log(t / (1.f - t));
}

}  // namespace percept
