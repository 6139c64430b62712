// The fixed-point Gaussian blur against cv::GaussianBlur(BORDER_REPLICATE) on 8-bit images.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "percept/imgproc/gaussian.hpp"

using namespace percept;

namespace {

ImageView view_of(const cv::Mat& m) {
  return {m.data, m.cols, m.rows, m.step,
          m.channels() == 1 ? PixelFormat::gray8 : PixelFormat::bgr8};
}

}  // namespace

TEST(Gaussian, KernelSizeFromSigmaAsOpenCV) {
  EXPECT_EQ(gaussian_ksize(0.5), 5);  // round(4) | 1
  EXPECT_EQ(gaussian_ksize(1.2), 9);  // round(8.2) | 1
  EXPECT_EQ(gaussian_ksize(2.0), 13);
  for (double s : {0.3, 0.8, 1.2, 2.5, 5.0, 10.0}) {
    const auto k = gaussian_kernel(s);
    int sum = 0;
    for (int i = 0; i < k.n; ++i) sum += k.k[i];
    EXPECT_EQ(sum, 256) << s;
    // The double kernel OpenCV reports, for the same size, within the 8-bit rounding.
    const cv::Mat ref = cv::getGaussianKernel(k.n, s, CV_64F);
    for (int i = 0; i < k.n; ++i) EXPECT_NEAR(k.k[i] / 256.0, ref.at<double>(i), 1.5 / 256) << s;
  }
  EXPECT_THROW(gaussian_kernel(0.0), Error);
  EXPECT_THROW(gaussian_kernel(1.0, 4), Error);
  EXPECT_THROW(gaussian_kernel(20.0), Error);
}

TEST(Gaussian, MatchesOpenCV) {
  cv::RNG rng(5);
  for (double sigma : {0.6, 1.2, 2.0, 3.7, 8.0})
    for (int type : {CV_8UC3, CV_8UC1})
      for (auto [w, h] : {std::pair{640, 480}, std::pair{97, 31}, std::pair{7, 5}}) {
        cv::Mat src(h, w, type);
        rng.fill(src, cv::RNG::UNIFORM, 0, 256);
        cv::Mat ref;
        cv::GaussianBlur(src, ref, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
        GaussianBlur blur(sigma);
        Image ours;
        ASSERT_TRUE(blur.apply(view_of(src), ours).ok());
        long over = 0, differ = 0;
        const int n = w * src.channels();
        for (int y = 0; y < h; ++y)
          for (int i = 0; i < n; ++i) {
            const int d = std::abs(int(ours.view().row(y)[i]) - int(ref.ptr<uint8_t>(y)[i]));
            over += d > 1;
            differ += d > 0;
          }
        // Bit-exact fixed point like OpenCV's: equal expected; within 1 level required.
        EXPECT_EQ(over, 0) << "sigma " << sigma << " " << w << "x" << h << " c" << src.channels();
        EXPECT_LE(differ, static_cast<long>(src.total()) / 1000)
            << "sigma " << sigma << " " << w << "x" << h << " c" << src.channels();
      }
}

TEST(Gaussian, ExplicitKernelSize) {
  cv::Mat src(60, 80, CV_8UC3);
  cv::RNG(9).fill(src, cv::RNG::UNIFORM, 0, 256);
  for (int ksize : {3, 5, 7, 9, 15}) {
    cv::Mat ref;
    cv::GaussianBlur(src, ref, cv::Size(ksize, ksize), 0, 0, cv::BORDER_REPLICATE);
    GaussianBlur blur(0.0, ksize);
    Image ours;
    ASSERT_TRUE(blur.apply(view_of(src), ours).ok());
    int worst = 0;
    for (int y = 0; y < 60; ++y)
      for (int i = 0; i < 240; ++i)
        worst = std::max(worst, std::abs(int(ours.view().row(y)[i]) - int(ref.ptr<uint8_t>(y)[i])));
    EXPECT_LE(worst, 1) << ksize;
  }
}
