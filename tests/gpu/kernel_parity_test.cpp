// CUDA kernels against their CPU references (STYLE 10), on random inputs of several shapes.
// Label gpu: without a device every test is skipped with the reason (never counted as passed).
//
// Tolerances. The kernels share their per-element math with the CPU code (letterbox_math.hpp,
// resample_math.hpp) and are built with --fmad=false, so they round as baseline x86-64 code
// does: letterbox float32 is expected bit-equal to letterbox_cpu's scalar path. PlaneResampler's
// vertical blend is compiled twice (core/simd.hpp) and contracted into an FMA on AVX2 machines,
// so the resampling references differ from the kernels by up to an ulp there. The tests allow
//   letterbox float32: |gpu - cpu| <= 1e-5 (values are O(1): ImageNet-normalised or /255);
//   letterbox float16: the float32 reference rounded to half: |gpu - cpu| <= 2^-11 |cpu| + 2^-24;
//   depth: |gpu - cpu| <= 1e-6 * max |input| (a blend of large inputs can land near 0);
//   segmentation: a differing class id only where the two classes' resampled logits (for a
//   binary mask: the logit and the threshold) are within 1e-5 relative (a near-tie, at most 1
//   pixel in 10,000), and per-class pixel counts off by no more than the number of such pixels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "device_buffers.hpp"
#include "gpu_test_util.hpp"
#include "parity.hpp"
#include "percept/core/depth_colour_math.hpp"
#include "percept/core/inferno_lut.hpp"
#include "percept/gpu/cuda.hpp"
#include "percept/preprocess/cuda/letterbox_cuda.hpp"
#include "percept/preprocess/letterbox.hpp"
#include "percept/tasks/cuda/depth_colour_cuda.hpp"
#include "percept/tasks/cuda/plane_resample_cuda.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/segment/segment_task.hpp"

using namespace percept;
using percept::test::compare_kernel;
using percept::test::compare_values;
using percept::test::DeviceBuffers;
using percept::test::KernelTolerance;
using percept::test::rng;

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1u, exp = (h >> 10) & 31u, man = h & 1023u;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31)
    v = man ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(man | 1024u), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

struct LetterboxCase {
  int src_w, src_h, dst_w, dst_h;
  PixelFormat format;
  bool rgb;
  bool imagenet;
};

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

std::string name_of(const LetterboxCase& c) {
  const char* f = c.format == PixelFormat::bgr8   ? "bgr"
                  : c.format == PixelFormat::rgb8 ? "rgb"
                                                  : "gray";
  return std::to_string(c.src_w) + "x" + std::to_string(c.src_h) + " " + f + " -> " +
         std::to_string(c.dst_w) + "x" + std::to_string(c.dst_h) + (c.rgb ? " rgb" : " bgr") +
         (c.imagenet ? " imagenet" : " /255");
}

}  // namespace

TEST(DevicePool, ReusesBlocksOnItsStreamAndSurvivesAnImpossibleAllocation) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  void* first = nullptr;
  {
    auto a = g.pool().allocate(3 * 640 * 640 * 4, g.stream());
    ASSERT_TRUE(a.ok()) << a.error().message();
    first = a->data();
  }
  auto b = g.pool().allocate(3 * 640 * 640 * 4, g.stream());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data(), first);
  EXPECT_EQ(g.pool().stats().cache_hits, 1u);
  // 1 PiB: cudaMalloc fails, the pool releases its cache, retries, and answers with an error.
  auto huge = g.pool().allocate(size_t{1} << 50, g.stream());
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("out of memory"), std::string::npos)
      << huge.error().message();
  // The device is still usable afterwards.
  auto c = g.pool().allocate(1 << 20, g.stream());
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_OK(gpu::check(cudaMemsetAsync(c->data(), 0, 1 << 20, g.stream()), "memset"));
  ASSERT_NO_THROW(g.synchronize());
}

