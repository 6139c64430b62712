// Rectification against OpenCV: the maps against cv::initUndistortRectifyMap (and
// cv::fisheye's), the remap against cv::remap(INTER_LINEAR, BORDER_CONSTANT) with the same maps.
#include <gtest/gtest.h>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include <random>
#include <string>

#include "percept/imgproc/rectify.hpp"

using namespace percept;

namespace {

const std::string kData = std::string(PERCEPT_TEST_DATA) + "/camera_info/";

CameraInfo load(const std::string& name) {
  auto cam = load_camera_info(kData + name);
  if (!cam.ok()) throw Error(cam.error().message());
  return *cam;
}

void opencv_maps(const CameraInfo& c, cv::Mat& mx, cv::Mat& my) {
  const cv::Mat K(3, 3, CV_64F, const_cast<double*>(c.K.data()));
  const cv::Mat R(3, 3, CV_64F, const_cast<double*>(c.R.data()));
  const cv::Mat P(3, 4, CV_64F, const_cast<double*>(c.P.data()));
  const cv::Size size(c.width, c.height);
  if (c.model == DistortionModel::equidistant) {
    const cv::Mat D(1, 4, CV_64F, const_cast<double*>(c.D.data()));
    cv::fisheye::initUndistortRectifyMap(K, D, R, P.colRange(0, 3), size, CV_32FC1, mx, my);
  } else {
    const int n = c.model == DistortionModel::plumb_bob ? 5 : 8;
    const cv::Mat D(1, n, CV_64F, const_cast<double*>(c.D.data()));
    cv::initUndistortRectifyMap(K, D, R, P.colRange(0, 3), size, CV_32FC1, mx, my);
  }
}

// A textured test image: random blocks plus fine noise, so that bilinear weights matter.
cv::Mat random_image(int w, int h, int type, uint32_t seed) {
  cv::Mat small(h / 8 + 1, w / 8 + 1, type), img;
  cv::RNG rng(seed);
  rng.fill(small, cv::RNG::UNIFORM, 0, 256);
  cv::resize(small, img, cv::Size(w, h), 0, 0, cv::INTER_NEAREST);
  cv::Mat noise(h, w, type);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 40);
  cv::add(img, noise, img);
  return img;
}

ImageView view_of(const cv::Mat& m) {
  return {m.data, m.cols, m.rows, m.step,
          m.channels() == 1 ? PixelFormat::gray8 : PixelFormat::bgr8};
}

// Values differing from OpenCV at all, and the largest difference.
std::pair<long, int> compare(const Image& ours, const cv::Mat& ref) {
  long over = 0;
  int worst = 0;
  const int n = ref.cols * ref.channels();
  for (int y = 0; y < ref.rows; ++y)
    for (int i = 0; i < n; ++i) {
      const int d = std::abs(int(ours.view().row(y)[i]) - int(ref.ptr<uint8_t>(y)[i]));
      worst = std::max(worst, d);
      over += d > 0;
    }
  return {over, worst};
}

}  // namespace

TEST(Rectify, MapsMatchOpenCV) {
  for (const char* name :
       {"plumb_bob_640x480.yaml", "rational_1280x720.yaml", "equidistant_640x480.yaml"}) {
    const CameraInfo cam = load(name);
    const RectifyMaps m = rectify_maps(cam);
    cv::Mat mx, my;
    opencv_maps(cam, mx, my);
    ASSERT_EQ(mx.cols, m.width);
    ASSERT_EQ(mx.rows, m.height);
    double worst = 0;
    for (int y = 0; y < m.height; ++y)
      for (int x = 0; x < m.width; ++x) {
        const size_t i = static_cast<size_t>(y) * m.width + x;
        const float ox = mx.at<float>(y, x), oy = my.at<float>(y, x);
        if (!std::isfinite(ox) || !std::isfinite(oy)) {
          EXPECT_EQ(ox, m.map_x[i]);
          continue;
        }
        worst = std::max(
            {worst, std::fabs(double(ox) - m.map_x[i]), std::fabs(double(oy) - m.map_y[i])});
      }
    // Both compute in double and store float: they differ by float rounding at most.
    EXPECT_LT(worst, 1e-3) << name;
    // And the maps do something: the distortion moves pixels by several pixels.
    double moved = 0;
    for (int x = 0; x < m.width; ++x) moved = std::max(moved, std::fabs(double(m.map_x[x]) - x));
    EXPECT_GT(moved, 5.0) << name;
  }
}

