// The remap and Gaussian CUDA kernels against their CPU references (Remapper, GaussianBlur) on
// random images (fresh seed each run), outputs poisoned first. Label gpu: without a device
// every test is skipped with the reason (never counted as passed). Device buffers come from
// the kernel tests' one helper, tests/gpu/device_buffers.hpp.
// Tolerance: none. Both sides are integer fixed point with the same per-pixel code
// (rectify_math.hpp, gaussian_math.hpp); only the remap's tap (rintf of map * 32) involves a
// float, and it is one IEEE multiply by a power of two and a round-to-nearest-even, which the
// device does exactly as the host. So every byte must be equal.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../gpu/device_buffers.hpp"
#include "../gpu/gpu_test_util.hpp"
#include "percept/gpu/cuda.hpp"
#include "percept/imgproc/camera_info.hpp"
#include "percept/imgproc/cuda/imgproc_cuda.hpp"
#include "percept/imgproc/gaussian.hpp"
#include "percept/imgproc/rectify.hpp"
#include "test_cameras.hpp"

using namespace percept;
using percept::test::DeviceBuffers;
using percept::test::random_image;
using percept::test::rng;

namespace {

long count_differences(const std::vector<uint8_t>& got, const Image& ref, size_t stride) {
  long d = 0;
  const size_t row = static_cast<size_t>(ref.width()) * ref.view().channels();
  for (int y = 0; y < ref.height(); ++y)
    for (size_t i = 0; i < row; ++i) d += got[y * stride + i] != ref.view().row(y)[i];
  return d;
}

}  // namespace

TEST(RemapCuda, EqualsRemapper) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  for (const CameraInfo& cam : test::test_cameras())
    for (PixelFormat f : {PixelFormat::bgr8, PixelFormat::gray8}) {
      const std::string& name = cam.camera_name;
      const RectifyMaps maps = rectify_maps(cam);
      const Image src = random_image(cam.width, cam.height, f);
      Image ref;
      ASSERT_OK(Remapper(maps).remap(src.view(), ref));
      const size_t src_bytes = src.stride() * static_cast<size_t>(src.height());
      auto d_src = g.upload(src.view().data, src_bytes);
      auto d_mx = g.upload(maps.map_x.data(), maps.map_x.size() * sizeof(float));
      auto d_my = g.upload(maps.map_y.data(), maps.map_y.size() * sizeof(float));
      const int C = src.view().channels();
      const size_t dst_stride = static_cast<size_t>(maps.width) * C + 16;  // padded rows
      auto d_dst = g.output(dst_stride * maps.height, 0xA5);
      ImageView dsrc = src.view();
      dsrc.data = static_cast<const uint8_t*>(d_src.data());
      ASSERT_OK(remap_cuda(dsrc, static_cast<const float*>(d_mx.data()),
                           static_cast<const float*>(d_my.data()), maps.width, maps.height,
                           static_cast<uint8_t*>(d_dst.data()), dst_stride, g.stream()));
      const auto got = g.download<uint8_t>(d_dst, dst_stride * maps.height);
      EXPECT_EQ(count_differences(got, ref, dst_stride), 0) << name << " channels " << C;
    }
}

TEST(GaussianCuda, EqualsGaussianBlur) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  struct Case {
    int w, h;
    PixelFormat f;
    double sigma;
  };
  const Case cases[] = {{1280, 720, PixelFormat::bgr8, 1.2},
                        {640, 480, PixelFormat::gray8, 3.0},
                        {333, 97, PixelFormat::bgr8, 10.0},
                        {5, 3, PixelFormat::rgb8, 0.8}};
  for (const Case& cs : cases) {
    const Image src = random_image(cs.w, cs.h, cs.f);
    GaussianBlur blur(cs.sigma);
    Image ref;
    ASSERT_OK(blur.apply(src.view(), ref));
    const int C = src.view().channels();
    auto d_src = g.upload(src.view().data, src.stride() * static_cast<size_t>(cs.h));
    auto d_scratch =
        g.output(gaussian_cuda_scratch_elements(cs.w, cs.h, C) * sizeof(uint16_t), 0xA5);
    const size_t dst_stride = static_cast<size_t>(cs.w) * C + 8;
    auto d_dst = g.output(dst_stride * cs.h, 0xA5);
    ImageView dsrc = src.view();
    dsrc.data = static_cast<const uint8_t*>(d_src.data());
    ASSERT_OK(gaussian_cuda(dsrc, blur.kernel(), static_cast<uint16_t*>(d_scratch.data()),
                            static_cast<uint8_t*>(d_dst.data()), dst_stride, g.stream()));
    const auto got = g.download<uint8_t>(d_dst, dst_stride * cs.h);
    EXPECT_EQ(count_differences(got, ref, dst_stride), 0)
        << cs.w << "x" << cs.h << " sigma " << cs.sigma;
  }
}
