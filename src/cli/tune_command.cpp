// `percept tune`: sweeps batch size and intra-op threads over the task's whole path (the same
// measuring code as `percept bench`), picks the fastest setting that meets the latency and
// frame-rate limits, explains the choice in a table and can write it as a config snippet.
// With --variants (other precisions of the model, e.g. from `percept quantize`) it learns the
// precision too: every variant is swept, and one whose results agree with the model's less
// than 1 - --max-accuracy-drop (measured on --accuracy-frames) is not chosen.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "bench_measure.hpp"
#include "commands.hpp"
#include "frame_sources.hpp"
#include "percept/telemetry/tune.hpp"
#include "quantize_eval.hpp"

namespace percept::cli {

namespace {

struct TuneArgs {
  std::string model, device = "cpu", threads_list, batches = "1,2,4,8", image, write, variants,
                     accuracy_frames = "synthetic";
  double max_latency_ms = 0, min_fps = 0, max_accuracy_drop = 0.01;
  int warmup = 3, iterations = 30, accuracy_count = 20;
  double duration = 0;
};

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::string item;
  for (char c : list + ",") {
    if (c != ',') {
      item += c;
    } else if (!item.empty()) {
      out.push_back(item);
      item.clear();
    }
  }
  return out;
}

// How far each variant's results agree with the reference model's on the same frames.
std::vector<double> variant_agreement(const std::vector<std::string>& models,
                                      const std::vector<Image>& frames) {
  std::vector<std::vector<ModelOutput>> results(models.size());
  std::string task_name;
  for (size_t v = 0; v < models.size(); ++v) {
    TaskConfig cfg;
    cfg.model_path = models[v];
    OpenedTask t = open_task(cfg);
    if (v == 0) task_name = t->name();
    if (t->name() != task_name)
      throw Error(ErrorCode::invalid_argument, "tune --variants: '" + models[v] + "' is a " +
                                                   t->name() + " model, '" + models[0] + "' a " +
                                                   task_name + " model");
    for (const Image& f : frames) {
      const ImageView view = f.view();
      ModelOutput out;
      if (Status st = t->run(std::span<const ImageView>(&view, 1), std::span<ModelOutput>(&out, 1));
          !st)
        throw Error(ErrorCode::model, "tune: " + models[v] + ": " + st.error().message());
      results[v].push_back(std::move(out));
    }
  }
  std::vector<double> agreement(models.size(), -1);
  for (size_t v = 1; v < models.size(); ++v) {
    AgreementMeter meter(task_name);
    for (size_t i = 0; i < frames.size(); ++i) meter.add(results[0][i], results[v][i]);
    const Agreement a = meter.result();
    agreement[v] = a.value;
    std::printf("%s against %s on %zu frames: %s %.4f%s%s\n", models[v].c_str(), models[0].c_str(),
                frames.size(), a.metric.c_str(), a.value, a.note.empty() ? "" : "; ",
                a.note.c_str());
  }
  return agreement;
}

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

  // The model first, then its variants; each is measured the same way.
  std::vector<std::string> models = {a.model};
  for (const std::string& v : split_list(a.variants)) models.push_back(v);
  std::vector<double> agreement(models.size(), -1);
  if (models.size() > 1) {
    const std::vector<Image> frames =
        read_frames(a.accuracy_frames, a.accuracy_count, "tune --accuracy-frames");
    if (frames.empty())
      throw Error(ErrorCode::invalid_argument,
                  "tune --accuracy-frames " + a.accuracy_frames + ": no frames");
    agreement = variant_agreement(models, frames);
  }

  std::vector<TuneMeasurement> measured;
  for (size_t v = 0; v < models.size(); ++v) {
    // One session per thread count: ONNX Runtime fixes its thread pool when a session opens.
    std::map<int, OpenedTask> detectors;
    const auto measure_one = [&](const TuneSetting& s) -> Result<TuneMeasurement> {
      auto& det = detectors[s.threads];
      if (!det.task) {
        TaskConfig cfg;  // the same door as `percept run`: sidecar and metadata apply
        cfg.model_path = models[v];
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
      spdlog::debug("{} threads {} batch {}: p99 {:.3f} ms, {:.1f} frames/s", models[v], s.threads,
                    s.batch, m.p99_ms, m.throughput_fps);
      return m;
    };
    for (TuneMeasurement m : tune_sweep(threads, batches, measure_one)) {
      if (models.size() > 1) m.model = models[v];
      m.agreement = agreement[v];
      measured.push_back(m);
    }
  }

  TuneConstraints c;
  if (a.max_latency_ms > 0) c.max_latency_ms = a.max_latency_ms;
  if (a.min_fps > 0) c.min_fps = a.min_fps;
  if (models.size() > 1) c.min_agreement = 1.0 - a.max_accuracy_drop;
  const TuneResult r = tune_choose(measured, c);
  std::printf("%s on %s, frames %dx%d, whole task path (preprocess + inference + postprocess)\n",
              a.model.c_str(), a.device.c_str(), frame.width(), frame.height());
  std::printf("%s\n%s\n", tune_table(r).c_str(), r.reason.c_str());
  if (!r.best) return kExitFailure;
  if (!a.write.empty()) {
    const std::string id = std::filesystem::path(a.model).stem().string();
    std::ofstream f(a.write);
    const TuneMeasurement& best = r.rows[*r.best].m;
    f << tune_yaml(best, id, best.model.empty() ? a.model : best.model, a.device);
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
  c->add_option("--variants", a->variants,
                "Other precisions of the model (e.g. percept quantize's), comma-separated: "
                "swept too, and chosen only within --max-accuracy-drop");
  c->add_option("--max-accuracy-drop", a->max_accuracy_drop,
                "A variant's results must agree with the model's to at least 1 - this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--accuracy-frames", a->accuracy_frames,
                "Frames to compare the variants on: images, a video, a config or 'synthetic'")
      ->capture_default_str();
  c->add_option("--accuracy-count", a->accuracy_count, "How many of them")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  return [a] { return run_tune(*a); };
}

}  // namespace percept::cli
