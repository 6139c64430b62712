// The CUDA kernels' per-pixel code run on the CPU over every pixel, against the CPU references:
// the launchers' set-up (letterbox_cuda_args, plane_grid) and the per-thread math
// (letterbox_math::pixel, sample_plane, argmax_at) are checked here, without a GPU. What only a
// GPU can check (launch geometry, float16 stores, the shared-memory histogram, device rounding)
// is left to kernel_parity_test.cpp.
//
// Letterbox: bit-equal (letterbox_cpu's scalar path and the emulation are both baseline
// x86-64 code). Resampling: PlaneResampler's vertical blend is compiled twice (core/simd.hpp),
// and on an AVX2 machine GCC contracts it into an FMA (its C++ default), so the reference
// rounds differently from the plain-multiply kernel math by up to an ulp of the inputs: values
// are compared within 1e-6 of the largest input, and a differing class id must be a near-tie
// (see near_tie).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "percept/preprocess/cuda/letterbox_cuda.hpp"
#include "percept/tasks/cuda/plane_resample_cuda.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/segment/segment_task.hpp"

using namespace percept;
using percept::test::rng;

namespace {

// Whether frame pixel (x, y) is a near-tie, where the last bit of rounding may pick either
// answer: the resampled logits of classes a and b within 1e-5 relative of each other, or, for a
// binary mask (one plane), the logit within that of the threshold.
bool near_tie(const float* logits, int classes, float threshold, const PlaneGrid& g, int x, int y,
              int a, int b) {
  const Tap tx = bilinear_tap(x, g.ax), ty = bilinear_tap(y, g.ay);
  const long plane = static_cast<long>(g.w) * g.h;
  const float va = sample_plane(logits + (classes == 1 ? 0 : a) * plane, g.w, tx, ty);
  const float vb = classes == 1 ? threshold : sample_plane(logits + b * plane, g.w, tx, ty);
  return std::fabs(va - vb) <= 1e-5f * (1.f + std::fabs(va));
}

LetterboxParams geometry(int fw, int fh, int iw, int ih, bool letterbox) {
  return letterbox ? letterbox_params(fw, fh, iw, ih)
                   : LetterboxParams{fw, fh, iw, ih, iw, ih, 0, 0};
}

}  // namespace

TEST(KernelEmulation, LetterboxPixelsEqualLetterboxCpu) {
  struct Case {
    int sw, sh, dw, dh;
    PixelFormat f;
    bool rgb;
  };
  const Case cases[] = {{1920, 1080, 640, 640, PixelFormat::bgr8, true},
                        {640, 480, 640, 640, PixelFormat::rgb8, true},
                        {640, 480, 320, 320, PixelFormat::rgb8, false},
                        {333, 517, 320, 320, PixelFormat::bgr8, false},
                        {7, 5, 64, 64, PixelFormat::bgr8, true},
                        {721, 405, 518, 518, PixelFormat::gray8, true},
                        {1, 1, 32, 32, PixelFormat::rgb8, true}};
  std::uniform_int_distribution<int> byte(0, 255);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.sw) + "x" + std::to_string(c.sh) + " -> " + std::to_string(c.dw) +
                 "x" + std::to_string(c.dh));
    const int ch = channels_of(c.f);
    const size_t stride = static_cast<size_t>(c.sw) * ch + 7;
    std::vector<uint8_t> px(stride * c.sh);
    for (auto& v : px) v = static_cast<uint8_t>(byte(rng()));
    const ImageView img{px.data(), c.sw, c.sh, stride, c.f};
    const LetterboxParams p = letterbox_params(c.sw, c.sh, c.dw, c.dh);
    Normalize n;
    n.rgb = c.rgb;
    n.scale = {0.017f, 0.0175f, 0.0174f};
    n.bias = {-2.1f, -2.03f, -1.8f};
    const size_t plane = static_cast<size_t>(c.dw) * c.dh;
    std::vector<float> ref(3 * plane), got(3 * plane);
    letterbox_cpu(img, p, n, ref.data(), /*allow_simd=*/false);
    const letterbox_math::Args a = letterbox_cuda_args(img, p, n, DType::f32);
    for (int y = 0; y < c.dh; ++y)
      for (int x = 0; x < c.dw; ++x) {
        float v[3];
        letterbox_math::pixel(a, x, y, v);
        for (size_t k = 0; k < 3; ++k) got[k * plane + static_cast<size_t>(y) * c.dw + x] = v[k];
      }
    size_t differ = 0;
    for (size_t i = 0; i < got.size(); ++i) differ += std::memcmp(&got[i], &ref[i], 4) != 0;
    EXPECT_EQ(differ, 0u);
  }
}

