// Rectification (remap) and Gaussian blur (docs/PERFORMANCE.md, "Rectify and blur"), percept's
// CPU stage against OpenCV in the same run, 640x480 and 1280x720 BGR, one thread on both sides
// (cv::setNumThreads(1): the stage runs on one camera's capture thread):
//   remap:    percept Remapper (taps precomputed once from the float maps)
//             | cv::remap with the same float maps, INTER_LINEAR, BORDER_CONSTANT (what the
//               rectification recipe does; OpenCV converts the maps to fixed point every call)
//             | cv::remap with maps converted once by cv::convertMaps to CV_16SC2 (OpenCV's
//               fastest use)
//   gaussian: percept GaussianBlur(1.2) | cv::GaussianBlur(sigma 1.2, BORDER_REPLICATE), both
//             9 taps, bit-equal outputs
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "percept/imgproc/gaussian.hpp"
#include "percept/imgproc/rectify.hpp"

namespace {

using namespace percept;

CameraInfo camera(int w, int h) {
  CameraInfo c;
  c.width = w;
  c.height = h;
  const double f = 0.95 * w;
  c.K = {f, 0, w / 2.0, 0, f, h / 2.0, 0, 0, 1};
  c.D = {-0.28, 0.09, 0.0007, -0.0004, -0.013, 0, 0, 0};
  c.R = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  c.P = {0.85 * f, 0, w / 2.0, 0, 0, 0.85 * f, h / 2.0, 0, 0, 0, 1, 0};
  return c;
}

cv::Mat frame(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  cv::randu(m, 0, 255);
  return m;
}

ImageView view_of(const cv::Mat& m) {
  return {m.data, m.cols, m.rows, m.step, PixelFormat::bgr8};
}

struct Once {
  Once() { cv::setNumThreads(1); }
} once;

void BM_Remap_Percept(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = static_cast<int>(st.range(1));
  const Remapper rm(rectify_maps(camera(w, h)));
  const cv::Mat src = frame(w, h);
  Image dst;
  for (auto _ : st) {
    if (!rm.remap(view_of(src), dst).ok()) st.SkipWithError("remap failed");
    benchmark::DoNotOptimize(dst.data());
  }
}

void BM_Remap_OpenCvFloatMaps(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = static_cast<int>(st.range(1));
  RectifyMaps maps = rectify_maps(camera(w, h));
  const cv::Mat mx(h, w, CV_32F, maps.map_x.data()), my(h, w, CV_32F, maps.map_y.data());
  const cv::Mat src = frame(w, h);
  cv::Mat dst;
  for (auto _ : st) {
    cv::remap(src, dst, mx, my, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    benchmark::DoNotOptimize(dst.data);
  }
}

void BM_Remap_OpenCvFixedMaps(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = static_cast<int>(st.range(1));
  RectifyMaps maps = rectify_maps(camera(w, h));
  const cv::Mat mx(h, w, CV_32F, maps.map_x.data()), my(h, w, CV_32F, maps.map_y.data());
  cv::Mat m1, m2;
  cv::convertMaps(mx, my, m1, m2, CV_16SC2);
  const cv::Mat src = frame(w, h);
  cv::Mat dst;
  for (auto _ : st) {
    cv::remap(src, dst, m1, m2, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    benchmark::DoNotOptimize(dst.data);
  }
}

void BM_Gaussian_Percept(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = static_cast<int>(st.range(1));
  GaussianBlur blur(1.2);
  const cv::Mat src = frame(w, h);
  Image dst;
  for (auto _ : st) {
    if (!blur.apply(view_of(src), dst).ok()) st.SkipWithError("blur failed");
    benchmark::DoNotOptimize(dst.data());
  }
}

void BM_Gaussian_OpenCv(benchmark::State& st) {
  const int w = static_cast<int>(st.range(0)), h = static_cast<int>(st.range(1));
  const cv::Mat src = frame(w, h);
  cv::Mat dst;
  for (auto _ : st) {
    cv::GaussianBlur(src, dst, cv::Size(0, 0), 1.2, 1.2, cv::BORDER_REPLICATE);
    benchmark::DoNotOptimize(dst.data);
  }
}

#define SIZES ->Args({640, 480})->Args({1280, 720})->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_Remap_Percept) SIZES;
BENCHMARK(BM_Remap_OpenCvFloatMaps) SIZES;
BENCHMARK(BM_Remap_OpenCvFixedMaps) SIZES;
BENCHMARK(BM_Gaussian_Percept) SIZES;
BENCHMARK(BM_Gaussian_OpenCv) SIZES;

}  // namespace

BENCHMARK_MAIN();
