// Letterbox preprocessing: keep-aspect resize into a fixed network input, centred, with a
// constant border, fused with colour reordering, normalisation and HWC -> CHW float32 in one
// pass over the source (no intermediate images).
//
// Geometry follows Ultralytics' LetterBox exactly (so models trained there see the same input):
// r = min(dst_w / src_w, dst_h / src_h), new size = round(src * r), padding split around the
// image with the -0.1/+0.1 rounding rule. Sampling is bilinear with OpenCV's half-pixel
// convention (cv::resize INTER_LINEAR), computed in float.
#pragma once

#include <array>
#include <cstdint>

#include "percept/core/detection.hpp"
#include "percept/core/image.hpp"

namespace percept {

struct LetterboxParams {
  int src_w = 0, src_h = 0;  // frame size
  int dst_w = 0, dst_h = 0;  // network input size
  int new_w = 0, new_h = 0;  // size of the resized frame inside the input
  int pad_left = 0, pad_top = 0;

  // Box in network-input pixels -> frame pixels, clipped to the frame.
  Box to_source(const Box& b) const;
  // Box in frame pixels -> network-input pixels (no clipping).
  Box to_input(const Box& b) const;
};

LetterboxParams letterbox_params(int src_w, int src_h, int dst_w, int dst_h);

// out = pixel * scale[c] + bias[c] per output channel, after reordering to `rgb` or BGR order.
// Defaults: RGB, 1/255, no bias (YOLO). ImageNet: scale = 1/(255*std), bias = -mean/std.
struct Normalize {
  std::array<float, 3> scale{1.f / 255, 1.f / 255, 1.f / 255};
  std::array<float, 3> bias{0.f, 0.f, 0.f};
  bool rgb = true;          // output channel order
  uint8_t pad_value = 114;  // border colour, before normalisation, same for all channels
};

// Widest network input letterbox_cpu handles: its column tables live on the stack so that the
// frame path does not allocate. Callers check inputs against it (the detect task does).
constexpr int kLetterboxMaxWidth = 8192;

// Writes 3 planes of p.dst_h x p.dst_w float32 to `dst` (p.dst_w <= kLetterboxMaxWidth) (one image
// of an NCHW batch). src must have p.src_w x p.src_h pixels; bgr8, rgb8 and gray8 are accepted
// (gray is repeated into the three planes). No allocation; safe to call from several threads on
// distinct dst. On x86-64 with AVX2 a vector path does the bulk; allow_simd = false forces the
// scalar reference (the tests compare the two).
void letterbox_cpu(const ImageView& src, const LetterboxParams& p, const Normalize& norm,
                   float* dst, bool allow_simd = true);

// Whether letterbox_cpu has a vector path on this machine.
bool letterbox_simd_available();

}  // namespace percept
