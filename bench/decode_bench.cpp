// P3 (docs/PERFORMANCE.md): decode + class-aware NMS of a [1, 84, 8400] YOLOv8 output.
//   percept: YoloDecoder (row sweeps over the class-major tensor, then NMS on the survivors)
//   opencv:  the common C++ recipe: transpose to [8400, 84], minMaxLoc per row, then
//            cv::dnn::NMSBoxes with boxes offset by class (class-aware, as torchvision does)
// The synthetic output looks like a real one: low background scores everywhere and ~40
// objects, each seen by a cluster of neighbouring anchors.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <random>
#include <vector>

#include "percept/tasks/detect/yolo_decode.hpp"

namespace {

using namespace percept;
constexpr int kClasses = 80, kAnchors = 8400, kRows = 4 + kClasses;

std::vector<float> synthetic_output() {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> t(static_cast<size_t>(kRows) * kAnchors);
  for (int i = 0; i < kAnchors; ++i) {
    t[0 * kAnchors + i] = u(rng) * 640;
    t[1 * kAnchors + i] = u(rng) * 640;
    t[2 * kAnchors + i] = 10 + u(rng) * 100;
    t[3 * kAnchors + i] = 10 + u(rng) * 100;
    for (int c = 0; c < kClasses; ++c) t[(4 + c) * kAnchors + i] = u(rng) * 0.05f;
  }
  for (int obj = 0; obj < 40; ++obj) {  // each object: 8 anchors with jittered boxes
    const float cx = u(rng) * 600 + 20, cy = u(rng) * 600 + 20, w = 20 + u(rng) * 150;
    const int cls = static_cast<int>(u(rng) * kClasses);
    const int base = static_cast<int>(u(rng) * (kAnchors - 8));
    for (int k = 0; k < 8; ++k) {
      const int i = base + k;
      t[0 * kAnchors + i] = cx + u(rng) * 4;
      t[1 * kAnchors + i] = cy + u(rng) * 4;
      t[2 * kAnchors + i] = w;
      t[3 * kAnchors + i] = w * 0.8f;
      t[(4 + cls) * kAnchors + i] = 0.5f + u(rng) * 0.45f;
    }
  }
  return t;
}

void BM_Decode_Percept(benchmark::State& st) {
  auto t = synthetic_output();
  YoloDecoder dec;
  Detections out;
  DecodeOptions opt;
  for (auto _ : st) {
    dec.decode(t.data(), {YoloLayout::v8, kClasses, kAnchors}, opt, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["detections"] = static_cast<double>(out.size());
}

void BM_Decode_OpenCvRecipe(benchmark::State& st) {
  auto t = synthetic_output();
  const float conf = 0.25f, iou = 0.45f;
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  std::vector<int> classes, keep;
  size_t kept = 0;
  for (auto _ : st) {
    cv::Mat out(kRows, kAnchors, CV_32F, t.data());
    cv::Mat rows = out.t();  // [8400, 84]
    boxes.clear();
    scores.clear();
    classes.clear();
    for (int i = 0; i < kAnchors; ++i) {
      const float* r = rows.ptr<float>(i);
      cv::Mat cls_scores(1, kClasses, CV_32F, const_cast<float*>(r + 4));
      double max_score;
      cv::Point max_loc;
      cv::minMaxLoc(cls_scores, nullptr, &max_score, nullptr, &max_loc);
      if (max_score <= conf) continue;
      // Class offset: boxes of different classes never overlap, so NMS is class-aware.
      const double off = max_loc.x * 4096.0;
      boxes.emplace_back(r[0] - r[2] / 2 + off, r[1] - r[3] / 2, r[2], r[3]);
      scores.push_back(static_cast<float>(max_score));
      classes.push_back(max_loc.x);
    }
    cv::dnn::NMSBoxes(boxes, scores, conf, iou, keep, 1.f, 300);
    kept = keep.size();
    benchmark::DoNotOptimize(keep.data());
  }
  st.counters["detections"] = static_cast<double>(kept);
}

BENCHMARK(BM_Decode_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Decode_OpenCvRecipe)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