TEST(LetterboxCuda, MatchesTheCpuReference) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  const std::vector<LetterboxCase> cases = {
      {1920, 1080, 640, 640, PixelFormat::bgr8, true, false},
      {1280, 720, 640, 384, PixelFormat::bgr8, true, false},
      {640, 480, 640, 640, PixelFormat::rgb8, true, true},
      {640, 480, 640, 640, PixelFormat::rgb8, false, false},
      {333, 517, 320, 320, PixelFormat::bgr8, false, true},
      {7, 5, 64, 64, PixelFormat::bgr8, true, false},  // upscale
      {721, 405, 518, 518, PixelFormat::gray8, true, true},
      {1, 1, 32, 32, PixelFormat::rgb8, true, false},
  };
  std::uniform_int_distribution<int> byte(0, 255);
  for (const LetterboxCase& c : cases) {
    SCOPED_TRACE(name_of(c));
    const int ch = channels_of(c.format);
    const size_t stride = static_cast<size_t>(c.src_w) * ch + 13;  // rows not packed
    std::vector<uint8_t> pixels(stride * c.src_h);
    for (auto& v : pixels) v = static_cast<uint8_t>(byte(rng()));
    const ImageView host{pixels.data(), c.src_w, c.src_h, stride, c.format};
    const LetterboxParams p = letterbox_params(c.src_w, c.src_h, c.dst_w, c.dst_h);
    Normalize n;
    n.rgb = c.rgb;
    if (c.imagenet) {
      const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
      for (size_t k = 0; k < 3; ++k) {
        n.scale[k] = 1.f / (255.f * sd[k]);
        n.bias[k] = -mean[k] / sd[k];
      }
    }
    const size_t count = 3 * static_cast<size_t>(c.dst_w) * c.dst_h;
    std::vector<float> ref(count);
    letterbox_cpu(host, p, n, ref.data(), /*allow_simd=*/false);

    // Both outputs from one upload, each compared with the same reference.
    std::vector<float> got16;
    auto device = [&] {
      gpu::DeviceBuffer src = g.upload(pixels.data(), pixels.size());
      const ImageView dev{src.as<uint8_t>(), c.src_w, c.src_h, stride, c.format};
      gpu::DeviceBuffer out32 = g.output(count * 4);
      gpu::DeviceBuffer out16 = g.output(count * 2);
      letterbox_cuda(dev, p, n, out32.data(), DType::f32, g.stream()).throw_if_error();
      letterbox_cuda(dev, p, n, out16.data(), DType::f16, g.stream()).throw_if_error();
      for (uint16_t h : g.download<uint16_t>(out16, count)) got16.push_back(half_to_float(h));
      return g.download<float>(out32, count);
    };
    EXPECT_KERNEL(compare_kernel(
        "letterbox float32", [&] { return ref; }, device, KernelTolerance::max_abs(1e-5)));
    // float16: the float32 reference rounded to half: |gpu - cpu| <= 2^-11 |cpu| + 2^-24.
    EXPECT_KERNEL(compare_values(
        ref, got16, KernelTolerance::abs_rel(std::ldexp(1.0, -24), std::ldexp(1.0, -11))))
        << "letterbox float16";
  }
}

