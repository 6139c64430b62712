// The deadline controller (docs/CONTROL.md) against no controller, on the same changing load:
// two live synthetic cameras (front: priority 1; rear: priority 0) on one detector with a
// lighter variant, through phases of normal load, a backend whose latency steps up by a factor
// and back, and CPU hog threads started and stopped inside the process.
//
//   control_bench --model M.onnx --variant M_small.onnx [--runs 3] [--phase-s 15]
//                 [--fps 4] [--deadline-ms 200] [--step 2] [--hogs 2] [--threads 2]
//
// Prints one JSON line per run and mode: late share (deadline misses + frames dropped
// unprocessed, over results) per phase, over all its frames and over its "settled" part (after
// its first 8 s: time for the controller to walk its ladder), end-to-end p99, the controller's
// actions with their times into the phase, and its CPU time.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "percept/core/json_writer.hpp"
#include "percept/pipeline/runtime.hpp"

namespace {

using namespace percept;
namespace fs = std::filesystem;

// The real backend, then a sleep of (factor - 1) x what the run took: latency x factor.
class SteppedBackend final : public ForwardingBackend {
 public:
  SteppedBackend(std::unique_ptr<Backend> inner, const std::atomic<double>& factor)
      : ForwardingBackend(std::move(inner)), factor_(factor) {}
  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = inner().run(in);
    const double f = factor_.load(std::memory_order_relaxed);
    if (f > 1) std::this_thread::sleep_for((std::chrono::steady_clock::now() - t0) * (f - 1));
    return r;
  }

 private:
  const std::atomic<double>& factor_;
};

struct Phase {
  const char* name;
  double factor;  // backend latency x
  bool hog;       // CPU hog threads running
};

const Phase kPhases[] = {{"normal", 1, false},
                         {"latency_step", 0, false},
                         {"normal2", 1, false},
                         {"cpu_hog", 1, true},
                         {"normal3", 1, false}};

struct Options {
  std::string model, variant;
  int runs = 3, hogs = 2, threads = 2;
  double phase_s = 15, fps = 4, deadline_ms = 200, step = 2;
};

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

PipelineConfig make_config(const Options& o, bool control, const std::string& out) {
  PipelineConfig cfg;
  cfg.file = "control_bench";
  cfg.mode = PipelineMode::live;
  cfg.output.dir = out;
  cfg.output.video = false;
  cfg.output.jsonl = false;
  cfg.output.summary = false;
  int seed = 1;
  for (const auto& [id, priority, deadline] :
       {std::tuple{"front", 1, o.deadline_ms}, std::tuple{"rear", 0, o.deadline_ms * 1.5}}) {
    CameraConfig c;
    c.id = id;
    c.source.camera = id;
    c.source.kind = SourceKind::synthetic;
    c.source.width = 640;
    c.source.height = 480;
    c.source.fps = o.fps;
    c.source.frames = -1;
    c.source.seed = seed++;
    c.deadline_ms = deadline;
    c.priority = priority;
    cfg.cameras.push_back(c);
  }
  ModelConfig m;
  m.id = "detector";
  m.task.model_path = o.model;
  m.task.backend.intra_op_threads = o.threads;
  m.cameras = {"front", "rear"};
  if (control) m.variants = {o.variant};
  cfg.models.push_back(m);
  cfg.telemetry.interval_s = 0.5;
  cfg.control.enabled = control;
  return cfg;
}

