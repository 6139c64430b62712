// P2 (docs/PERFORMANCE.md): 1920x1080 BGR -> 640x640 NCHW float32.
//   percept:  letterbox_cpu, one pass
//   opencv:   cv::resize + cv::copyMakeBorder + cv::dnn::blobFromImage (the usual chain)
//   memcpy:   copying the output's 4.9 MB, the floor for any pass that writes it
#include <benchmark/benchmark.h>

#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "percept/io/image_io.hpp"
#include "percept/preprocess/letterbox.hpp"

namespace {

using namespace percept;

cv::Mat source() {
  cv::Mat m(1080, 1920, CV_8UC3);
  cv::randu(m, 0, 255);
  return m;
}

void BM_Letterbox_Percept(benchmark::State& st) {
  cv::Mat src = source();
  Image img;
  image_from_mat(src, img).throw_if_error();
  const auto p = letterbox_params(1920, 1080, 640, 640);
  std::vector<float> out(3 * 640 * 640);
  for (auto _ : st) {
    letterbox_cpu(img.view(), p, Normalize{}, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) *
                       static_cast<int64_t>(out.size() * 4));
}

void BM_Letterbox_OpenCvChain(benchmark::State& st) {
  cv::Mat src = source();
  const auto p = letterbox_params(1920, 1080, 640, 640);
  cv::Mat resized, padded, blob;
  for (auto _ : st) {
    cv::resize(src, resized, {p.new_w, p.new_h}, 0, 0, cv::INTER_LINEAR);
    cv::copyMakeBorder(resized, padded, p.pad_top, 640 - p.new_h - p.pad_top, p.pad_left,
                       640 - p.new_w - p.pad_left, cv::BORDER_CONSTANT, {114, 114, 114});
    cv::dnn::blobFromImage(padded, blob, 1.0 / 255, {}, {}, true, false, CV_32F);
    benchmark::DoNotOptimize(blob.data);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * 3 * 640 * 640 * 4);
}

void BM_Letterbox_MemcpyOutput(benchmark::State& st) {
  std::vector<float> a(3 * 640 * 640, 1.f), b(3 * 640 * 640);
  for (auto _ : st) {
    std::memcpy(b.data(), a.data(), a.size() * sizeof(float));
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(a.size() * 4));
}

BENCHMARK(BM_Letterbox_Percept)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Letterbox_OpenCvChain)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Letterbox_MemcpyOutput)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
