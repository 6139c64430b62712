// Pre- and post-processing of the depth, segment and classify tasks (docs/PERFORMANCE.md,
// "Dense tasks"), each against the OpenCV way of doing the same in the same run:
//   pre:       640x480 BGR -> 224x168 RGB, ImageNet mean/std, NCHW float32
//              percept: ImageInput::fill (one pass) | opencv: resize, cvtColor, convertTo,
//              subtract, divide, split into the planes
//   depth:     224x168 output -> 640x480 map
//              percept: depth_to_frame | opencv: cv::resize INTER_LINEAR
//   segment:   C x 224x168 logits -> 640x480 class map + fractions
//              percept: segmentation_to_frame (bilinear logits, argmax per pixel)
//              opencv (same result): cv::resize of each plane + argmax over planes
//              opencv (cheaper, blockier): argmax at 224x168 + INTER_NEAREST resize
//   classify:  1000 logits -> top 5
//              percept: top_k_softmax | naive: softmax + sort of every class
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/tasks/classify/classify_task.hpp"
#include "percept/tasks/depth/depth_task.hpp"
#include "percept/tasks/image_input.hpp"
#include "percept/tasks/segment/segment_task.hpp"

namespace {

using namespace percept;

constexpr int kW = 640, kH = 480, kInW = 224, kInH = 168;

cv::Mat frame() {
  cv::Mat m(kH, kW, CV_8UC3);
  cv::randu(m, 0, 255);
  return m;
}

std::vector<float> random_plane(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-4, 4);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

const LetterboxParams kStretch{kW, kH, kInW, kInH, kInW, kInH, 0, 0};

void BM_DensePre_Percept(benchmark::State& st) {
  cv::Mat src = frame();
  Image img;
  image_from_mat(src, img).throw_if_error();
  TensorInfo in{"image", DType::f32, Shape({-1, 3, kInH, kInW}), {}};
  ImageInput input("bench", in, {}, ResizeMode::stretch,
                   make_normalize({}, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, true));
  Tensor t;
  std::vector<LetterboxParams> params;
  const ImageView v = img.view();
  for (auto _ : st) {
    if (Status s = input.fill(std::span<const ImageView>(&v, 1), t, params); !s) {
      st.SkipWithError(s.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(t.data());
  }
}

void BM_DensePre_OpenCV(benchmark::State& st) {
  cv::Mat src = frame(), resized, rgb, f;
  std::vector<float> blob(3 * kInW * kInH);
  const cv::Scalar mean(0.485, 0.456, 0.406), std(0.229, 0.224, 0.225);
  for (auto _ : st) {
    cv::resize(src, resized, {kInW, kInH}, 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(f, CV_32FC3, 1.0 / 255);
    cv::subtract(f, mean, f);
    cv::divide(f, std, f);
    std::vector<cv::Mat> planes;
    for (int c = 0; c < 3; ++c)
      planes.emplace_back(kInH, kInW, CV_32F, blob.data() + static_cast<size_t>(c) * kInW * kInH);
    cv::split(f, planes);
    benchmark::DoNotOptimize(blob.data());
  }
}

void BM_DepthPost_Percept(benchmark::State& st) {
  auto out = random_plane(kInW * kInH, 1);
  DepthMap map;
  PlaneResampler rs;
  for (auto _ : st) {
    depth_to_frame(out.data(), kInW, kInH, kStretch, DepthUnit::metres, map, rs);
    benchmark::DoNotOptimize(map.values.data());
  }
}

void BM_DepthPost_OpenCV(benchmark::State& st) {
  auto out = random_plane(kInW * kInH, 1);
  cv::Mat plane(kInH, kInW, CV_32F, out.data()), map;
  for (auto _ : st) {
    cv::resize(plane, map, {kW, kH}, 0, 0, cv::INTER_LINEAR);
    benchmark::DoNotOptimize(map.data);
  }
}

void BM_SegPost_Percept(benchmark::State& st) {
  const int classes = static_cast<int>(st.range(0));
  auto logits = random_plane(static_cast<size_t>(classes) * kInW * kInH, 2);
  SegmentationMap map;
  SegmentScratch scratch;
  for (auto _ : st) {
    segmentation_to_frame(logits.data(), classes, kInW, kInH, kStretch, 0.5f, map, scratch);
    benchmark::DoNotOptimize(map.classes.data());
  }
}

// Same result as percept: every plane upsampled, then the argmax per pixel, then counts.
void BM_SegPost_OpenCV(benchmark::State& st) {
  const int classes = static_cast<int>(st.range(0));
  auto logits = random_plane(static_cast<size_t>(classes) * kInW * kInH, 2);
  std::vector<cv::Mat> up(static_cast<size_t>(classes));
  cv::Mat best(kH, kW, CV_32F), cls(kH, kW, CV_8U);
  std::vector<double> fractions(static_cast<size_t>(classes));
  for (auto _ : st) {
    for (int c = 0; c < classes; ++c)
      cv::resize(cv::Mat(kInH, kInW, CV_32F, logits.data() + static_cast<size_t>(c) * kInW * kInH),
                 up[static_cast<size_t>(c)], {kW, kH}, 0, 0, cv::INTER_LINEAR);
    up[0].copyTo(best);
    cls.setTo(0);
    for (int c = 1; c < classes; ++c) {
      cv::Mat gt = up[static_cast<size_t>(c)] > best;
      up[static_cast<size_t>(c)].copyTo(best, gt);
      cls.setTo(c, gt);
    }
    for (int c = 0; c < classes; ++c)
      fractions[static_cast<size_t>(c)] = cv::countNonZero(cls == c) / double(kW * kH);
    benchmark::DoNotOptimize(cls.data);
  }
}

// Cheaper and blockier: argmax on the output grid, nearest-neighbour upsampling of the ids.
void BM_SegPost_OpenCVNearest(benchmark::State& st) {
  const int classes = static_cast<int>(st.range(0));
  auto logits = random_plane(static_cast<size_t>(classes) * kInW * kInH, 2);
  cv::Mat small(kInH, kInW, CV_8U), cls;
  const size_t plane = static_cast<size_t>(kInW) * kInH;
  for (auto _ : st) {
    for (size_t k = 0; k < plane; ++k) {
      int b = 0;
      for (int c = 1; c < classes; ++c)
        if (logits[c * plane + k] > logits[b * plane + k]) b = c;
      small.data[k] = static_cast<uint8_t>(b);
    }
    cv::resize(small, cls, {kW, kH}, 0, 0, cv::INTER_NEAREST);
    benchmark::DoNotOptimize(cls.data);
  }
}

void BM_ClassifyPost_Percept(benchmark::State& st) {
  auto logits = random_plane(1000, 3);
  ClassScores top;
  std::vector<float> scratch;
  for (auto _ : st) {
    top_k_softmax(logits.data(), 1000, 5, top, scratch);
    benchmark::DoNotOptimize(top.data());
  }
}

void BM_ClassifyPost_Naive(benchmark::State& st) {
  auto logits = random_plane(1000, 3);
  for (auto _ : st) {
    std::vector<std::pair<float, int>> all;
    const float mx = *std::max_element(logits.begin(), logits.end());
    float z = 0;
    for (int c = 0; c < 1000; ++c) {
      all.emplace_back(std::exp(logits[c] - mx), c);
      z += all.back().first;
    }
    for (auto& a : all) a.first /= z;
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
    all.resize(5);
    benchmark::DoNotOptimize(all.data());
  }
}

BENCHMARK(BM_DensePre_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DensePre_OpenCV)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DepthPost_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DepthPost_OpenCV)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SegPost_Percept)->Arg(4)->Arg(21)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SegPost_OpenCV)->Arg(4)->Arg(21)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SegPost_OpenCVNearest)->Arg(4)->Arg(21)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClassifyPost_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ClassifyPost_Naive)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
