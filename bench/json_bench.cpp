// One results JSONL line (a frame with 20 detections and its timings), written the way the
// JSONL sink writes it (JsonWriter into a reused buffer, write_results_json) against the
// nlohmann::json way it replaced (build a tree, dump it), in the same run. docs/PERFORMANCE.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "percept/core/json_writer.hpp"
#include "percept/io/results_json.hpp"

namespace {

using namespace percept;

ModelOutput frame_output() {
  ModelOutput out;
  out.contents = Content::detections;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0, 600);
  for (int i = 0; i < 20; ++i) {
    Detection d;
    d.class_id = i % 5;
    d.score = 0.3f + 0.03f * static_cast<float>(i);
    d.box = {u(rng), u(rng), u(rng) + 10, u(rng) + 10};
    d.distance = 1.0f + 0.1f * static_cast<float>(i);
    out.detections.push_back(d);
  }
  return out;
}

const std::vector<std::string> kLabels = {"person", "bicycle", "car", "box", "sphere"};

std::string label(int id) {
  return kLabels[static_cast<size_t>(id % 5)];
}

double r2(double v) {
  return std::round(v * 100.0) / 100.0;
}
double r4(double v) {
  return std::round(v * 1e4) / 1e4;
}

void BM_JsonlLine_JsonWriter(benchmark::State& state) {
  const ModelOutput out = frame_output();
  JsonWriter w;
  int64_t frame = 0;
  for (auto _ : state) {
    w.clear();
    w.begin_object()
        .field("camera", "front")
        .field("frame", frame++)
        .field("capture_time_s", 1763900000.123456)
        .field("model", "detector")
        .field("width", 640)
        .field("height", 480)
        .field("task", "detect")
        .field("batch_size", 2);
    write_results_json(w, out, kLabels);
    w.field("distance_unit", "m");
    w.key("timing_ms").begin_object().field("queue", 0.12).field("preprocess", 0.8);
    w.field("inference", 6.42).field("postprocess", 0.09).field("end_to_end", 7.61);
    w.end_object().end_object();
    benchmark::DoNotOptimize(w.str().data());
  }
  state.SetItemsProcessed(state.iterations());
}

// The sink's code before JsonWriter (io/results_json.cpp, sinks.cpp).
void BM_JsonlLine_Nlohmann(benchmark::State& state) {
  const ModelOutput out = frame_output();
  int64_t frame = 0;
  for (auto _ : state) {
    nlohmann::ordered_json line = {
        {"camera", "front"},   {"frame", frame++}, {"capture_time_s", 1763900000.123456},
        {"model", "detector"}, {"width", 640},     {"height", 480}};
    line["task"] = "detect";
    line["batch_size"] = 2;
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const Detection& d : out.detections) {
      arr.push_back({{"class_id", d.class_id},
                     {"label", label(d.class_id)},
                     {"score", r4(d.score)},
                     {"box", {r2(d.box.x1), r2(d.box.y1), r2(d.box.x2), r2(d.box.y2)}}});
      arr.back()["distance"] = r2(d.distance);
    }
    line["detections"] = std::move(arr);
    line["distance_unit"] = "m";
    line["timing_ms"] = {{"queue", 0.12},
                         {"preprocess", 0.8},
                         {"inference", 6.42},
                         {"postprocess", 0.09},
                         {"end_to_end", 7.61}};
    const std::string text = line.dump();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_JsonlLine_JsonWriter);
BENCHMARK(BM_JsonlLine_Nlohmann);

}  // namespace

BENCHMARK_MAIN();
