#include "percept/imgproc/gaussian.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "percept/core/simd.hpp"

namespace percept {

namespace {

using gaussian_math::Kernel;

// OpenCV's getGaussianKernelBitExact in double (it uses soft-float; the kernels agree to the
// last bits of a double, far below the 1/256 the fixed-point kernel keeps).
std::vector<double> kernel_double(int n, double sigma) {
  if (sigma <= 0) {
    switch (n) {
      case 1:
        return {1.0};
      case 3:
        return {0.25, 0.5, 0.25};
      case 5:
        return {0.0625, 0.25, 0.375, 0.25, 0.0625};
      case 7:
        return {0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125};
      case 9:
        return {4 / 256.,  13 / 256., 30 / 256., 51 / 256., 60 / 256.,
                51 / 256., 30 / 256., 13 / 256., 4 / 256.};
      default:
        break;
    }
  }
  const double sx = sigma > 0 ? sigma : n * 0.15 + 0.35;
  const double scale2 = -0.125 / (sx * sx);
  const int n2 = (n - 1) / 2;
  std::vector<double> v(static_cast<size_t>(n));
  double sum = 0;
  for (int i = 0, x = 1 - n; i < n2; ++i, x += 2) {
    v[static_cast<size_t>(i)] = std::exp(static_cast<double>(x * x) * scale2);
    sum += v[static_cast<size_t>(i)];
  }
  sum = sum * 2 + 1;
  const double mul = 1.0 / sum;
  for (int i = 0; i < n2; ++i) {
    v[static_cast<size_t>(i)] *= mul;
    v[static_cast<size_t>(n - 1 - i)] = v[static_cast<size_t>(i)];
  }
  v[static_cast<size_t>(n2)] = mul;
  return v;
}

// The horizontal pass over one padded row: out[i] = sum_j k[j] * pad[i + j * C] for the
// n = W * C elements of the row. uint16 arithmetic wraps, but the true sum is at most
// 255 * 256 < 65536, so it is exact; symmetric taps are added first (half the multiplies).
PERCEPT_VECTOR_CLONES
void horizontal(const uint8_t* pad, int n, int C, const Kernel& k, uint16_t* out) {
  const int r = (k.n - 1) / 2;
  const uint16_t kc = k.k[r];
  const uint8_t* c = pad + r * C;
  for (int i = 0; i < n; ++i) out[i] = static_cast<uint16_t>(kc * c[i]);
  for (int j = 0; j < r; ++j) {
    const uint16_t kj = k.k[j];
    const uint8_t* a = pad + j * C;
    const uint8_t* b = pad + (k.n - 1 - j) * C;
    for (int i = 0; i < n; ++i) out[i] = static_cast<uint16_t>(out[i] + kj * (a[i] + b[i]));
  }
}

// The vertical pass over a chunk of n elements: rows[j] points at horizontal row y + j - r.
PERCEPT_VECTOR_CLONES
void vertical(const uint16_t* const* rows, int n, const Kernel& k, uint32_t* acc, uint8_t* out) {
  const int r = (k.n - 1) / 2;
  const uint32_t kc = k.k[r];
  const uint16_t* c = rows[r];
  for (int i = 0; i < n; ++i) acc[i] = kc * c[i];
  for (int j = 0; j < r; ++j) {
    const uint32_t kj = k.k[j];
    const uint16_t* a = rows[j];
    const uint16_t* b = rows[k.n - 1 - j];
    for (int i = 0; i < n; ++i) acc[i] += kj * (static_cast<uint32_t>(a[i]) + b[i]);
  }
  for (int i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((acc[i] + (1u << 15)) >> 16);
}

constexpr int kChunk = 1024;  // vertical sums kept in L1

}  // namespace

int gaussian_ksize(double sigma) {
  return static_cast<int>(std::lround(sigma * 3 * 2 + 1)) | 1;
}

Kernel gaussian_kernel(double sigma, int ksize) {
  if (!(sigma >= 0) || !std::isfinite(sigma))
    throw Error(ErrorCode::invalid_argument, "gaussian: sigma must be >= 0");
  if (ksize <= 0) {
    if (sigma <= 0)
      throw Error(ErrorCode::invalid_argument, "gaussian: sigma or ksize must be > 0");
    ksize = gaussian_ksize(sigma);
  }
  if (ksize % 2 == 0 || ksize > gaussian_math::kMaxTaps)
    throw Error(ErrorCode::invalid_argument,
                "gaussian: ksize " + std::to_string(ksize) +
                    " must be odd and <= " + std::to_string(gaussian_math::kMaxTaps) +
                    " (sigma <= 10 with ksize from sigma)");
  const std::vector<double> kd = kernel_double(ksize, sigma);
  // OpenCV's getGaussianKernelFixedPoint_ED: round with error diffusion from the outside in,
  // the centre takes what is left so that the taps sum to exactly 256.
  Kernel k;
  k.n = ksize;
  const int n2 = ksize / 2;
  double err = 0;
  int sum = 0;
  for (int i = 0; i < n2; ++i) {
    const double adj = kd[static_cast<size_t>(i)] * 256 + err;
    const long v = std::lrint(adj);  // cvRound: to nearest, ties to even
    err = adj - static_cast<double>(v);
    k.k[i] = k.k[ksize - 1 - i] = static_cast<uint16_t>(v);
    sum += static_cast<int>(v);
  }
  k.k[n2] = static_cast<uint16_t>(256 - 2 * sum);
  return k;
}

Status GaussianBlur::apply(const ImageView& src, Image& dst) {
  if (src.empty()) return Error(ErrorCode::invalid_argument, "gaussian: empty source image");
  const int C = src.channels(), W = src.width, H = src.height, n = k_.n, r = (n - 1) / 2;
  if (src.stride < static_cast<size_t>(W) * static_cast<size_t>(C))
    return Error(ErrorCode::invalid_argument, "gaussian: source stride smaller than a row");
  dst.resize(W, H, src.format);
  const size_t row = static_cast<size_t>(W) * static_cast<size_t>(C);
  pad_.resize(row + 2 * static_cast<size_t>(r * C));
  ring_.resize(static_cast<size_t>(n) * row);
  acc_.resize(kChunk);
  const uint16_t* rows[gaussian_math::kMaxTaps];
  int next = 0;  // next source row to filter horizontally into ring slot next % n
  for (int y = 0; y < H; ++y) {
    // The ring holds the last n filtered rows: all rows output y needs (at most n distinct).
    for (const int last = std::min(y + r, H - 1); next <= last; ++next) {
      const uint8_t* s = src.row(next);
      uint8_t* p = pad_.data();
      for (int i = 0; i < r; ++i) std::memcpy(p + i * C, s, static_cast<size_t>(C));
      std::memcpy(p + r * C, s, row);
      for (int i = 0; i < r; ++i)
        std::memcpy(p + r * C + static_cast<long>(row) + i * C, s + row - static_cast<size_t>(C),
                    static_cast<size_t>(C));
      horizontal(p, static_cast<int>(row), C, k_,
                 ring_.data() + static_cast<size_t>(next % n) * row);
    }
    for (int j = 0; j < n; ++j) {
      const int s = gaussian_math::replicate(y + j - r, H);
      rows[j] = ring_.data() + static_cast<size_t>(s % n) * row;
    }
    uint8_t* out = dst.row(y);
    for (size_t i0 = 0; i0 < row; i0 += kChunk) {
      const int m = static_cast<int>(std::min<size_t>(kChunk, row - i0));
      const uint16_t* chunk[gaussian_math::kMaxTaps];
      for (int j = 0; j < n; ++j) chunk[j] = rows[j] + i0;
      vertical(chunk, m, k_, acc_.data(), out + i0);
    }
  }
  return {};
}

}  // namespace percept
