// Per-element math of the letterbox, shared by letterbox_cpu's scalar reference and the CUDA
// kernel (preprocess/cuda/letterbox_cuda.hpp). Plain C++ and nvcc both compile it.
#pragma once

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

}  // namespace percept::letterbox_math
