// Per-element math of the separable Gaussian blur of 8-bit interleaved images, shared by the
// CPU GaussianBlur (imgproc/gaussian.hpp) and the CUDA kernels (imgproc/cuda/imgproc_cuda.hpp).
// Plain C++ and nvcc both compile it.
//
// Fixed point, as OpenCV's bit-exact cv::GaussianBlur for 8-bit images: the kernel has 8
// fractional bits (coefficients sum to exactly 256), the horizontal pass keeps exact uint16
// sums (at most 255 * 256), the vertical pass sums those times the kernel in uint32 and rounds
// half up by 16 bits. Every sum is exact, so the order of the additions does not matter and
// the CPU, the GPU and OpenCV agree bit for bit. Borders replicate the edge pixel.
#pragma once

#include <stdint.h>

#include "percept/core/hd.hpp"

namespace percept::gaussian_math {

constexpr int kMaxTaps = 63;  // ksize <= 63 (sigma <= 10 with ksize from sigma)

// Passed to the kernels by value.
struct Kernel {
  int n = 1;                  // odd number of taps; radius (n - 1) / 2
  uint16_t k[kMaxTaps] = {};  // coefficients, 8 fractional bits, sum 256
};

PERCEPT_HD inline int radius(const Kernel& k) {
  return (k.n - 1) / 2;
}

// Index i clamped to [0, n) (BORDER_REPLICATE).
PERCEPT_HD inline int replicate(int i, int n) {
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

// Horizontal pass at element (x, c) of one row of w pixels of `channels` interleaved
// channels: sum of k[j] * row[x + j - r] (exact, at most 255 * 256).
PERCEPT_HD inline uint16_t h_at(const uint8_t* row, int w, int channels, const Kernel& k, int x,
                                int c) {
  const int r = radius(k);
  uint32_t s = 0;
  for (int j = 0; j < k.n; ++j)
    s += k.k[j] * static_cast<uint32_t>(row[replicate(x + j - r, w) * channels + c]);
  return static_cast<uint16_t>(s);
}

// Element g (may be outside [0, w * channels)) of a row of w pixels, the edge pixel's channel
// outside: how the CUDA kernel fills its shared-memory tile, halo included.
PERCEPT_HD inline uint8_t row_element(const uint8_t* row, int w, int channels, int g) {
  const int p = g >= 0 ? g / channels : -((-g + channels - 1) / channels);  // floor(g / channels)
  return row[replicate(p, w) * channels + (g - p * channels)];
}

// sum of k[j] * p[j * step]: the horizontal pass over a (tile) row whose pixels are `step`
// elements apart. Exact, at most 255 * 256.
PERCEPT_HD inline uint16_t h_dot(const uint8_t* p, int step, const Kernel& k) {
  uint32_t s = 0;
  for (int j = 0; j < k.n; ++j) s += k.k[j] * static_cast<uint32_t>(p[j * step]);
  return static_cast<uint16_t>(s);
}

// sum of k[j] * p[j * step] over n horizontal sums (a tile column), before rounding.
PERCEPT_HD inline uint32_t v_dot(const uint16_t* p, int step, const Kernel& k) {
  uint32_t s = 0;
  for (int j = 0; j < k.n; ++j) s += k.k[j] * static_cast<uint32_t>(p[j * step]);
  return s;
}

// The vertical sum rounded half up to 8 bits.
PERCEPT_HD inline uint8_t v_round(uint32_t sum) {
  return static_cast<uint8_t>((sum + (1u << 15)) >> 16);
}

// Vertical pass at row y of a column of h horizontal sums whose consecutive rows lie `step`
// elements apart.
PERCEPT_HD inline uint8_t v_at(const uint16_t* column, long step, int h, const Kernel& k, int y) {
  const int r = radius(k);
  uint32_t s = 0;
  for (int j = 0; j < k.n; ++j)
    s += k.k[j] * static_cast<uint32_t>(column[replicate(y + j - r, h) * step]);
  return v_round(s);
}

}  // namespace percept::gaussian_math
