// Per-pixel math of the bilinear remap (rectification) of 8-bit interleaved images, shared by
// the CPU Remapper (imgproc/rectify.hpp) and the CUDA kernel (imgproc/cuda/imgproc_cuda.hpp).
// Plain C++ and nvcc both compile it.
//
// The arithmetic is OpenCV's cv::remap(INTER_LINEAR, BORDER_CONSTANT) for 8-bit images with
// float maps, so that the two agree bit for bit: the source coordinate is rounded to 1/32 of a
// pixel (cvRound(x * 32), round half to even), the four taps get integer weights
// (32 - fx)(32 - fy), fx (32 - fy), (32 - fx) fy and fx fy (sum 1024; OpenCV scales them by 32
// to 15 bits, which rounds identically), a tap outside the image reads the border value 0.
#pragma once

#include <math.h>
#include <stdint.h>

#include "percept/core/hd.hpp"

namespace percept::rectify_math {

constexpr int kFracBits = 5;  // OpenCV's INTER_BITS: taps at 1/32 pixel
constexpr int kFrac = 1 << kFracBits;

// Top-left source pixel and the 1/32-pixel fractions of one destination pixel.
struct Tap {
  int x0 = 0, y0 = 0;
  int fx = 0, fy = 0;  // 0..31
};

// Tap of map value (mx, my) for a w x h source. Values that are far outside (or NaN) are
// clamped to just outside the image first: every tap of such a pixel is out, as in OpenCV
// (whose coordinates saturate to int16), without overflowing the int conversion.
PERCEPT_HD inline Tap tap(float mx, float my, int w, int h) {
  // fmaxf/fminf return the non-NaN operand: NaN becomes -2 (outside).
  mx = fminf(fmaxf(mx, -2.f), static_cast<float>(w) + 1.f);
  my = fminf(fmaxf(my, -2.f), static_cast<float>(h) + 1.f);
  const int ix = static_cast<int>(rintf(mx * static_cast<float>(kFrac)));
  const int iy = static_cast<int>(rintf(my * static_cast<float>(kFrac)));
  Tap t;
  t.x0 = ix >> kFracBits;  // arithmetic shift: floor for negative values, as OpenCV
  t.y0 = iy >> kFracBits;
  t.fx = ix & (kFrac - 1);
  t.fy = iy & (kFrac - 1);
  return t;
}

// Whether all four taps lie inside the w x h image (the fast path: no border reads).
PERCEPT_HD inline bool inside(const Tap& t, int w, int h) {
  return static_cast<unsigned>(t.x0) < static_cast<unsigned>(w - 1) &&
         static_cast<unsigned>(t.y0) < static_cast<unsigned>(h - 1);
}

// The integer bilinear blend of four 8-bit samples: weights (32 - fx)(32 - fy), fx (32 - fy),
// (32 - fx) fy, fx fy (sum 1024), rounded half up. Computed as a horizontal then a vertical
// lerp, which is the same integer exactly ((32 - fy) top + fy bot = 32 top + fy (bot - top))
// with three multiplies instead of four.
PERCEPT_HD inline uint8_t blend(int p00, int p01, int p10, int p11, int fx, int fy) {
  const int top = (p00 << kFracBits) + (p01 - p00) * fx;
  const int bot = (p10 << kFracBits) + (p11 - p10) * fx;
  return static_cast<uint8_t>(((top << kFracBits) + (bot - top) * fy + 512) >> 10);
}

// Channel c of the destination pixel with tap t, from a w x h image of `channels` interleaved
// channels whose rows are `stride` bytes apart. Out-of-image taps read 0 (BORDER_CONSTANT).
PERCEPT_HD inline uint8_t sample(const uint8_t* src, int w, int h, long stride, int channels,
                                 const Tap& t, int c) {
  if (t.x0 >= w || t.x0 + 1 < 0 || t.y0 >= h || t.y0 + 1 < 0) return 0;
  int p[4];
  for (int k = 0; k < 4; ++k) {
    const int x = t.x0 + (k & 1), y = t.y0 + (k >> 1);
    p[k] = x >= 0 && x < w && y >= 0 && y < h
               ? src[static_cast<long>(y) * stride + static_cast<long>(x) * channels + c]
               : 0;
  }
  return blend(p[0], p[1], p[2], p[3], t.fx, t.fy);
}

}  // namespace percept::rectify_math