TEST(DepthToFrameCuda, MatchesTheCpuReference) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  struct Case {
    int frame_w, frame_h, in_w, in_h, out_w, out_h;
    bool letterbox;
  };
  const Case cases[] = {{1280, 720, 518, 518, 518, 518, true},
                        {640, 480, 518, 392, 518, 392, false},
                        {1920, 1080, 640, 640, 160, 160, true},
                        {33, 17, 64, 64, 64, 64, true}};
  std::uniform_real_distribution<float> val(0.f, 50.f);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.frame_w) + "x" + std::to_string(c.frame_h) + " from " +
                 std::to_string(c.out_w) + "x" + std::to_string(c.out_h));
    const LetterboxParams p =
        c.letterbox ? letterbox_params(c.frame_w, c.frame_h, c.in_w, c.in_h)
                    : LetterboxParams{c.frame_w, c.frame_h, c.in_w, c.in_h, c.in_w, c.in_h, 0, 0};
    std::vector<float> plane(static_cast<size_t>(c.out_w) * c.out_h);
    for (auto& v : plane) v = val(rng());
    DepthMap ref;
    PlaneResampler rs;
    depth_to_frame(plane.data(), c.out_w, c.out_h, p, DepthUnit::relative, ref, rs);

    const size_t n = static_cast<size_t>(c.frame_w) * c.frame_h;
    EXPECT_KERNEL(compare_kernel(
        "depth_to_frame", [&] { return ref.values; },
        [&] {
          gpu::DeviceBuffer src = g.upload(plane);
          gpu::DeviceBuffer dst = g.output(n * 4);
          depth_to_frame_cuda(src.as<float>(), c.out_w, c.out_h, p, dst.as<float>(), g.stream())
              .throw_if_error();
          return g.download<float>(dst, n);
        },
        KernelTolerance::max_abs(1e-6f * 50.f)));  // inputs lie in [0, 50)
  }
}

TEST(SegmentationToFrameCuda, MatchesTheCpuReference) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  struct Case {
    int frame_w, frame_h, in_w, in_h, out_w, out_h, classes;
    bool letterbox;
  };
  const Case cases[] = {{1280, 720, 512, 512, 64, 64, 21, true},
                        {640, 480, 520, 520, 520, 520, 21, false},
                        {640, 480, 256, 256, 32, 32, 3, true},
                        {800, 600, 256, 256, 256, 256, 1, false},
                        {97, 61, 128, 128, 16, 16, 150, true}};
  std::normal_distribution<float> logit(0.f, 3.f);
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.classes) + " classes, " + std::to_string(c.frame_w) + "x" +
                 std::to_string(c.frame_h) + " from " + std::to_string(c.out_w) + "x" +
                 std::to_string(c.out_h));
    const LetterboxParams p =
        c.letterbox ? letterbox_params(c.frame_w, c.frame_h, c.in_w, c.in_h)
                    : LetterboxParams{c.frame_w, c.frame_h, c.in_w, c.in_h, c.in_w, c.in_h, 0, 0};
    std::vector<float> logits(static_cast<size_t>(c.classes) * c.out_w * c.out_h);
    for (auto& v : logits) v = logit(rng());
    SegmentationMap ref;
    SegmentScratch scratch;
    segmentation_to_frame(logits.data(), c.classes, c.out_w, c.out_h, p, 0.4f, ref, scratch);

    const size_t n = static_cast<size_t>(c.frame_w) * c.frame_h;
    const int n_classes = std::max(c.classes, 2);
    std::vector<uint32_t> got_counts;
    const PlaneGrid grid = plane_grid(c.out_w, c.out_h, p);
    // A differing class id is excused only at a near-tie of the two classes' logits.
    auto tie = [&](size_t i, uint8_t cpu, uint8_t dev) {
      const int x = static_cast<int>(i % static_cast<size_t>(c.frame_w));
      const int y = static_cast<int>(i / static_cast<size_t>(c.frame_w));
      return near_tie(logits.data(), c.classes, mask_logit_threshold(0.4f), grid, x, y, dev, cpu);
    };
    const auto map = compare_kernel(
        "segmentation_to_frame class map", [&] { return ref.classes; },
        [&] {
          gpu::DeviceBuffer src = g.upload(logits);
          gpu::DeviceBuffer classes = g.output(n);
          gpu::DeviceBuffer counts = g.output(static_cast<size_t>(n_classes) * 4);
          segmentation_to_frame_cuda(src.as<float>(), c.classes, c.out_w, c.out_h, p, 0.4f,
                                     classes.as<uint8_t>(), counts.as<uint32_t>(), g.stream())
              .throw_if_error();
          got_counts = g.download<uint32_t>(counts, static_cast<size_t>(n_classes));
          return g.download<uint8_t>(classes, n);
        },
        KernelTolerance::exact(), tie,
        [&](size_t i) {
          return "pixel (" + std::to_string(i % static_cast<size_t>(c.frame_w)) + ", " +
                 std::to_string(i / static_cast<size_t>(c.frame_w)) + ")";
        });
    EXPECT_KERNEL(map) << "of " << n << " pixels";
    EXPECT_LE(map.excused, n / 10000 + 1);
    // Per-class pixel counts against the reference's fractions, off by no more than the ties.
    std::vector<double> want(static_cast<size_t>(n_classes)), got(want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      want[k] = ref.fractions[k] * static_cast<double>(n);
      got[k] = k < got_counts.size() ? got_counts[k] : NAN;
    }
    EXPECT_KERNEL(compare_values(want, got,
                                 KernelTolerance::max_abs(static_cast<double>(map.excused) + 0.5),
                                 {}, [](size_t k) { return "class " + std::to_string(k); }));
  }
}

