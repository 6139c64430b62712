// The remap and Gaussian kernels' per-pixel code (rectify_math::tap/sample,
// gaussian_math::row_element/h_dot/v_dot/v_round, as remap.cu and gaussian.cu call them) run on
// the CPU over every pixel, against the CPU references Remapper and GaussianBlur; and the
// launchers' argument checks, which return before any CUDA call. No GPU needed (label cpu);
// what only a GPU can check (launch geometry, tile loads, device rounding) is left to
// imgproc_parity_test.cpp. Integer fixed point on both sides: bit-equality is required.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../gpu/gpu_test_util.hpp"
#include "percept/imgproc/camera_info.hpp"
#include "percept/imgproc/cuda/imgproc_cuda.hpp"
#include "percept/imgproc/gaussian.hpp"
#include "percept/imgproc/rectify.hpp"
#include "test_cameras.hpp"

using namespace percept;
using percept::test::random_image;
using percept::test::rng;

namespace {}  // namespace

TEST(ImgprocKernelEmulation, RemapPixelsEqualRemapper) {
  for (const CameraInfo& cam : test::test_cameras())
    for (PixelFormat f : {PixelFormat::bgr8, PixelFormat::gray8}) {
      const std::string& name = cam.camera_name;
      const RectifyMaps maps = rectify_maps(cam);
      const Image src = random_image(cam.width, cam.height, f);
      Image ref;
      ASSERT_TRUE(Remapper(maps).remap(src.view(), ref).ok());
      const ImageView s = src.view();
      const int C = s.channels();
      long differ = 0;
      for (int y = 0; y < maps.height; ++y)
        for (int x = 0; x < maps.width; ++x) {
          // remap_kernel's body for thread (x, y).
          const size_t i = static_cast<size_t>(y) * maps.width + x;
          const rectify_math::Tap t =
              rectify_math::tap(maps.map_x[i], maps.map_y[i], s.width, s.height);
          for (int c = 0; c < C; ++c)
            differ += rectify_math::sample(s.data, s.width, s.height, static_cast<long>(s.stride),
                                           C, t, c) != ref.view().row(y)[x * C + c];
        }
      EXPECT_EQ(differ, 0) << name << " channels " << C;
    }
}

TEST(ImgprocKernelEmulation, GaussianElementsEqualGaussianBlur) {
  struct Case {
    int w, h;
    PixelFormat f;
    double sigma;
  };
  const Case cases[] = {{640, 480, PixelFormat::bgr8, 1.2},
                        {333, 97, PixelFormat::gray8, 2.5},
                        {40, 9, PixelFormat::bgr8, 10.0},
                        {5, 3, PixelFormat::rgb8, 0.8}};
  for (const Case& cs : cases) {
    const Image src = random_image(cs.w, cs.h, cs.f);
    GaussianBlur blur(cs.sigma);
    Image ref;
    ASSERT_TRUE(blur.apply(src.view(), ref).ok());
    const gaussian_math::Kernel& k = blur.kernel();
    const int C = src.view().channels(), n = cs.w * C, r = gaussian_math::radius(k);
    // gauss_h_kernel: each thread's window of the shared tile, filled by row_element.
    std::vector<uint16_t> hsum(static_cast<size_t>(n) * cs.h);
    std::vector<uint8_t> window(static_cast<size_t>(k.n) * C);
    for (int y = 0; y < cs.h; ++y)
      for (int e = 0; e < n; ++e) {
        for (int t = 0; t < (k.n - 1) * C + 1; ++t)
          window[t] = gaussian_math::row_element(src.view().row(y), cs.w, C, e - r * C + t);
        hsum[static_cast<size_t>(y) * n + e] = gaussian_math::h_dot(window.data(), C, k);
      }
    // gauss_v_kernel: each thread's column of the shared tile, rows replicated at the edges.
    std::vector<uint16_t> column(static_cast<size_t>(k.n));
    long differ = 0;
    for (int y = 0; y < cs.h; ++y)
      for (int e = 0; e < n; ++e) {
        for (int j = 0; j < k.n; ++j)
          column[j] = hsum[static_cast<size_t>(gaussian_math::replicate(y - r + j, cs.h)) * n + e];
        differ += gaussian_math::v_round(gaussian_math::v_dot(column.data(), 1, k)) !=
                  ref.view().row(y)[e];
      }
    EXPECT_EQ(differ, 0) << cs.w << "x" << cs.h << " sigma " << cs.sigma;
  }
}

TEST(ImgprocCudaArgs, RejectBadCallsBeforeTouchingTheDevice) {
  uint8_t px[64] = {};
  float map[4] = {};
  uint16_t scratch[64] = {};
  const ImageView ok{px, 4, 4, 12, PixelFormat::bgr8};
  EXPECT_TRUE(remap_cuda_validate(ok, map, map, 2, 2, px, 6).ok());
  EXPECT_FALSE(remap_cuda_validate({}, map, map, 2, 2, px, 6).ok());
  EXPECT_FALSE(remap_cuda_validate(ok, nullptr, map, 2, 2, px, 6).ok());
  EXPECT_FALSE(remap_cuda_validate(ok, map, map, 0, 2, px, 6).ok());
  EXPECT_FALSE(remap_cuda_validate(ok, map, map, 2, 2, px, 5).ok());  // stride < row
  EXPECT_FALSE(remap_cuda_validate({px, 4, 4, 8, PixelFormat::bgr8}, map, map, 2, 2, px, 6).ok());
  EXPECT_FALSE(remap_cuda_validate(ok, map, map, 2, 2, nullptr, 6).ok());
  const auto k = gaussian_kernel(1.0);
  EXPECT_TRUE(gaussian_cuda_validate(ok, k, scratch, px, 12).ok());
  EXPECT_FALSE(gaussian_cuda_validate(ok, k, nullptr, px, 12).ok());
  EXPECT_FALSE(gaussian_cuda_validate(ok, k, scratch, px, 11).ok());
  gaussian_math::Kernel even = k;
  even.n = 4;
  EXPECT_FALSE(gaussian_cuda_validate(ok, even, scratch, px, 12).ok());
  gaussian_math::Kernel heavy = k;
  heavy.k[0] += 1;  // sums to 257: the uint16 sums could overflow
  const Status s = gaussian_cuda_validate(ok, heavy, scratch, px, 12);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("gaussian (cuda): kernel sums to 257"), std::string::npos);
  // The launchers run the same checks first and return without a CUDA call.
  EXPECT_FALSE(remap_cuda({}, map, map, 2, 2, px, 6, nullptr).ok());
  EXPECT_FALSE(gaussian_cuda(ok, even, scratch, px, 12, nullptr).ok());
}
