#include "percept/preprocess/letterbox.hpp"

#include "percept/preprocess/letterbox_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PERCEPT_HAVE_AVX2 1
#else
#define PERCEPT_HAVE_AVX2 0
#endif

namespace percept {

LetterboxParams letterbox_params(int src_w, int src_h, int dst_w, int dst_h) {
  LetterboxParams p;
  p.src_w = src_w;
  p.src_h = src_h;
  p.dst_w = dst_w;
  p.dst_h = dst_h;
  double r = std::min(static_cast<double>(dst_w) / src_w, static_cast<double>(dst_h) / src_h);
  // Python's round() (what Ultralytics uses) rounds halves to even: 721 * 0.5 -> 360, not 361.
  // nearbyint does the same in the default rounding mode; lround would not.
  p.new_w = std::clamp(static_cast<int>(std::nearbyint(src_w * r)), 1, dst_w);
  p.new_h = std::clamp(static_cast<int>(std::nearbyint(src_h * r)), 1, dst_h);
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

using letterbox_math::bilinear;
using letterbox_math::normalise;
using letterbox_math::Tap;
using letterbox_math::tap;

constexpr int kMaxWidth = kLetterboxMaxWidth;

// Columns [from, n) of one output row of a 3-channel source; output plane k takes source
// channel sh[k] / 8. This scalar loop is the reference; row_rgb_avx2 does the same 8 columns
// at a time and leaves the rest (the row's end) to this loop.
void row_rgb(const uint8_t* r0, const uint8_t* r1, float wy, const int* x0s, const int* x1s,
             const float* wxs, int from, int n, const int sh[3], const float s[3], const float b[3],
             float* const o[3]) {
  for (int x = from; x < n; ++x) {
    for (int k = 0; k < 3; ++k) {
      const int c = sh[k] / 8;
      const float a = r0[x0s[x] + c], d = r0[x1s[x] + c];
      const float e = r1[x0s[x] + c], f = r1[x1s[x] + c];
      o[k][x] = normalise(bilinear(a, d, e, f, wxs[x], wy), s[k], b[k]);
    }
  }
}

#if PERCEPT_HAVE_AVX2
// One 8-bit channel of 8 packed pixels as floats.
__attribute__((target("avx2,fma"))) inline __m256 channel_avx2(__m256i px, __m128i shift,
                                                               __m256i mask) {
  return _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srl_epi32(px, shift), mask));
}

// 8 unaligned 32-bit words at byte offsets off[0..7] of p. Plain loads and inserts beat
// vpgatherdd on the AMD cores this was measured on.
__attribute__((target("avx2,fma"))) inline __m256i load8(const uint8_t* p, const int* off) {
  auto w = [&](int k) {
    int32_t v;
    std::memcpy(&v, p + off[k], 4);
    return v;
  };
  return _mm256_setr_epi32(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
}

// AVX2: 32-bit loads fetch the left and right neighbours of 8 output pixels (all three
// channels at once, as 32-bit words: only columns [0, n_fast), whose 4-byte reads stay inside
// the row), shifts and masks split the channels, FMAs interpolate. Skips the second
// source row when the vertical weight is 0 (exact rows, e.g. 1080 -> 360). Returns the first
// column it did not do.
__attribute__((target("avx2,fma"))) int row_rgb_avx2(const uint8_t* r0, const uint8_t* r1, float wy,
                                                     const int* x0s, const int* x1s,
                                                     const float* wxs, bool exact_columns,
                                                     int n_fast, const int sh[3], const float s[3],
                                                     const float b[3], float* const o[3]) {
  const __m256i mask = _mm256_set1_epi32(255);
  const __m256 vwy = _mm256_set1_ps(wy);
  const __m128i shift[3] = {_mm_cvtsi32_si128(sh[0]), _mm_cvtsi32_si128(sh[1]),
                            _mm_cvtsi32_si128(sh[2])};
  int x = 0;
  for (; x + 8 <= n_fast; x += 8) {
    const __m256 w = _mm256_loadu_ps(wxs + x);
    const __m256i a = load8(r0, x0s + x);
    // The pixel loads dominate the cost: skip the right neighbours when no column weighs them
    // (odd integer downscales such as 1920 -> 640 sample exact pixels) and the second row
    // when the vertical weight is 0.
    const __m256i c = exact_columns ? a : load8(r0, x1s + x);
    __m256i d = a, e = c;
    if (wy != 0.f) {
      d = load8(r1, x0s + x);
      e = exact_columns ? d : load8(r1, x1s + x);
    }
    for (int k = 0; k < 3; ++k) {
      const __m256 fa = channel_avx2(a, shift[k], mask), fc = channel_avx2(c, shift[k], mask);
      __m256 v = _mm256_fmadd_ps(_mm256_sub_ps(fc, fa), w, fa);
      if (wy != 0.f) {
        const __m256 fd = channel_avx2(d, shift[k], mask);
        const __m256 fe = channel_avx2(e, shift[k], mask);
        const __m256 bot = _mm256_fmadd_ps(_mm256_sub_ps(fe, fd), w, fd);
        v = _mm256_fmadd_ps(_mm256_sub_ps(bot, v), vwy, v);
      }
      _mm256_storeu_ps(o[k] + x, _mm256_fmadd_ps(v, _mm256_set1_ps(s[k]), _mm256_set1_ps(b[k])));
    }
  }
  return x;
}
#endif

void row_gray(const uint8_t* r0, const uint8_t* r1, float wy, const int* x0s, const int* x1s,
              const float* wxs, int n, const float s[3], const float b[3], float* o0, float* o1,
              float* o2) {
  for (int x = 0; x < n; ++x) {
    const float a = r0[x0s[x]], d = r0[x1s[x]], e = r1[x0s[x]], f = r1[x1s[x]];
    const float v = bilinear(a, d, e, f, wxs[x], wy);
    o0[x] = normalise(v, s[0], b[0]);
    o1[x] = normalise(v, s[1], b[1]);
    o2[x] = normalise(v, s[2], b[2]);
  }
}

}  // namespace