void run_once(const Options& o, int run, bool control) {
  const std::string out = (fs::temp_directory_path() / "percept_control_bench").string();
  const PipelineConfig cfg = make_config(o, control, out);
  std::atomic<double> factor{1};
  std::atomic<bool> hog{false}, stop{false}, quit_hogs{false};
  std::vector<std::thread> hogs;
  for (int i = 0; i < o.hogs; ++i)
    hogs.emplace_back([&] {
      volatile uint64_t x = 0;
      while (!quit_hogs.load(std::memory_order_relaxed)) {
        if (!hog.load(std::memory_order_relaxed)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        for (int k = 0; k < 100000; ++k) x = x + static_cast<uint64_t>(k);
      }
    });
  std::mutex mu;
  std::vector<TelemetrySnapshot> snaps;
  RuntimeOptions opt;
  opt.stop_flag = &stop;
  opt.wrap_backend = [&](std::unique_ptr<Backend> b, const ModelConfig&) {
    return std::unique_ptr<Backend>(std::make_unique<SteppedBackend>(std::move(b), factor));
  };
  opt.on_telemetry = [&](const TelemetrySnapshot& s) {
    std::lock_guard lock(mu);
    snaps.push_back(s);
  };
  std::vector<double> starts;
  std::thread driver([&] {
    for (const Phase& p : kPhases) {
      factor = p.factor > 0 ? p.factor : o.step;
      hog = p.hog;
      starts.push_back(unix_now());
      std::this_thread::sleep_for(std::chrono::duration<double>(o.phase_s));
    }
    starts.push_back(unix_now());
    stop = true;
  });
  const RunSummary sum = run_pipeline(cfg, opt);
  driver.join();
  quit_hogs = true;
  for (auto& t : hogs) t.join();

  // Per phase: results and late frames of every camera, from each snapshot's interval counts.
  constexpr double kSettle = 8.0;
  const size_t n = std::size(kPhases);
  std::vector<uint64_t> res(n), late(n), res_settled(n), late_settled(n);
  for (const TelemetrySnapshot& s : snaps) {
    const double mid = s.t - s.interval_s / 2;
    size_t p = 0;
    while (p + 1 < n && mid >= starts[p + 1]) ++p;
    if (mid < starts[0] || mid >= starts[n]) continue;
    for (const CameraTelemetry& c : s.cameras) {
      const uint64_t r = c.frames.interval + c.drops.interval;
      const uint64_t l = c.deadline_misses.interval + c.drops.interval;
      res[p] += r;
      late[p] += l;
      if (mid - starts[p] >= kSettle) {
        res_settled[p] += r;
        late_settled[p] += l;
      }
    }
  }
  JsonWriter w;
  w.begin_object().field("run", run).field("controller", control);
  uint64_t all_r = 0, all_l = 0, set_r = 0, set_l = 0;
  w.key("phases").begin_object();
  for (size_t p = 0; p < n; ++p) {
    all_r += res[p];
    all_l += late[p];
    set_r += res_settled[p];
    set_l += late_settled[p];
    const auto share = [](uint64_t l, uint64_t r) {
      return r ? static_cast<double>(l) / static_cast<double>(r) : 0.0;
    };
    w.key(kPhases[p].name)
        .begin_object()
        .field("results", res[p])
        .field("late_share", share(late[p], res[p]))
        .field("settled_late_share", share(late_settled[p], res_settled[p]))
        .end_object();
  }
  w.end_object();
  w.field("late_share", all_r ? static_cast<double>(all_l) / static_cast<double>(all_r) : 0.0);
  w.field("settled_late_share",
          set_r ? static_cast<double>(set_l) / static_cast<double>(set_r) : 0.0);
  w.key("p99_ms").begin_object();
  for (const CameraSummary& c : sum.cameras)
    w.field(c.id, static_cast<double>(c.end_to_end_ns.quantile(0.99)) * 1e-6);
  w.end_object();
  w.field("completed", sum.completed());
  if (sum.control) {
    const ControlTelemetry& c = *sum.control;
    w.field("controller_cpu_s", c.cpu_s);
    w.field("controller_cpu_share", sum.wall_s > 0 ? c.cpu_s / sum.wall_s : 0.0);
    w.key("actions").begin_array();
    for (const ControlAction& a : c.actions) {
      size_t p = 0;
      while (p + 1 < n && a.t >= starts[p + 1]) ++p;
      w.begin_object()
          .field("phase", kPhases[p].name)
          .field("after_phase_start_s", a.t - starts[p])
          .field("direction", a.direction)
          .field("action", a.action)
          .field("target", a.target)
          .field("to", a.to)
          .end_object();
    }
    w.end_array();
  }
  w.end_object();
  std::printf("%s\n", w.str().c_str());
  std::fflush(stdout);
  fs::remove_all(out);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--model")
      o.model = v;
    else if (k == "--variant")
      o.variant = v;
    else if (k == "--runs")
      o.runs = std::atoi(v);
    else if (k == "--phase-s")
      o.phase_s = std::atof(v);
    else if (k == "--fps")
      o.fps = std::atof(v);
    else if (k == "--deadline-ms")
      o.deadline_ms = std::atof(v);
    else if (k == "--step")
      o.step = std::atof(v);
    else if (k == "--hogs")
      o.hogs = std::atoi(v);
    else if (k == "--threads")
      o.threads = std::atoi(v);
    else {
      std::fprintf(stderr, "control_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (o.model.empty() || o.variant.empty()) {
    std::fprintf(stderr, "usage: control_bench --model M.onnx --variant M_small.onnx [...]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  try {
    // Alternating, so that a slow spell of this shared machine hits both modes alike.
    for (int r = 0; r < o.runs; ++r)
      for (bool control : {false, true}) run_once(o, r, control);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "control_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
