// Per-element math of the letterbox, shared by letterbox_cpu's scalar reference and the CUDA
// kernel (preprocess/cuda/letterbox_cuda.hpp). Plain C++ and nvcc both compile it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "percept/core/hd.hpp"

namespace percept::letterbox_math {

// Source coordinate of output index `o` along an axis, OpenCV INTER_LINEAR style: the lower
// neighbour, the upper neighbour (clamped at the edge) and the weight of the upper one. The
// coordinate is computed in double, as cv::resize does, so that 1920 -> 640 lands on exact
// pixels.
struct Tap {
  int i0, i1;
  float w;
};

PERCEPT_HD inline Tap tap(int o, double inv_scale, int src_len) {
  const double f = (o + 0.5) * inv_scale - 0.5;
  if (f <= 0) return {0, 0, 0.f};
  const int i0 = static_cast<int>(f);
  if (i0 >= src_len - 1) return {src_len - 1, src_len - 1, 0.f};
  return {i0, i0 + 1, static_cast<float>(f - i0)};
}

// Bilinear blend of the 2x2 neighbourhood (a b / e f), then out = v * scale + bias. The
// operation order is the reference's; the CUDA file is built with --fmad=false so the GPU
// rounds exactly as the CPU's scalar path does.
PERCEPT_HD inline float bilinear(float a, float b, float e, float f, float wx, float wy) {
  const float top = a + (b - a) * wx;
  const float bot = e + (f - e) * wx;
  return top + (bot - top) * wy;
}

PERCEPT_HD inline float normalise(float v, float scale, float bias) {
  return v * scale + bias;
}

// Everything one output pixel needs, set up on the host by letterbox_cuda_args()
// (preprocess/cuda/letterbox_cuda.hpp) and passed to the kernel by value.
struct Args {
  const uint8_t* src;
  size_t stride;
  int src_w, src_h, channels;
  int dst_w, dst_h, new_w, new_h, pad_left, pad_top;
  double inv_x, inv_y;  // src / new, as letterbox_cpu computes them
  int src_channel[3];   // output plane k reads source channel src_channel[k]
  float scale[3], bias[3], pad[3];
  bool f16;
};

// The three plane values of output pixel (x, y): the CUDA kernel's whole per-thread work,
// also run on the CPU by the tests (tests/gpu/launcher_args_test.cpp) against letterbox_cpu.
PERCEPT_HD inline void pixel(const Args& a, int x, int y, float v[3]) {
  v[0] = a.pad[0];
  v[1] = a.pad[1];
  v[2] = a.pad[2];
  const int rx = x - a.pad_left, ry = y - a.pad_top;
  if (rx < 0 || rx >= a.new_w || ry < 0 || ry >= a.new_h) return;
  const Tap tx = tap(rx, a.inv_x, a.src_w);
  const Tap ty = tap(ry, a.inv_y, a.src_h);
  const uint8_t* r0 = a.src + static_cast<size_t>(ty.i0) * a.stride;
  const uint8_t* r1 = a.src + static_cast<size_t>(ty.i1) * a.stride;
  const int c0 = tx.i0 * a.channels, c1 = tx.i1 * a.channels;
  for (int k = 0; k < 3; ++k) {
    const int c = a.src_channel[k];
    const float s = bilinear(r0[c0 + c], r0[c1 + c], r1[c0 + c], r1[c1 + c], tx.w, ty.w);
    v[k] = normalise(s, a.scale[k], a.bias[k]);
  }
}

}  // namespace percept::letterbox_math
