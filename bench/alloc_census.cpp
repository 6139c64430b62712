// Heap allocations per frame of the whole frame path, by output (issue 22, item 3: "a frame path
// that never allocates, sinks included"): the reference scenario's three synthetic cameras
// (rgb: detector and depth; slam1, slam2: detector) in lossless mode, once with no output and
// once per output added alone. Every thread's operator new is counted except inside the
// backend's run() (ONNX Runtime's own; one intra-op thread, so it runs on the executor thread).
// Steady state: (allocations of a run of `long` frames - a run of `short` frames) / the extra
// frames, so start-up and shutdown cancel out.
//
//   alloc_census [--model models/shapes_yolov8.onnx] [--depth models/scene_depth.onnx]
//                [--short 50] [--long 250]
//
// Prints one JSON line per output: allocations per frame (all cameras' frames) in steady state.
#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "percept/pipeline/runtime.hpp"

namespace {

std::atomic<long> g_allocations{0};
thread_local bool t_in_backend = false;

// Allocations per thread name (the pipeline names its threads: cap:<camera>, exec:<model>,
// sink:<name>, telemetry, control); a fixed table, so counting allocates nothing itself.
struct ByName {
  char name[16];
  std::atomic<long> count;
};
ByName g_by_name[64];
std::atomic<int> g_names{0};
std::atomic_flag g_names_lock = ATOMIC_FLAG_INIT;

void count_by_name() {
  char name[16] = {};
  prctl(PR_GET_NAME, name, 0, 0, 0);
  const int n = g_names.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    if (std::strncmp(g_by_name[i].name, name, 16) == 0) {
      g_by_name[i].count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  while (g_names_lock.test_and_set(std::memory_order_acquire)) {
  }
  const int m = g_names.load(std::memory_order_relaxed);
  int i = 0;
  while (i < m && std::strncmp(g_by_name[i].name, name, 16) != 0) ++i;
  if (i == m && m < 64) {
    std::memcpy(g_by_name[i].name, name, 16);
    g_names.store(m + 1, std::memory_order_release);
  }
  if (i < 64) g_by_name[i].count.fetch_add(1, std::memory_order_relaxed);
  g_names_lock.clear(std::memory_order_release);
}

// Each thread name's count now, so that two runs can be subtracted.
std::vector<std::pair<std::string, long>> names_now() {
  std::vector<std::pair<std::string, long>> v;
  const int n = g_names.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i)
    v.emplace_back(std::string(g_by_name[i].name, strnlen(g_by_name[i].name, 16)),
                   g_by_name[i].count.load());
  return v;
}

}  // namespace

// GCC sees free() on what its builtin operator new returned once these are inlined into a
// caller's new/delete pair; here both sides are malloc/free, so the warning is a false one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (!t_in_backend) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    count_by_name();
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

using namespace percept;
namespace fs = std::filesystem;

// The real backend; what it allocates inside run() is ONNX Runtime's, not the frame path's.
class UncountedRun final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    t_in_backend = true;
    auto r = inner().run(in);
    t_in_backend = false;
    return r;
  }
};

struct Args {
  std::string model = "models/shapes_yolov8.onnx";
  std::string depth = "models/scene_depth.onnx";
  int64_t short_frames = 50, long_frames = 250;
};

PipelineConfig config(const Args& a, const std::string& output, const std::string& dir) {
  PipelineConfig cfg;
  cfg.file = "alloc_census";
  cfg.mode = PipelineMode::lossless;
  cfg.output.dir = dir;
  cfg.output.jsonl = output == "jsonl";
  cfg.output.video = output == "video";
  cfg.output.mosaic = output == "mosaic";
  cfg.output.images = output == "images";
  cfg.output.summary = false;
  if (output == "bag") cfg.output.bag = BagOptions{};
  if (output == "bag") cfg.output.bag->path = dir + "/run.mcap";
  if (output == "telemetry") cfg.telemetry.jsonl = dir + "/telemetry.jsonl";
  uint64_t seed = 10;
  for (const char* id : {"rgb", "slam1", "slam2"}) {
    CameraConfig c;
    c.id = id;
    c.source.camera = id;
    c.source.kind = SourceKind::synthetic;
    c.source.seed = seed++;
    c.source.frames = -1;
    cfg.cameras.push_back(c);
  }
  ModelConfig det;
  det.id = "detector";
  det.task.model_path = a.model;
  det.task.backend.intra_op_threads = 1;
  det.cameras = {"rgb", "slam1", "slam2"};
  det.max_batch = 3;
  ModelConfig depth;
  depth.id = "depth";
  depth.task.model_path = a.depth;
  depth.task.backend.intra_op_threads = 1;
  depth.cameras = {"rgb"};
  cfg.models = {det, depth};
  return cfg;
}

long count_run(const Args& a, const std::string& output, int64_t frames) {
  const std::string dir = (fs::temp_directory_path() / "percept_alloc_census").string();
  fs::remove_all(dir);
  const PipelineConfig cfg = config(a, output, dir);
  RuntimeOptions opt;
  opt.max_frames = frames;
  opt.wrap_backend = [](std::unique_ptr<Backend> b, const ModelConfig&) {
    return std::unique_ptr<Backend>(std::make_unique<UncountedRun>(std::move(b)));
  };
  const long before = g_allocations.load();
  (void)run_pipeline(cfg, opt);
  const long n = g_allocations.load() - before;
  fs::remove_all(dir);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model"))
      a.model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--depth"))
      a.depth = argv[i + 1];
    else if (!std::strcmp(argv[i], "--short"))
      a.short_frames = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--long"))
      a.long_frames = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "alloc_census: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  try {
    (void)count_run(a, "none", a.short_frames);  // the process's one-time set-up
    const double frames = static_cast<double>(3 * (a.long_frames - a.short_frames));
    for (const char* output : {"none", "jsonl", "telemetry", "video", "mosaic", "images", "bag"}) {
      const auto n0 = names_now();
      const long s = count_run(a, output, a.short_frames);
      const auto n1 = names_now();
      const long l = count_run(a, output, a.long_frames);
      const auto n2 = names_now();
      std::printf("{\"output\": \"%s\", \"allocations_per_frame\": %.2f, \"by_thread\": {", output,
                  static_cast<double>(l - s) / frames);
      bool first = true;
      for (const auto& [name, c2] : n2) {
        const auto at = [&](const std::vector<std::pair<std::string, long>>& v) {
          for (const auto& [k, c] : v)
            if (k == name) return c;
          return 0L;
        };
        // (the long run's allocations - the short run's) per extra frame, for this name.
        const double per = static_cast<double>((c2 - at(n1)) - (at(n1) - at(n0))) / frames;
        if (per < 0.005 && per > -0.005) continue;
        std::printf("%s\"%s\": %.2f", first ? "" : ", ", name.c_str(), per);
        first = false;
      }
      std::printf("}}\n");
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "alloc_census: %s\n", e.what());
    return 1;
  }
  return 0;
}