bool letterbox_simd_available() {
#if PERCEPT_HAVE_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2;
#else
  return false;
#endif
}

void letterbox_cpu(const ImageView& src, const LetterboxParams& p, const Normalize& n, float* dst,
                   bool allow_simd) {
  const int C = src.channels();
  [[maybe_unused]] const bool use_avx2 = allow_simd && letterbox_simd_available();
  const size_t plane = static_cast<size_t>(p.dst_w) * p.dst_h;
  // Output plane k takes source channel src_ch[k]: swap R and B when the orders differ.
  const bool swap = C == 3 && ((src.format == PixelFormat::rgb8) != n.rgb);
  const int sh[3] = {swap ? 16 : 0, 8, swap ? 0 : 16};
  float* planes[3] = {dst, dst + plane, dst + 2 * plane};
  float pad[3];
  for (int k = 0; k < 3; ++k) pad[k] = n.pad_value * n.scale[k] + n.bias[k];

  // Column taps for the resized part, as byte offsets into a source row. Stack tables: the
  // frame path does not allocate (callers keep inputs within kLetterboxMaxWidth).
  int x0s[kMaxWidth], x1s[kMaxWidth];
  float wxs[kMaxWidth];
  const int new_w = std::min(p.new_w, kMaxWidth);
  const double inv_x = static_cast<double>(p.src_w) / new_w;
  const int row_bytes = src.width * C;
  int n_fast = 0;
  bool exact_columns = true;  // every column samples one source pixel (all weights 0)
  for (int x = 0; x < new_w; ++x) {
    Tap t = tap(x, inv_x, p.src_w);
    x0s[x] = t.i0 * C;
    x1s[x] = t.i1 * C;
    wxs[x] = t.w;
    exact_columns = exact_columns && t.w == 0.f;
    if (x1s[x] + 4 <= row_bytes) n_fast = x + 1;  // taps only grow with x
  }
  const double inv_y = static_cast<double>(p.src_h) / p.new_h;
  const int right = p.pad_left + new_w;

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
    if (C == 3) {
      int done = 0;
#if PERCEPT_HAVE_AVX2
      if (use_avx2)
        done = row_rgb_avx2(r0, r1, ty.w, x0s, x1s, wxs, exact_columns, n_fast, sh, n.scale.data(),
                            n.bias.data(), out);
#endif
      row_rgb(r0, r1, ty.w, x0s, x1s, wxs, done, new_w, sh, n.scale.data(), n.bias.data(), out);
    } else {
      row_gray(r0, r1, ty.w, x0s, x1s, wxs, new_w, n.scale.data(), n.bias.data(), out[0], out[1],
               out[2]);
    }
  }
}

}  // namespace percept
