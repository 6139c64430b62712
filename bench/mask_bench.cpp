// Instance-mask assembly (docs/PERFORMANCE.md, "Instance masks"): 20 detections on a 1280x720
// frame letterboxed to 640x640, 32 prototypes of 160x160 (YOLOv8n-seg's sizes), masks at
// frame resolution.
//   percept: MaskAssembler (coefficients x prototypes over the prototype pixels under each
//            box only, bilinear to frame pixels inside the box, threshold on the logit)
//   opencv:  the recipe of the usual YOLOv8-seg C++ examples: one cv::gemm of all
//            coefficients by the [32, 25600] prototypes, then per mask sigmoid (cv::exp), crop
//            to the box at prototype resolution, cv::resize to the box in frame pixels,
//            threshold at 0.5.
// Both produce one binary mask per box, the box's size; the bench checks they agree on >= 99%
// of the pixels so that the two do the same work.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <vector>

#include "percept/tasks/detect/mask_assembly.hpp"

namespace {

using namespace percept;
constexpr int kNm = 32, kP = 160, kObjects = 20;

struct Data {
  LetterboxParams lb = letterbox_params(1280, 720, 640, 640);
  std::vector<float> protos;  // [32, 160, 160]
  Detections dets;            // frame pixels
  std::vector<float> coef;    // [20, 32]
  Data() {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    protos.resize(static_cast<size_t>(kNm) * kP * kP);
    // Smooth prototypes (sums of low-frequency waves), as trained ones are.
    for (int k = 0; k < kNm; ++k) {
      const float fx = 0.02f + 0.01f * static_cast<float>(k % 5);
      const float fy = 0.03f + 0.01f * static_cast<float>(k % 7), ph = u(rng) * 3.f;
      for (int y = 0; y < kP; ++y)
        for (int x = 0; x < kP; ++x)
          protos[(static_cast<size_t>(k) * kP + y) * kP + x] =
              std::sin(fx * static_cast<float>(x) + ph) * std::cos(fy * static_cast<float>(y));
    }
    for (int i = 0; i < kObjects; ++i) {
      const float w = 80.f + 200.f * (u(rng) + 1.f) / 2.f, h = 60.f + 160.f * (u(rng) + 1.f) / 2.f;
      const float x = (1280.f - w) * (u(rng) + 1.f) / 2.f, y = (720.f - h) * (u(rng) + 1.f) / 2.f;
      dets.push_back({{x, y, x + w, y + h}, 0.9f, i % 5});
      for (int k = 0; k < kNm; ++k) coef.push_back(u(rng));
    }
  }
};

const Data& data() {
  static const Data d;
  return d;
}

// The OpenCV recipe, into one binary Mat per detection (the box's size in frame pixels).
void opencv_masks(const Data& d, cv::Mat& all, cv::Mat& e, std::vector<cv::Mat>& out) {
  const cv::Mat c(kObjects, kNm, CV_32F, const_cast<float*>(d.coef.data()));
  const cv::Mat p(kNm, kP * kP, CV_32F, const_cast<float*>(d.protos.data()));
  cv::gemm(c, p, 1.0, cv::noArray(), 0.0, all);
  const float r = static_cast<float>(d.lb.new_w) / static_cast<float>(d.lb.src_w);
  const float s = static_cast<float>(kP) / 640.f;
  out.resize(kObjects);
  for (int i = 0; i < kObjects; ++i) {
    const Box& b = d.dets[static_cast<size_t>(i)].box;
    cv::Mat m = all.row(i).reshape(1, kP);
    cv::exp(-m, e);
    e = 1.0 / (1.0 + e);
    // The box at prototype resolution (input pixels / 4), then resized to the frame box.
    const float px1 = (b.x1 * r + static_cast<float>(d.lb.pad_left)) * s;
    const float py1 = (b.y1 * r + static_cast<float>(d.lb.pad_top)) * s;
    const float px2 = (b.x2 * r + static_cast<float>(d.lb.pad_left)) * s;
    const float py2 = (b.y2 * r + static_cast<float>(d.lb.pad_top)) * s;
    const cv::Rect roi(
        cv::Point(static_cast<int>(std::floor(px1)), static_cast<int>(std::floor(py1))),
        cv::Point(static_cast<int>(std::ceil(px2)), static_cast<int>(std::ceil(py2))));
    cv::Mat up;
    const int bx = static_cast<int>(std::lround(b.x1)), by = static_cast<int>(std::lround(b.y1));
    const cv::Size size(static_cast<int>(std::lround(b.x2)) - bx,
                        static_cast<int>(std::lround(b.y2)) - by);
    cv::resize(e(roi & cv::Rect(0, 0, kP, kP)), up, size, 0, 0, cv::INTER_LINEAR);
    out[static_cast<size_t>(i)] = up > 0.5f;
  }
}

void BM_Masks_Percept(benchmark::State& state) {
  const Data& d = data();
  MaskAssembler a;
  InstanceMasks m;
  for (auto _ : state) {
    a.assemble(d.dets, d.coef.data(), Prototypes{d.protos.data(), kNm, kP, kP}, d.lb, 0.5f, m);
    benchmark::DoNotOptimize(m.pixels.data());
  }
  int64_t area = 0;
  for (const InstanceMask& it : m.items) area += it.area;
  state.counters["mask_px"] = static_cast<double>(area);
}

void BM_Masks_OpenCvRecipe(benchmark::State& state) {
  const Data& d = data();
  cv::Mat all, e;
  std::vector<cv::Mat> out;
  for (auto _ : state) {
    opencv_masks(d, all, e, out);
    benchmark::DoNotOptimize(out.data());
  }
  int64_t area = 0;
  for (const cv::Mat& m : out) area += cv::countNonZero(m);
  state.counters["mask_px"] = static_cast<double>(area);
}

// Not timed: the two recipes set the same pixels (up to where the crop and the interpolation
// order differ, on mask edges).
void BM_Masks_Agreement(benchmark::State& state) {
  const Data& d = data();
  MaskAssembler a;
  InstanceMasks m;
  cv::Mat all, e;
  std::vector<cv::Mat> out;
  for (auto _ : state) {
    a.assemble(d.dets, d.coef.data(), Prototypes{d.protos.data(), kNm, kP, kP}, d.lb, 0.5f, m);
    opencv_masks(d, all, e, out);
  }
  int64_t same = 0, total = 0;
  for (size_t i = 0; i < m.items.size(); ++i) {
    const InstanceMask& it = m.items[i];
    if (out[i].cols != it.width || out[i].rows != it.height) continue;
    for (int y = 0; y < it.height; ++y)
      for (int x = 0; x < it.width; ++x) {
        same += (m.pixels[it.offset + static_cast<size_t>(y) * it.width + x] != 0) ==
                (out[i].at<uint8_t>(y, x) != 0);
        ++total;
      }
  }
  state.counters["agree"] = total ? static_cast<double>(same) / static_cast<double>(total) : 0.0;
}

}  // namespace

BENCHMARK(BM_Masks_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Masks_OpenCvRecipe)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Masks_Agreement)->Iterations(1);

BENCHMARK_MAIN();
