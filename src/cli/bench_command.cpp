// `percept bench`: latency percentiles and throughput of a model, per batch size, for
// inference alone and for the task's whole path (Task::run: preprocess + inference + postprocess;
// for a detector letterbox + inference + decode/NMS), the way trtexec and perf_analyzer report
// them.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench_measure.hpp"
#include "commands.hpp"

namespace percept::cli {

namespace {

struct BenchArgs {
  std::string model, device = "cpu", batches = "1", image;
  int threads = 0, warmup = 5, iterations = 50;
  double duration = 0;
  bool json = false;
};

struct Stats {
  Histogram latency;
  int batch = 1;
};

nlohmann::ordered_json stats_json(const Stats& s) {
  const double mean_ms = s.latency.mean() * 1e-6;
  return {{"iterations", s.latency.count()},
          {"p50_ms", round_ms(s.latency.quantile(0.5))},
          {"p90_ms", round_ms(s.latency.quantile(0.9))},
          {"p99_ms", round_ms(s.latency.quantile(0.99))},
          {"mean_ms", std::round(mean_ms * 1000) / 1000},
          {"throughput_fps", std::round(throughput_fps(s.latency, s.batch) * 10) / 10}};
}

int run_bench(const BenchArgs& a) {
  const std::vector<int> batches = parse_int_list(a.batches, "--batch", 1, 256);
  TaskConfig cfg;
  cfg.model_path = a.model;
  cfg.backend.device = a.device;
  cfg.backend.intra_op_threads = a.threads;
  // Through the same door as `percept run`: the sidecar and metadata conventions apply, and
  // any task kind can be measured. Inference alone runs on the same backend.
  OpenedTask det = open_task(cfg);
  Backend& backend = *det.backend;

  // Input frames: the given image, or a 1280x720 synthetic scene (what a camera delivers).
  const Image frame = bench_frame(a.image);
  const InputSize size = det->input_size();
  const MeasureOptions mo{a.warmup, a.iterations, a.duration};

  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (int b : batches) {
    if (b > 1 && !det->dynamic_batch()) {
      spdlog::warn("batch {} skipped: the model's batch dimension is fixed at 1", b);
      continue;
    }
    Stats infer{measure_inference(*det, backend, frame, b, mo).value_or_throw(), b};
    Stats e2e{measure_task_path(*det, frame, b, mo).value_or_throw(), b};
    results.push_back(
        {{"batch", b}, {"inference", stats_json(infer)}, {"end_to_end", stats_json(e2e)}});
  }
  if (results.empty()) throw Error("no batch size could be run (the model's batch is fixed at 1)");

  if (a.json) {
    nlohmann::ordered_json j = {{"model", a.model},
                                {"device", a.device},
                                {"backend", backend.name()},
                                {"task", det->name()},
                                {"threads", a.threads},
                                {"input", {size.width, size.height}},
                                {"frame", {frame.width(), frame.height()}},
                                {"results", results}};
    std::cout << j.dump() << "\n";
  } else {
    std::printf("%s on %s (%s), input %dx%d, frames %dx%d\n", a.model.c_str(), a.device.c_str(),
                backend.name().c_str(), size.width, size.height, frame.width(), frame.height());
    std::printf("%-6s %-12s %9s %9s %9s %9s %12s\n", "batch", "stage", "p50 ms", "p90 ms", "p99 ms",
                "mean ms", "frames/s");
    for (const auto& r : results)
      for (const char* k : {"inference", "end_to_end"}) {
        const auto& s = r[k];
        std::printf("%-6d %-12s %9.3f %9.3f %9.3f %9.3f %12.1f\n", r["batch"].get<int>(), k,
                    s["p50_ms"].get<double>(), s["p90_ms"].get<double>(), s["p99_ms"].get<double>(),
                    s["mean_ms"].get<double>(), s["throughput_fps"].get<double>());
      }
  }
  return kExitOk;
}

}  // namespace

std::function<int()> add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* c = app.add_subcommand("bench", "Latency and throughput of a model per batch size");
  c->add_option("-m,--model", a->model, "ONNX model file")->required();
  c->add_option("--batch", a->batches, "Batch sizes, comma-separated (e.g. 1,2,4,8)")
      ->capture_default_str();
  c->add_option("--device", a->device, "Execution device")->capture_default_str();
  c->add_option("--threads", a->threads, "ONNX Runtime intra-op threads (0: default)")
      ->check(CLI::Range(0, 256));
  c->add_option("--warmup", a->warmup, "Untimed iterations first")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  auto* it = c->add_option("--iterations", a->iterations, "Timed iterations per batch size")
                 ->capture_default_str()
                 ->check(CLI::Range(1, 10000000));
  c->add_option("--duration", a->duration, "Timed seconds per batch size (instead of iterations)")
      ->check(CLI::Range(0.01, 86400.0))
      ->excludes(it);
  c->add_option("--image", a->image, "Frame to use (default: a 1280x720 synthetic scene)");
  c->add_flag("--json", a->json, "Print exactly one JSON object on stdout");
  return [a] { return run_bench(*a); };
}

}  // namespace percept::cli
