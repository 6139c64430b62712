// Separable Gaussian blur of 8-bit interleaved images (bgr8, rgb8, gray8), border replicate,
// in fixed point: bit-equal to cv::GaussianBlur(src, dst, {ksize, ksize}, sigma, sigma,
// BORDER_REPLICATE) on 8-bit images (gaussian_math.hpp says why). The CPU code here is the
// reference of the CUDA kernels (imgproc/cuda/imgproc_cuda.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "percept/core/error.hpp"
#include "percept/core/image.hpp"
#include "percept/imgproc/gaussian_math.hpp"

namespace percept {

// OpenCV's kernel size for 8-bit images when none is given: round(6 sigma + 1), made odd.
int gaussian_ksize(double sigma);

// The fixed-point kernel OpenCV uses for 8-bit images (its getGaussianKernelBitExact rounded
// to 8 fractional bits with error diffusion). ksize 0: from sigma. sigma <= 0: from ksize,
// as OpenCV. Throws percept::Error when sigma and ksize give no kernel, or ksize > 63.
gaussian_math::Kernel gaussian_kernel(double sigma, int ksize = 0);

// Row-wise: a padded source row and a ring of ksize horizontal sums; apply() allocates nothing
// once it has seen an image of that width. Not thread-safe: one GaussianBlur per thread.
class GaussianBlur {
 public:
  explicit GaussianBlur(const gaussian_math::Kernel& k) : k_(k) {}
  explicit GaussianBlur(double sigma, int ksize = 0) : k_(gaussian_kernel(sigma, ksize)) {}
  const gaussian_math::Kernel& kernel() const { return k_; }

  // dst: src's size and format; src and dst must not overlap.
  Status apply(const ImageView& src, Image& dst);

 private:
  gaussian_math::Kernel k_;
  std::vector<uint8_t> pad_;    // one source row with r replicated pixels on each side
  std::vector<uint16_t> ring_;  // ksize horizontal rows
  std::vector<uint32_t> acc_;   // vertical sums of one chunk
};

}  // namespace percept
