// `percept tune`: sweeps batch size and intra-op threads over the task's whole path (the same
// measuring code as `percept bench`), picks the fastest setting that meets the latency and
// frame-rate limits, explains the choice in a table and can write it as a config snippet.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "bench_measure.hpp"
#include "commands.hpp"
#include "percept/telemetry/tune.hpp"

namespace percept::cli {

namespace {

struct TuneArgs {
  std::string model, device = "cpu", threads_list, batches = "1,2,4,8", image, write;
  double max_latency_ms = 0, min_fps = 0;
  int warmup = 3, iterations = 30;
  double duration = 0;
};

std::string default_threads() {
  const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  return n > 1 ? "1," + std::to_string(n) : "1";
}

int run_tune(const TuneArgs& a) {
  if (a.device == "cuda" || a.device == "tensorrt")
    throw Error("tune --device " + a.device +
                ": not supported in this build (percept was built without CUDA; use --device cpu)");
  if (a.device != "cpu") throw Error("tune --device: unknown device '" + a.device + "' (cpu)");
  const std::vector<int> threads = parse_int_list(
      a.threads_list.empty() ? default_threads() : a.threads_list, "--threads-list", 0, 256);
  const std::vector<int> batches = parse_int_list(a.batches, "--batches", 1, 256);
  const Image frame = bench_frame(a.image);
  const MeasureOptions mo{a.warmup, a.iterations, a.duration};

  // One session per thread count: ONNX Runtime fixes its thread pool when a session opens.
  std::map<int, OpenedTask> detectors;
  const auto measure_one = [&](const TuneSetting& s) -> Result<TuneMeasurement> {
    auto& det = detectors[s.threads];
    if (!det.task) {
      TaskConfig cfg;  // the same door as `percept run`: sidecar and metadata apply
      cfg.model_path = a.model;
      cfg.backend.device = a.device;
      cfg.backend.intra_op_threads = s.threads;
      det = open_task(cfg);  // throws on a bad model: an input error, not a setting's
    }
    if (s.batch > 1 && !det->dynamic_batch())
      return Error("the model's batch dimension is fixed at 1");
    Result<Histogram> h = measure_task_path(*det, frame, s.batch, mo);
    if (!h) return h.error();
    TuneMeasurement m;
    m.setting = s;
    m.p50_ms = ns_to_ms(h->quantile(0.5));
    m.p99_ms = ns_to_ms(h->quantile(0.99));
    m.throughput_fps = throughput_fps(*h, s.batch);
    spdlog::debug("threads {} batch {}: p99 {:.3f} ms, {:.1f} frames/s", s.threads, s.batch,
                  m.p99_ms, m.throughput_fps);
    return m;
  };
  const std::vector<TuneMeasurement> measured = tune_sweep(threads, batches, measure_one);

  TuneConstraints c;
  if (a.max_latency_ms > 0) c.max_latency_ms = a.max_latency_ms;
  if (a.min_fps > 0) c.min_fps = a.min_fps;
  const TuneResult r = tune_choose(measured, c);
  std::printf("%s on %s, frames %dx%d, whole task path (preprocess + inference + postprocess)\n",
              a.model.c_str(), a.device.c_str(), frame.width(), frame.height());
  std::printf("%s\n%s\n", tune_table(r).c_str(), r.reason.c_str());
  if (!r.best) return kExitFailure;
  if (!a.write.empty()) {
    const std::string id = std::filesystem::path(a.model).stem().string();
    std::ofstream f(a.write);
    f << tune_yaml(r.rows[*r.best].m, id, a.model, a.device);
    f.close();
    if (!f) throw Error("tune --write: cannot write '" + a.write + "'");
    std::printf("config snippet written to %s\n", a.write.c_str());
  }
  return kExitOk;
}

}  // namespace

std::function<int()> add_tune_command(CLI::App& app) {
  auto a = std::make_shared<TuneArgs>();
  CLI::App* c = app.add_subcommand(
      "tune", "Sweep batch size and threads; pick the fastest setting meeting the limits");
  c->add_option("-m,--model", a->model, "ONNX model file")->required();
  c->add_option("--max-latency-ms", a->max_latency_ms, "Limit on a batch's p99 latency")
      ->check(CLI::PositiveNumber);
  c->add_option("--min-fps", a->min_fps, "Limit on throughput (frames per second)")
      ->check(CLI::PositiveNumber);
  c->add_option("--device", a->device, "Execution device (cpu in this build)")
      ->capture_default_str();
  c->add_option("--threads-list", a->threads_list,
                "Intra-op thread counts to try, comma-separated (default: 1 and every core)");
  c->add_option("--batches", a->batches, "Batch sizes to try, comma-separated")
      ->capture_default_str();
  c->add_option("--warmup", a->warmup, "Untimed iterations per setting")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  auto* it = c->add_option("--iterations", a->iterations, "Timed iterations per setting")
                 ->capture_default_str()
                 ->check(CLI::Range(1, 10000000));
  c->add_option("--duration", a->duration, "Timed seconds per setting (instead of iterations)")
      ->check(CLI::Range(0.01, 86400.0))
      ->excludes(it);
  c->add_option("--image", a->image, "Frame to use (default: a 1280x720 synthetic scene)");
  c->add_option("--write", a->write, "Write the chosen setting as a YAML config snippet");
  return [a] { return run_tune(*a); };
}

}  // namespace percept::cli
