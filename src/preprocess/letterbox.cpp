#include "percept/preprocess/letterbox.hpp"

#include <algorithm>
#include <cmath>

namespace percept {

LetterboxParams letterbox_params(int src_w, int src_h, int dst_w, int dst_h) {
  LetterboxParams p;
  p.src_w = src_w;
  p.src_h = src_h;
  p.dst_w = dst_w;
  p.dst_h = dst_h;
  double r = std::min(static_cast<double>(dst_w) / src_w, static_cast<double>(dst_h) / src_h);
  p.new_w = std::clamp(static_cast<int>(std::lround(src_w * r)), 1, dst_w);
  p.new_h = std::clamp(static_cast<int>(std::lround(src_h * r)), 1, dst_h);
  double dw = (dst_w - p.new_w) / 2.0;
  double dh = (dst_h - p.new_h) / 2.0;
  p.pad_left = static_cast<int>(std::lround(dw - 0.1));
  p.pad_top = static_cast<int>(std::lround(dh - 0.1));
  return p;
}

Box LetterboxParams::to_source(const Box& b) const {
  const float sx = static_cast<float>(src_w) / static_cast<float>(new_w);
  const float sy = static_cast<float>(src_h) / static_cast<float>(new_h);
  auto cx = [&](float x) {
    return std::clamp((x - static_cast<float>(pad_left)) * sx, 0.f, static_cast<float>(src_w));
  };
  auto cy = [&](float y) {
    return std::clamp((y - static_cast<float>(pad_top)) * sy, 0.f, static_cast<float>(src_h));
  };
  return {cx(b.x1), cy(b.y1), cx(b.x2), cy(b.y2)};
}

Box LetterboxParams::to_input(const Box& b) const {
  const float sx = static_cast<float>(new_w) / static_cast<float>(src_w);
  const float sy = static_cast<float>(new_h) / static_cast<float>(src_h);
  const auto pl = static_cast<float>(pad_left);
  const auto pt = static_cast<float>(pad_top);
  return {b.x1 * sx + pl, b.y1 * sy + pt, b.x2 * sx + pl, b.y2 * sy + pt};
}

namespace {

// Source coordinate of output index `o` along an axis, OpenCV INTER_LINEAR style: the lower
// neighbour, the upper neighbour (clamped at the edge) and the weight of the upper one.
struct Tap {
  int i0, i1;
  float w;
};

inline Tap tap(int o, double inv_scale, int src_len) {
  double f = (o + 0.5) * inv_scale - 0.5;
  if (f <= 0) return {0, 0, 0.f};
  int i0 = static_cast<int>(f);
  if (i0 >= src_len - 1) return {src_len - 1, src_len - 1, 0.f};
  return {i0, i0 + 1, static_cast<float>(f - i0)};
}

constexpr int kMaxWidth = 8192;  // network inputs wider than this are not a real use

template <int C>
void letterbox_rows(const ImageView& src, const LetterboxParams& p, const Normalize& n,
                    float* dst) {
  const size_t plane = static_cast<size_t>(p.dst_w) * p.dst_h;
  // Output plane k takes source channel src_ch[k]: swap R and B when the orders differ.
  const bool src_rgb = src.format == PixelFormat::rgb8;
  const bool swap = C == 3 && (src_rgb != n.rgb);
  const int src_ch[3] = {C == 1 ? 0 : (swap ? 2 : 0), C == 1 ? 0 : 1, C == 1 ? 0 : (swap ? 0 : 2)};
  float* planes[3] = {dst, dst + plane, dst + 2 * plane};
  float pad[3];
  for (int k = 0; k < 3; ++k) pad[k] = n.pad_value * n.scale[k] + n.bias[k];

  // Column taps for the resized part, as byte offsets into a source row.
  int x0s[kMaxWidth], x1s[kMaxWidth];
  float wxs[kMaxWidth];
  const double inv_x = static_cast<double>(p.src_w) / p.new_w;
  for (int x = 0; x < p.new_w; ++x) {
    Tap t = tap(x, inv_x, p.src_w);
    x0s[x] = t.i0 * C;
    x1s[x] = t.i1 * C;
    wxs[x] = t.w;
  }
  const double inv_y = static_cast<double>(p.src_h) / p.new_h;
  const int right = p.pad_left + p.new_w;

  for (int y = 0; y < p.dst_h; ++y) {
    float* out[3];
    for (int k = 0; k < 3; ++k) out[k] = planes[k] + static_cast<size_t>(y) * p.dst_w;
    const int ry = y - p.pad_top;
    if (ry < 0 || ry >= p.new_h) {
      for (int k = 0; k < 3; ++k) std::fill(out[k], out[k] + p.dst_w, pad[k]);
      continue;
    }
    for (int k = 0; k < 3; ++k) {
      std::fill(out[k], out[k] + p.pad_left, pad[k]);
      std::fill(out[k] + right, out[k] + p.dst_w, pad[k]);
      out[k] += p.pad_left;
    }
    const Tap ty = tap(ry, inv_y, p.src_h);
    const uint8_t* r0 = src.row(ty.i0);
    const uint8_t* r1 = src.row(ty.i1);
    for (int k = 0; k < 3; ++k) {
      const int c = src_ch[k];
      const float s = n.scale[k], b = n.bias[k];
      float* o = out[k];
      if (ty.w == 0.f) {  // exact row: common for integer downscales such as 1080 -> 360
        for (int x = 0; x < p.new_w; ++x) {
          float a = r0[x0s[x] + c], d = r0[x1s[x] + c];
          o[x] = (a + (d - a) * wxs[x]) * s + b;
        }
      } else {
        const float wy = ty.w;
        for (int x = 0; x < p.new_w; ++x) {
          float a = r0[x0s[x] + c], d = r0[x1s[x] + c];
          float e = r1[x0s[x] + c], f = r1[x1s[x] + c];
          float top = a + (d - a) * wxs[x];
          float bot = e + (f - e) * wxs[x];
          o[x] = (top + (bot - top) * wy) * s + b;
        }
      }
    }
  }
}

}  // namespace

void letterbox_cpu(const ImageView& src, const LetterboxParams& p, const Normalize& norm,
                   float* dst) {
  if (p.new_w > kMaxWidth) return;  // rejected earlier by the task's input-size check
  if (src.channels() == 1) {
    letterbox_rows<1>(src, p, norm, dst);
  } else {
    letterbox_rows<3>(src, p, norm, dst);
  }
}

}  // namespace percept
