#include "percept/imgproc/rectify.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "percept/core/simd.hpp"

namespace percept {

namespace {

constexpr size_t kPad = 8;  // gather planes end in slack for 4-byte stores past the row

using M3 = std::array<double, 9>;

M3 mul3(const M3& a, const M3& b) {
  M3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return c;
}

M3 inv3(const M3& m) {
  const double d = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                   m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (d == 0) throw Error(ErrorCode::invalid_argument, "rectification: P[:3, :3] * R is singular");
  const double s = 1.0 / d;
  return {(m[4] * m[8] - m[5] * m[7]) * s, (m[2] * m[7] - m[1] * m[8]) * s,
          (m[1] * m[5] - m[2] * m[4]) * s, (m[5] * m[6] - m[3] * m[8]) * s,
          (m[0] * m[8] - m[2] * m[6]) * s, (m[2] * m[3] - m[0] * m[5]) * s,
          (m[3] * m[7] - m[4] * m[6]) * s, (m[1] * m[6] - m[0] * m[7]) * s,
          (m[0] * m[4] - m[1] * m[3]) * s};
}

}  // namespace

RectifyMaps rectify_maps(const CameraInfo& cam) {
  RectifyMaps m;
  m.width = cam.width;
  m.height = cam.height;
  const size_t n = static_cast<size_t>(cam.width) * static_cast<size_t>(cam.height);
  m.map_x.resize(n);
  m.map_y.resize(n);
  const M3 Ar = {cam.P[0], cam.P[1], cam.P[2], cam.P[4], cam.P[5],
                 cam.P[6], cam.P[8], cam.P[9], cam.P[10]};
  const M3 ir = inv3(mul3(Ar, cam.R));
  const double fx = cam.K[0], fy = cam.K[4], u0 = cam.K[2], v0 = cam.K[5];
  const auto& D = cam.D;
  // OpenCV's order of operations (initUndistortRectifyMap, fisheye::initUndistortRectifyMap):
  // the ray of pixel (j, i) is accumulated along the row, then distorted and projected with K.
  for (int i = 0; i < cam.height; ++i) {
    double x_ = i * ir[1] + ir[2], y_ = i * ir[4] + ir[5], w_ = i * ir[7] + ir[8];
    float* mx = m.map_x.data() + static_cast<size_t>(i) * static_cast<size_t>(cam.width);
    float* my = m.map_y.data() + static_cast<size_t>(i) * static_cast<size_t>(cam.width);
    for (int j = 0; j < cam.width; ++j, x_ += ir[0], y_ += ir[3], w_ += ir[6]) {
      double u, v;
      if (cam.model == DistortionModel::equidistant) {
        if (w_ <= 0) {
          const double inf = std::numeric_limits<double>::infinity();
          u = x_ > 0 ? -inf : inf;
          v = y_ > 0 ? -inf : inf;
        } else {
          const double x = x_ / w_, y = y_ / w_;
          const double r = std::sqrt(x * x + y * y);
          const double theta = std::atan(r);
          const double t2 = theta * theta, t4 = t2 * t2, t6 = t4 * t2, t8 = t4 * t4;
          const double theta_d = theta * (1 + D[0] * t2 + D[1] * t4 + D[2] * t6 + D[3] * t8);
          const double scale = r == 0 ? 1.0 : theta_d / r;
          u = fx * x * scale + u0;
          v = fy * y * scale + v0;
        }
      } else {
        // D = k1 k2 p1 p2 k3 k4 k5 k6 (zeros where the model has fewer).
        const double w = 1. / w_, x = x_ * w, y = y_ * w;
        const double x2 = x * x, y2 = y * y, r2 = x2 + y2, xy2 = 2 * x * y;
        const double kr = (1 + ((D[4] * r2 + D[1]) * r2 + D[0]) * r2) /
                          (1 + ((D[7] * r2 + D[6]) * r2 + D[5]) * r2);
        u = fx * (x * kr + D[2] * xy2 + D[3] * (r2 + 2 * x2)) + u0;
        v = fy * (y * kr + D[2] * (r2 + 2 * y2) + D[3] * xy2) + v0;
      }
      mx[j] = static_cast<float>(u);
      my[j] = static_cast<float>(v);
    }
  }
  return m;
}

void Remapper::set_maps(const RectifyMaps& maps) {
  if (maps.width < 1 || maps.height < 1 ||
      maps.map_x.size() != static_cast<size_t>(maps.width) * static_cast<size_t>(maps.height) ||
      maps.map_y.size() != maps.map_x.size())
    throw Error(ErrorCode::invalid_argument, "remap: maps are empty or not width x height");
  w_ = maps.width;
  h_ = maps.height;
  taps_.resize(maps.map_x.size());
  gather_.assign(6 * (static_cast<size_t>(w_) * 3 + kPad), 0);
  fixups_.assign(static_cast<size_t>(w_), 0);
  // The source size is not known yet; tap() only needs it to clamp far-away values, which
  // int16 holds for any source up to 16384 pixels (OpenCV saturates to int16 too).
  for (size_t i = 0; i < taps_.size(); ++i) {
    const rectify_math::Tap t = rectify_math::tap(maps.map_x[i], maps.map_y[i], 16384, 16384);
    taps_[i] = {static_cast<int16_t>(t.x0), static_cast<int16_t>(t.y0), static_cast<uint8_t>(t.fx),
                static_cast<uint8_t>(t.fy)};
  }
}

namespace {

// One destination row with C channels known at compile time, so that the channel loop unrolls
// and the four taps' addresses are computed once per pixel.
template <int C>
void remap_row(const uint8_t* src, int sw, int sh, long stride, const Remapper::PackedTap* tp,
               int w, uint8_t* out) {
  const unsigned wlim = static_cast<unsigned>(sw - 1), hlim = static_cast<unsigned>(sh - 1);
  for (int x = 0; x < w; ++x, out += C) {
    const Remapper::PackedTap t = tp[x];
    if (static_cast<unsigned>(t.x0) < wlim && static_cast<unsigned>(t.y0) < hlim) {
      // All four taps inside: the common case, no border checks.
      const uint8_t* p = src + t.y0 * stride + t.x0 * C;
      const uint8_t* q = p + stride;
      const int fx = t.fx, fy = t.fy;
      for (int k = 0; k < C; ++k)
        out[k] = rectify_math::blend(p[k], p[k + C], q[k], q[k + C], fx, fy);
    } else {
      const rectify_math::Tap tt{t.x0, t.y0, t.fx, t.fy};
      for (int k = 0; k < C; ++k) out[k] = rectify_math::sample(src, sw, sh, stride, C, tt, k);
    }
  }
}

// Pass 2 of a three-channel row: n = 3 w elements, each the blend of its four gathered samples
// with its pixel's weights; rectify_math::blend's integers, in a loop GCC vectorises.
PERCEPT_VECTOR_CLONES
void blend_planes(const uint8_t* a, const uint8_t* b, const uint8_t* c, const uint8_t* d,
                  const uint8_t* fx, const uint8_t* fy, int n, uint8_t* out) {
  for (int i = 0; i < n; ++i) {
    // top and bot lie in [0, 8160]: 16-bit lanes; the vertical blend needs 32.
    const int16_t top = static_cast<int16_t>((a[i] << 5) + (b[i] - a[i]) * fx[i]);
    const int16_t bot = static_cast<int16_t>((c[i] << 5) + (d[i] - c[i]) * fx[i]);
    out[i] = static_cast<uint8_t>(((top << 5) + (bot - top) * fy[i] + 512) >> 10);
  }
}

}  // namespace

// A three-channel row in two passes. Pass 1 (per pixel, scalar): four 4-byte copies (the
// pixel's three channels and one more byte) of the 2x2 neighbourhood into planes a, b, c, d,
// and the weights replicated per channel; a 4-byte load reads one byte past the neighbourhood,
// so the tap whose lower-right pixel ends the image, and every tap that reaches the border,
// is left to a scalar fix-up after pass 2.
void Remapper::remap_row3(const ImageView& src, long stride, const PackedTap* tp,
                          uint8_t* out) const {
  const size_t plane = static_cast<size_t>(w_) * 3 + kPad;
  uint8_t* a = gather_.data();
  uint8_t* b = a + plane;
  uint8_t* c = b + plane;
  uint8_t* d = c + plane;
  uint8_t* fx = d + plane;
  uint8_t* fy = fx + plane;
  const int sw = src.width, sh = src.height;
  const unsigned wlim = static_cast<unsigned>(sw - 1), hlim = static_cast<unsigned>(sh - 1);
  int n_fix = 0;
  for (int x = 0; x < w_; ++x) {
    const PackedTap t = tp[x];
    const size_t i = static_cast<size_t>(x) * 3;
    if (static_cast<unsigned>(t.x0) < wlim && static_cast<unsigned>(t.y0) < hlim &&
        !(t.x0 == sw - 2 && t.y0 == sh - 2)) {
      const uint8_t* p = src.data + t.y0 * stride + t.x0 * 3;
      std::memcpy(a + i, p, 4);
      std::memcpy(b + i, p + 3, 4);
      std::memcpy(c + i, p + stride, 4);
      std::memcpy(d + i, p + stride + 3, 4);
    } else {
      fixups_[static_cast<size_t>(n_fix++)] = x;
    }
    const uint32_t rx = t.fx * 0x01010101u, ry = t.fy * 0x01010101u;
    std::memcpy(fx + i, &rx, 4);
    std::memcpy(fy + i, &ry, 4);
  }
  blend_planes(a, b, c, d, fx, fy, w_ * 3, out);
  for (int k = 0; k < n_fix; ++k) {
    const int x = fixups_[static_cast<size_t>(k)];
    const PackedTap t = tp[x];
    const rectify_math::Tap tt{t.x0, t.y0, t.fx, t.fy};
    for (int ch = 0; ch < 3; ++ch)
      out[x * 3 + ch] = rectify_math::sample(src.data, sw, sh, stride, 3, tt, ch);
  }
}

Status Remapper::remap(const ImageView& src, Image& dst) const {
  if (taps_.empty()) return Error(ErrorCode::invalid_argument, "remap: no maps set");
  if (src.empty()) return Error(ErrorCode::invalid_argument, "remap: empty source image");
  if (src.width > 16384 || src.height > 16384)
    return Error(ErrorCode::invalid_argument, "remap: source larger than 16384 pixels");
  const int C = src.channels();
  if (src.stride < static_cast<size_t>(src.width) * static_cast<size_t>(C))
    return Error(ErrorCode::invalid_argument, "remap: source stride smaller than a row");
  dst.resize(w_, h_, src.format);
  const long stride = static_cast<long>(src.stride);
  for (int y = 0; y < h_; ++y) {
    const PackedTap* tp = taps_.data() + static_cast<size_t>(y) * static_cast<size_t>(w_);
    if (C == 3)
      remap_row3(src, stride, tp, dst.row(y));
    else
      remap_row<1>(src.data, src.width, src.height, stride, tp, w_, dst.row(y));
  }
  return {};
}

}  // namespace percept
