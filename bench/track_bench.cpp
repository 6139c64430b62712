// Issue 16's speed targets, in one run: tracking 100 objects per frame against the detector's
// end-to-end time on the same frames (target <= 2%), and 3D (back-projection of 100 boxes)
// against it (target < 1%). The detector is the trained shapes model on 640x480 synthetic
// frames, two intra-op threads; 100 objects per frame move in straight lines with high and
// low scores, so both association passes run.
#include <benchmark/benchmark.h>

#include <string>

#include "percept/io/synthetic_source.hpp"
#include "percept/tasks/task.hpp"
#include "percept/track/byte_tracker.hpp"
#include "percept/track/position_3d.hpp"

namespace percept {
namespace {

void hundred_objects(Detections& d, int frame) {
  d.clear();
  for (int k = 0; k < 100; ++k) {
    Detection x;
    const float cx = static_cast<float>(k % 10) * 64 + 32 + static_cast<float>(frame % 50) * 0.5f;
    const float cy = static_cast<float>(k / 10) * 48 + 24;
    x.box = {cx - 20, cy - 20, cx + 20, cy + 20};
    x.score = 0.15f + 0.08f * static_cast<float>(k % 10);
    x.distance = 2.f + static_cast<float>(k % 7);
    d.push_back(x);
  }
}

void BM_Detector(benchmark::State& st) {
  TaskConfig cfg;
  cfg.model_path = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";
  cfg.backend.intra_op_threads = 2;
  auto t = open_task(cfg);
  SyntheticScene scene({640, 480, 8, 3, -1});
  Image img;
  std::vector<ModelOutput> out(1);
  for (auto _ : st) {
    scene.next(img);
    std::vector<ImageView> v = {img.view()};
    if (!t.task->run(v, out)) st.SkipWithError("run failed");
  }
}
BENCHMARK(BM_Detector)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_Track100(benchmark::State& st) {
  ByteTracker t({});
  Detections d;
  std::vector<uint8_t> keep;
  int frame = 0;
  for (auto _ : st) {
    hundred_objects(d, frame);
    t.update(d, static_cast<int64_t>(frame) * 33'333'333, keep);
    ++frame;
  }
}
BENCHMARK(BM_Track100)->Unit(benchmark::kMicrosecond);

void BM_Locate3d100(benchmark::State& st) {
  Detections d;
  hundred_objects(d, 0);
  const Intrinsics k{500, 500, 320, 240};
  for (auto _ : st) {
    locate_in_3d(d, k);
    benchmark::DoNotOptimize(d.data());
  }
}
BENCHMARK(BM_Locate3d100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace percept

BENCHMARK_MAIN();
