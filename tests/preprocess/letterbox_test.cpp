#include "percept/preprocess/letterbox.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

#include "percept/io/image_io.hpp"

namespace percept {
namespace {

// Expected values computed by hand with Ultralytics' LetterBox rules.
TEST(LetterboxParams, MatchesUltralyticsGeometry) {
  auto p = letterbox_params(1920, 1080, 640, 640);
  EXPECT_EQ(p.new_w, 640);
  EXPECT_EQ(p.new_h, 360);
  EXPECT_EQ(p.pad_left, 0);
  EXPECT_EQ(p.pad_top, 140);

  p = letterbox_params(500, 375, 640, 640);  // upscale 1.28
  EXPECT_EQ(p.new_w, 640);
  EXPECT_EQ(p.new_h, 480);
  EXPECT_EQ(p.pad_top, 80);

  p = letterbox_params(640, 481, 640, 640);  // odd padding: 79 above, 80 below
  EXPECT_EQ(p.new_h, 481);
  EXPECT_EQ(p.pad_top, 79);

  p = letterbox_params(1280, 721, 640, 640);  // 360.5 rounds half to even, as Python does
  EXPECT_EQ(p.new_h, 360);
  EXPECT_EQ(p.pad_top, 140);

  p = letterbox_params(300, 600, 320, 320);  // portrait: padding left and right
  EXPECT_EQ(p.new_w, 160);
  EXPECT_EQ(p.new_h, 320);
  EXPECT_EQ(p.pad_left, 80);
  EXPECT_EQ(p.pad_top, 0);
}

TEST(LetterboxParams, BoxRoundTrip) {
  for (auto [w, h] : {std::pair{1920, 1080}, {640, 480}, {333, 777}, {64, 64}, {1, 1000}}) {
    auto p = letterbox_params(w, h, 640, 640);
    Box b{0.1f * w, 0.2f * h, 0.7f * w, 0.9f * h};
    Box r = p.to_source(p.to_input(b));
    EXPECT_NEAR(r.x1, b.x1, 1e-3 * w) << w << "x" << h;
    EXPECT_NEAR(r.y1, b.y1, 1e-3 * h);
    EXPECT_NEAR(r.x2, b.x2, 1e-3 * w);
    EXPECT_NEAR(r.y2, b.y2, 1e-3 * h);
  }
}

TEST(LetterboxParams, ToSourceClipsToFrame) {
  auto p = letterbox_params(1920, 1080, 640, 640);
  Box r = p.to_source({-10, 100, 700, 650});  // beyond the padding on every side
  EXPECT_FLOAT_EQ(r.x1, 0);
  EXPECT_FLOAT_EQ(r.y1, 0);
  EXPECT_FLOAT_EQ(r.x2, 1920);
  EXPECT_FLOAT_EQ(r.y2, 1080);
}

cv::Mat random_image(int w, int h, unsigned seed) {
  cv::Mat m(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(m, m, {5, 5}, 1.5);  // natural images are smooth; keeps rounding honest
  return m;
}

// The OpenCV chain percept replaces: resize + copyMakeBorder + blobFromImage.
cv::Mat opencv_letterbox(const cv::Mat& bgr, const LetterboxParams& p) {
  cv::Mat resized, padded;
  cv::resize(bgr, resized, {p.new_w, p.new_h}, 0, 0, cv::INTER_LINEAR);
  cv::copyMakeBorder(resized, padded, p.pad_top, p.dst_h - p.new_h - p.pad_top, p.pad_left,
                     p.dst_w - p.new_w - p.pad_left, cv::BORDER_CONSTANT, {114, 114, 114});
  return cv::dnn::blobFromImage(padded, 1.0 / 255, {}, {}, /*swapRB=*/true, false, CV_32F);
}

// CPU reference check: every output value within 1.5/255 of OpenCV (which rounds the resized
// image to 8 bits and uses 11-bit fixed-point weights; percept interpolates in float), the
// padding exact, and the mean difference far below one grey level.
TEST(Letterbox, AgreesWithOpenCvChain) {
  for (auto [w, h, dst] : {std::tuple{1920, 1080, 640},
                           {640, 480, 320},
                           {300, 200, 640},
                           {517, 333, 320},
                           {200, 600, 256}}) {
    cv::Mat src = random_image(w, h, static_cast<unsigned>(w * 31 + h));
    Image img;
    ASSERT_TRUE(image_from_mat(src, img).ok());
    auto p = letterbox_params(w, h, dst, dst);
    std::vector<float> ours(static_cast<size_t>(3) * dst * dst, -1.f);
    letterbox_cpu(img.view(), p, Normalize{}, ours.data());
    cv::Mat ref = opencv_letterbox(src, p);
    const auto* r = ref.ptr<float>();
    double max_diff = 0, sum_diff = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      const double d = std::abs(static_cast<double>(ours[i]) - r[i]);
      max_diff = std::max(max_diff, d);
      sum_diff += d;
    }
    EXPECT_LE(max_diff, 1.5 / 255) << w << "x" << h << " -> " << dst;
    EXPECT_LE(sum_diff / ours.size(), 0.3 / 255) << w << "x" << h << " -> " << dst;
    // Padding rows and columns hold exactly 114/255.
    const size_t plane = static_cast<size_t>(dst) * dst;
    if (p.pad_top > 0) {
      EXPECT_FLOAT_EQ(ours[plane + 0], 114.f / 255);
    }
    if (p.pad_left > 0) {
      EXPECT_FLOAT_EQ(ours[2 * plane + static_cast<size_t>(dst) * (dst / 2)], 114.f / 255);
    }
  }
}

// The vector path against the scalar reference: the same taps and weights, so only FMA
// rounding may differ. Sizes cover exact columns (1920 -> 640), fractional weights, upscaling,
// odd widths whose row end falls back to the scalar loop, and RGB input.
TEST(Letterbox, VectorPathMatchesScalarReference) {
  if (!letterbox_simd_available()) GTEST_SKIP() << "no vector path on this CPU";
  for (auto [w, h, dst] : {std::tuple{1920, 1080, 640},
                           {1280, 720, 640},
                           {300, 200, 640},
                           {517, 333, 320},
                           {13, 7, 64},
                           {640, 480, 640}}) {
    cv::Mat src = random_image(w, h, static_cast<unsigned>(w + h));
    for (PixelFormat fmt : {PixelFormat::bgr8, PixelFormat::rgb8}) {
      Image img;
      ASSERT_TRUE(image_from_mat(src, img).ok());
      ImageView v = img.view();
      v.format = fmt;
      auto p = letterbox_params(w, h, dst, dst);
      std::vector<float> fast(static_cast<size_t>(3) * dst * dst, -1.f), ref(fast.size(), -2.f);
      letterbox_cpu(v, p, Normalize{}, fast.data(), true);
      letterbox_cpu(v, p, Normalize{}, ref.data(), false);
      double max_diff = 0;
      for (size_t i = 0; i < fast.size(); ++i)
        max_diff = std::max(max_diff, std::abs(static_cast<double>(fast[i]) - ref[i]));
      EXPECT_LE(max_diff, 1e-5) << w << "x" << h << " -> " << dst;
    }
  }
}

TEST(Letterbox, ChannelOrderAndNormalisation) {
  // A 2x2 pure blue BGR image: R plane 0, B plane 1 after the default BGR -> RGB swap.
  Image img(2, 2, PixelFormat::bgr8);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x) {
      uint8_t* px = img.row(y) + 3 * x;
      px[0] = 255, px[1] = 0, px[2] = 0;
    }
  auto p = letterbox_params(2, 2, 4, 4);
  std::vector<float> out(48);
  letterbox_cpu(img.view(), p, Normalize{}, out.data());
  EXPECT_FLOAT_EQ(out[0], 0.f);   // R
  EXPECT_FLOAT_EQ(out[16], 0.f);  // G
  EXPECT_FLOAT_EQ(out[32], 1.f);  // B
  Normalize keep_bgr;
  keep_bgr.rgb = false;
  keep_bgr.scale = {2.f, 2.f, 2.f};
  keep_bgr.bias = {-1.f, -1.f, -1.f};
  letterbox_cpu(img.view(), p, keep_bgr, out.data());
  EXPECT_FLOAT_EQ(out[0], 2.f * 255 - 1);  // plane 0 is B now, scaled and biased
  EXPECT_FLOAT_EQ(out[32], -1.f);
}

TEST(Letterbox, GrayIsRepeatedIntoThreePlanes) {
  Image img(3, 3, PixelFormat::gray8);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) img.row(y)[x] = static_cast<uint8_t>(10 * (3 * y + x));
  auto p = letterbox_params(3, 3, 6, 6);
  std::vector<float> out(108);
  letterbox_cpu(img.view(), p, Normalize{}, out.data());
  for (int i = 0; i < 36; ++i) {
    EXPECT_FLOAT_EQ(out[i], out[36 + i]);
    EXPECT_FLOAT_EQ(out[i], out[72 + i]);
  }
}

}  // namespace
}  // namespace percept