// The depth picture against the CPU's per-pixel math (colorize_depth runs the same math and
// table, and io_tests checks it byte for byte against the OpenCV recipe): holes, infinities,
// negative values, a flat map and a map with no finite value, into rows with padding.
TEST(ColorizeDepthCuda, MatchesTheCpuReference) {
  SKIP_WITHOUT_GPU();
  DeviceBuffers g;
  struct Case {
    int w, h;
    bool metres;
    int kind;  // 0 random with holes, 1 flat, 2 no finite value
  };
  const Case cases[] = {{1280, 720, true, 0},
                        {517, 333, false, 0},
                        {64, 48, true, 1},
                        {31, 7, false, 2},
                        {1920, 1080, false, 0}};
  std::uniform_real_distribution<float> val(-5.f, 80.f);
  std::uniform_int_distribution<int> hole(0, 15);
  const float inf = std::numeric_limits<float>::infinity();
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.w) + "x" + std::to_string(c.h) + " kind " +
                 std::to_string(c.kind));
    const size_t n = static_cast<size_t>(c.w) * c.h;
    std::vector<float> depth(n);
    for (float& v : depth) {
      const int k = hole(rng());
      v = c.kind == 1   ? 3.25f
          : c.kind == 2 ? std::nanf("")
          : k == 0      ? std::nanf("")
          : k == 1      ? inf
          : k == 2      ? -inf
                        : val(rng());
    }
    // The reference: colorize_depth's loop, over the same shared functions and table.
    float lo = 0, hi = 0;
    bool first = true;
    for (float v : depth)
      if (finite_f(v)) {
        lo = first ? v : std::min(lo, v);
        hi = first ? v : std::max(hi, v);
        first = false;
      }
    const size_t stride = static_cast<size_t>(c.w) * 3 + 5;  // padded rows stay untouched
    std::vector<uint8_t> want(stride * c.h, 0xFF);
    for (int y = 0; y < c.h; ++y)
      for (int x = 0; x < c.w; ++x) {
        const uint8_t grey =
            depth_grey(depth[static_cast<size_t>(y) * c.w + x], lo, depth_span(lo, hi), c.metres);
        const Bgr8 col = grey ? kInfernoBgr[grey] : Bgr8{0, 0, 0};
        uint8_t* o = want.data() + y * stride + x * 3;
        o[0] = col.b;
        o[1] = col.g;
        o[2] = col.r;
      }
    EXPECT_KERNEL(compare_kernel(
        "colorize_depth", [&] { return want; },
        [&] {
          gpu::DeviceBuffer src = g.upload(depth);
          gpu::DeviceBuffer dst = g.output(stride * c.h);
          gpu::DeviceBuffer scratch = g.output(kDepthColourScratchBytes);
          colorize_depth_cuda(src.as<float>(), c.w, c.h, c.metres, scratch.data(),
                              dst.as<uint8_t>(), stride, g.stream())
              .throw_if_error();
          return g.download<uint8_t>(dst, stride * c.h);
        },
        KernelTolerance::exact(), {}, [](size_t i) { return "byte " + std::to_string(i); }));
  }
}