TEST(Rectify, RemapMatchesOpenCV) {
  for (const char* name :
       {"plumb_bob_640x480.yaml", "rational_1280x720.yaml", "equidistant_640x480.yaml"}) {
    const CameraInfo cam = load(name);
    const RectifyMaps maps = rectify_maps(cam);
    const Remapper rm(maps);
    const cv::Mat mx(maps.height, maps.width, CV_32F, const_cast<float*>(maps.map_x.data()));
    const cv::Mat my(maps.height, maps.width, CV_32F, const_cast<float*>(maps.map_y.data()));
    for (int type : {CV_8UC3, CV_8UC1}) {
      const cv::Mat src =
          random_image(cam.width, cam.height, type, 7u + static_cast<uint32_t>(type));
      cv::Mat ref;
      cv::remap(src, ref, mx, my, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar());
      Image ours;
      ASSERT_TRUE(rm.remap(view_of(src), ours).ok());
      ASSERT_EQ(ours.width(), ref.cols);
      ASSERT_EQ(ours.height(), ref.rows);
      const auto [over, worst] = compare(ours, ref);
      // Same fixed-point arithmetic as OpenCV: equal everywhere is expected; the stated
      // tolerance is 1 level, on at most 1 in 10,000 values (a rounding bias of half a level
      // would change about half of them).
      EXPECT_LE(over, static_cast<long>(ref.total() * ref.channels() / 10000)) << name;
      EXPECT_LE(worst, 1) << name << " channels " << ref.channels();
    }
  }
}

TEST(Rectify, RemapOfRandomMapsAndStridedSource) {
  // Maps that reach outside the source on every side (border taps read 0), NaN and huge
  // values, and a source with padding at the end of each row.
  std::mt19937 g(3);
  std::uniform_real_distribution<float> u(-3.f, 100.f);
  RectifyMaps maps;
  maps.width = 71;
  maps.height = 53;
  for (int i = 0; i < 71 * 53; ++i) {
    maps.map_x.push_back(u(g));
    maps.map_y.push_back(u(g) * 0.8f);
  }
  maps.map_x[5] = NAN;
  maps.map_y[6] = 1e9f;
  maps.map_x[7] = -1e9f;
  const cv::Mat full = random_image(120, 80, CV_8UC3, 11);
  const cv::Mat src = full(cv::Rect(0, 0, 97, 78));  // stride > width * 3
  const cv::Mat mx(53, 71, CV_32F, maps.map_x.data()), my(53, 71, CV_32F, maps.map_y.data());
  cv::Mat ref;
  cv::remap(src, ref, mx, my, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar());
  Image ours;
  ASSERT_TRUE(Remapper(maps).remap(view_of(src), ours).ok());
  const auto [over, worst] = compare(ours, ref);
  EXPECT_EQ(over, 0);
  EXPECT_LE(worst, 1);
}

TEST(Rectify, RemapRejectsBadInput) {
  Remapper none;
  Image out;
  uint8_t px[3] = {};
  EXPECT_FALSE(none.remap({px, 1, 1, 3, PixelFormat::bgr8}, out).ok());
  const Remapper rm(rectify_maps(load("plumb_bob_640x480.yaml")));
  EXPECT_FALSE(rm.remap({}, out).ok());
  EXPECT_FALSE(rm.remap({px, 2, 1, 3, PixelFormat::bgr8}, out).ok());  // stride < row
}