TEST(KernelEmulation, DepthSamplesEqualDepthToFrame) {
  struct Case {
    int fw, fh, iw, ih, ow, oh;
    bool letterbox;
  };
  const Case cases[] = {{1280, 720, 518, 518, 518, 518, true},
                        {640, 480, 518, 392, 518, 392, false},
                        {1920, 1080, 640, 640, 160, 160, true},
                        {33, 17, 64, 64, 64, 64, true}};
  std::uniform_real_distribution<float> val(0.f, 50.f);
  for (const Case& c : cases) {
    const LetterboxParams p = geometry(c.fw, c.fh, c.iw, c.ih, c.letterbox);
    std::vector<float> plane(static_cast<size_t>(c.ow) * c.oh);
    for (auto& v : plane) v = val(rng());
    DepthMap ref;
    PlaneResampler rs;
    depth_to_frame(plane.data(), c.ow, c.oh, p, DepthUnit::relative, ref, rs);
    const PlaneGrid g = plane_grid(c.ow, c.oh, p);
    ASSERT_EQ(g.dst_w, c.fw);
    ASSERT_EQ(g.dst_h, c.fh);
    size_t differ = 0;
    for (int y = 0; y < c.fh; ++y)
      for (int x = 0; x < c.fw; ++x) {
        const float v =
            sample_plane(plane.data(), g.w, bilinear_tap(x, g.ax), bilinear_tap(y, g.ay));
        const float r = ref.values[static_cast<size_t>(y) * c.fw + x];
        differ += !(std::fabs(v - r) <= 1e-6f * 50.f);  // inputs lie in [0, 50)
      }
    EXPECT_EQ(differ, 0u) << c.fw << "x" << c.fh;
  }
}

TEST(KernelEmulation, ArgmaxEqualsSegmentationToFrame) {
  struct Case {
    int fw, fh, iw, ih, ow, oh, classes;
    bool letterbox;
  };
  const Case cases[] = {{1280, 720, 512, 512, 64, 64, 21, true},
                        {640, 480, 520, 520, 520, 520, 21, false},
                        {640, 480, 256, 256, 32, 32, 3, true},
                        {800, 600, 256, 256, 256, 256, 1, false},
                        {97, 61, 128, 128, 16, 16, 150, true}};
  std::normal_distribution<float> logit(0.f, 3.f);
  for (const Case& c : cases) {
    const LetterboxParams p = geometry(c.fw, c.fh, c.iw, c.ih, c.letterbox);
    std::vector<float> logits(static_cast<size_t>(c.classes) * c.ow * c.oh);
    for (auto& v : logits) v = logit(rng());
    SegmentationMap ref;
    SegmentScratch scratch;
    segmentation_to_frame(logits.data(), c.classes, c.ow, c.oh, p, 0.4f, ref, scratch);
    const PlaneGrid g = plane_grid(c.ow, c.oh, p);
    const float threshold = mask_logit_threshold(0.4f);
    size_t differ = 0, ties = 0;
    for (int y = 0; y < c.fh; ++y)
      for (int x = 0; x < c.fw; ++x) {
        const int id = argmax_at(logits.data(), c.classes, g, threshold, x, y);
        const int want = ref.classes[static_cast<size_t>(y) * c.fw + x];
        if (id == want) continue;
        if (near_tie(logits.data(), c.classes, threshold, g, x, y, id, want))
          ++ties;
        else
          ++differ;
      }
    EXPECT_EQ(differ, 0u) << c.classes << " classes, " << c.fw << "x" << c.fh;
    EXPECT_LE(ties, static_cast<size_t>(c.fw) * c.fh / 10000 + 1);  // near-ties are rare
  }
}
