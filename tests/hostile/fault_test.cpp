// Faults injected into a running pipeline (docs/RELIABILITY.md): a live source that dies
// mid-stream and reconnects with backoff while the other cameras go on, a backend that fails
// (an error value, an exception) on some batches, sinks that cannot write (ENOSPC through
// /dev/full, a path that cannot be created). Each fault is counted in the summary and logged;
// the run ends normally, nothing hangs.
#include <gtest/gtest.h>
#include <onnxruntime_c_api.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <thread>

#include "percept/infer/onnxruntime_backend.hpp"
#include "percept/io/synthetic_source.hpp"
#include "percept/pipeline/runtime.hpp"
#include "percept/telemetry/snapshot.hpp"
#include "support/temp_dir.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;
const std::string kModel = std::string(PERCEPT_TEST_DATA) + "/const_v8.onnx";

// A live camera that delivers `frames` frames and then ends: lost (end of stream), read errors
// from then on, or read() throwing std::bad_alloc (what a decoder meeting a decompression bomb
// threw, issue 24: the camera's thread fails).
class DyingSource final : public Source {
 public:
  enum class End { lost, errors, throws };
  DyingSource(int frames, End end) : scene_({96, 64, 2, 7, -1}), left_(frames), end_(end) {}
  Result<bool> read(Image& frame) override {
    if (left_-- <= 0) {
      if (end_ == End::throws) throw std::bad_alloc();
      if (end_ == End::errors) return Error("fake://cam: read failed");
      return false;
    }
    return scene_.next(frame);
  }
  double fps() const override { return 0; }
  int64_t frame_count() const override { return -1; }

 private:
  SyntheticScene scene_;
  int left_;
  End end_;
};

// Delegates to a real backend, but run number `error_at` returns an error value and run number
// `throw_at` throws (as a custom backend or an allocation might).
class FlakyBackend final : public ForwardingBackend {
 public:
  FlakyBackend(std::unique_ptr<Backend> inner, int error_at, int throw_at)
      : ForwardingBackend(std::move(inner)), error_at_(error_at), throw_at_(throw_at) {}
  std::string name() const override { return "flaky(" + ForwardingBackend::name() + ")"; }
  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    ++runs_;
    if (runs_ == error_at_) return Error("injected: device lost");
    if (runs_ == throw_at_) throw std::runtime_error("injected: exception inside the backend");
    return inner().run(in);
  }

 private:
  int error_at_, throw_at_, runs_ = 0;
};

// How OomBackend fails: an error value with ErrorCode::out_of_memory (what the ONNX Runtime
// backend returns for its arena's "Failed to allocate memory"), std::bad_alloc, or the same words
// without the code (an error nothing classified: not to be taken for out of memory).
enum class OomAs { error_code, bad_alloc, words_only };

// Runs out of memory whenever a batch is larger than `max_ok`, and also on single-frame run
// number `oom_single_at` (0: never).
class OomBackend final : public ForwardingBackend {
 public:
  OomBackend(std::unique_ptr<Backend> inner, int64_t max_ok, OomAs as, int oom_single_at)
      : ForwardingBackend(std::move(inner)),
        max_ok_(max_ok),
        as_(as),
        oom_single_at_(oom_single_at) {}
  std::string name() const override { return "oom(" + ForwardingBackend::name() + ")"; }
  Result<std::span<const TensorView>> run(std::span<const TensorView> in) override {
    const int64_t batch = in[0].shape[0];
    if (batch > max_ok_ || (batch == 1 && ++single_runs_ == oom_single_at_)) {
      if (as_ == OomAs::bad_alloc) throw std::bad_alloc();
      return Error(as_ == OomAs::error_code ? ErrorCode::out_of_memory : ErrorCode::unknown,
                   "injected: Non-zero status code returned while running Conv node. Status "
                   "Message: Failed to allocate memory for requested buffer of size 26214400");
    }
    return inner().run(in);
  }

 private:
  int64_t max_ok_;
  OomAs as_;
  int oom_single_at_, single_runs_ = 0;
};

// ONNX Runtime reports a failed allocation as a generic failure (ORT_FAIL) whose words say so:
// onnxruntime_error_code() gives those ErrorCode::out_of_memory, and nothing else.
TEST(OutOfMemory, RecognisesAllocationFailuresOnly) {
  const auto oom = [](const char* message) {
    return onnxruntime_error_code(ORT_FAIL, message) == ErrorCode::out_of_memory;
  };
  EXPECT_TRUE(
      oom("Non-zero status code returned while running MatMul node. Status Message: Failed to "
          "allocate memory for requested buffer of size 1048576"));
  EXPECT_TRUE(oom("CUDA failure 2: out of memory ; GPU=0"));
  EXPECT_TRUE(oom("letterbox: cudaErrorMemoryAllocation (out of memory)"));
  EXPECT_TRUE(oom("CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED"));
  EXPECT_TRUE(oom("Available memory of 0 is smaller than requested bytes of 4194304"));
  EXPECT_TRUE(oom(std::bad_alloc().what()));
  EXPECT_TRUE(oom("OUT OF MEMORY"));
  EXPECT_FALSE(oom(""));
  EXPECT_FALSE(oom("injected: device lost"));
  EXPECT_FALSE(oom("Got invalid dimensions for input: images for the following"));
  EXPECT_FALSE(oom("memory-mapped file could not be opened"));
  // std::bad_alloc caught by percept (the executor, the backend's wrappers) has the code too.
  EXPECT_EQ(error_code_of(std::bad_alloc()), ErrorCode::out_of_memory);
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = percept::test::fresh_test_dir("percept_fault_");
    fs::create_directories(dir_ / "out");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static CameraConfig camera(const std::string& id, SourceKind kind, int64_t frames) {
    CameraConfig c;
    c.id = id;
    c.source.camera = id;
    c.source.kind = kind;
    c.source.path = "fake://" + id;
    c.source.width = 96;
    c.source.height = 64;
    c.source.frames = frames;
    return c;
  }
  PipelineConfig config(std::vector<CameraConfig> cams) {
    PipelineConfig cfg;
    cfg.file = "fault test";
    cfg.mode = PipelineMode::lossless;
    cfg.output.dir = (dir_ / "out").string();
    cfg.output.video = false;
    cfg.cameras = std::move(cams);
    ModelConfig m;
    m.id = "det";
    m.task.model_path = kModel;
    m.task.backend.intra_op_threads = 1;
    for (const auto& c : cfg.cameras) m.cameras.push_back(c.id);
    cfg.models.push_back(m);
    return cfg;
  }
  // The out-of-memory tests' run: `cameras` synthetic cameras of `frames` frames on the shapes
  // detector (dynamic batch), whose backend has memory for batches of up to `max_ok` frames
  // (OomBackend), with a batch wait long enough for the first batch to fill up.
  PipelineConfig oom_config(int cameras, int64_t frames, size_t max_batch) {
    std::vector<CameraConfig> cams;
    for (int i = 0; i < cameras; ++i)
      cams.push_back(camera("c" + std::to_string(i), SourceKind::synthetic, frames));
    auto cfg = config(std::move(cams));
    cfg.models[0].task.model_path = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";
    cfg.models[0].max_batch = max_batch;
    cfg.models[0].max_wait_us = 200000;
    return cfg;
  }
  static RuntimeOptions oom_options(int64_t max_ok, OomAs as, int oom_single_at) {
    RuntimeOptions opt;
    opt.wrap_backend = [=](std::unique_ptr<Backend> b,
                           const ModelConfig&) -> std::unique_ptr<Backend> {
      return std::make_unique<OomBackend>(std::move(b), max_ok, as, oom_single_at);
    };
    return opt;
  }
  // Keeps the run's last telemetry snapshot (the final one holds the run's totals): health
  // must show each fault live, not only in the summary.
  static void keep_last_snapshot(RuntimeOptions& opt, TelemetrySnapshot& last) {
    opt.on_telemetry = [&last](const TelemetrySnapshot& t) { last = t; };
  }
  std::vector<nlohmann::json> lines() {
    std::vector<nlohmann::json> v;
    std::ifstream f(dir_ / "out" / "detections.jsonl");
    std::string line;
    while (std::getline(f, line)) v.push_back(nlohmann::json::parse(line));
    return v;
  }
  fs::path dir_;
};

// An exception out of a camera's thread stops that camera only, and is not lost: the frame it
// was reading counts as a read error (so RunSummary::failed() and `percept run`'s exit status
// say so), the source is given up and shows as lost. Issue 24: the same with std::bad_alloc
// left `read_errors 0` and exit 0.
TEST_F(FaultTest, CameraThreadExceptionIsCountedAndTheOthersGoOn) {
  auto cfg =
      config({camera("good", SourceKind::synthetic, 40), camera("bomb", SourceKind::video, 0)});
  RuntimeOptions opt;
  opt.open_source = [](const SourceConfig& sc) -> std::unique_ptr<Source> {
    if (sc.kind != SourceKind::video) return open_source(sc);
    return std::make_unique<DyingSource>(1, DyingSource::End::throws);
  };
  TelemetrySnapshot tel;
  keep_last_snapshot(opt, tel);
  RunSummary s = run_pipeline(cfg, opt);
  EXPECT_EQ(s.cameras[0].completed, 40u);
  EXPECT_EQ(s.cameras[0].read_errors, 0u);
  EXPECT_EQ(s.cameras[1].captured, 1u);
  EXPECT_EQ(s.cameras[1].completed, 1u);
  EXPECT_EQ(s.cameras[1].read_errors, 1u);
  EXPECT_TRUE(s.cameras[1].gave_up);
  EXPECT_EQ(s.failed(), 1u);
  ASSERT_EQ(tel.cameras.size(), 2u);
  EXPECT_EQ(tel.cameras[1].source, "lost");
  EXPECT_EQ(tel.cameras[1].read_errors.total, 1u);
}

TEST_F(FaultTest, SourceDiesMidStreamReconnectsWithBackoffWhileOthersGoOn) {
  auto cfg =
      config({camera("good", SourceKind::synthetic, 150), camera("flaky", SourceKind::stream, 0)});
  std::atomic<int> opens{0};
  RuntimeOptions opt;
  opt.reconnect_attempts = 3;
  opt.reconnect_backoff_ms = 2;
  opt.reconnect_backoff_max_ms = 8;
  // Open 1: 30 frames then lost. Open 2 fails, open 3 gives 30 more frames, then every open
  // fails: the camera is given up after 3 attempts.
  opt.open_source = [&](const SourceConfig& sc) -> std::unique_ptr<Source> {
    if (sc.kind != SourceKind::stream) return open_source(sc);
    const int n = ++opens;
    if (n == 1 || n == 3) return std::make_unique<DyingSource>(30, DyingSource::End::lost);
    throw Error("cannot open stream '" + sc.path + "'");
  };
  TelemetrySnapshot tel;
  keep_last_snapshot(opt, tel);
  const auto t0 = std::chrono::steady_clock::now();
  RunSummary s = run_pipeline(cfg, opt);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(tel.cameras.size(), 2u);
  EXPECT_EQ(tel.cameras[0].source, "ok");
  EXPECT_EQ(tel.cameras[1].source, "lost");
  EXPECT_EQ(tel.cameras[1].reconnects.total, 1u);
  EXPECT_NE(prometheus_text(tel).find("percept_camera_source_up{camera=\"flaky\"} 0"),
            std::string::npos);
  EXPECT_EQ(s.cameras[0].completed, 150u);
  EXPECT_EQ(s.cameras[1].captured, 60u);
  EXPECT_EQ(s.cameras[1].completed, 60u);
  EXPECT_EQ(s.cameras[1].reconnects, 1u);
  EXPECT_TRUE(s.cameras[1].gave_up);
  EXPECT_EQ(opens.load(), 6);  // setup + 2 attempts, then 3 failed attempts
  EXPECT_LT(secs, 30);
  auto summary = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
  EXPECT_EQ(summary["cameras"][1]["reconnects"], 1);
  EXPECT_EQ(summary["cameras"][1]["gave_up"], true);
  EXPECT_NE(summary_text(s).find("reconnects 1  source lost for good"), std::string::npos);
  EXPECT_EQ(lines().size(), 210u);
}

TEST_F(FaultTest, ReadErrorsInARowReconnect) {
  auto cfg = config({camera("cam", SourceKind::device, 0)});
  std::atomic<int> opens{0};
  RuntimeOptions opt;
  opt.reconnect_attempts = 2;
  opt.reconnect_backoff_ms = 1;
  opt.open_source = [&](const SourceConfig&) -> std::unique_ptr<Source> {
    return std::make_unique<DyingSource>(++opens <= 2 ? 10 : 0, DyingSource::End::errors);
  };
  TelemetrySnapshot tel;
  keep_last_snapshot(opt, tel);
  RunSummary s = run_pipeline(cfg, opt);
  ASSERT_EQ(tel.cameras.size(), 1u);
  EXPECT_EQ(tel.cameras[0].read_errors.total, s.cameras[0].read_errors);
  EXPECT_EQ(tel.cameras[0].reconnects.total, s.cameras[0].reconnects);
  EXPECT_EQ(s.cameras[0].captured, 20u);
  EXPECT_EQ(s.cameras[0].completed, 20u);
  EXPECT_GE(s.cameras[0].reconnects, 1u);
  EXPECT_GE(s.cameras[0].read_errors, 200u);
  EXPECT_TRUE(s.cameras[0].gave_up);
}

TEST_F(FaultTest, CameraReconnectSettingsOverrideTheRuntimeDefaults) {
  auto cam = camera("cam", SourceKind::stream, 0);
  cam.reconnect = ReconnectConfig{1, 1, 1};  // what `reconnect: {attempts: 1, ...}` gives
  auto cfg = config({cam});
  std::atomic<int> opens{0};
  RuntimeOptions opt;  // defaults: 10 attempts from 100 ms, which would take seconds
  opt.open_source = [&](const SourceConfig& sc) -> std::unique_ptr<Source> {
    if (++opens == 1) return std::make_unique<DyingSource>(5, DyingSource::End::lost);
    throw Error("cannot open stream '" + sc.path + "'");
  };
  const auto t0 = std::chrono::steady_clock::now();
  RunSummary s = run_pipeline(cfg, opt);
  EXPECT_EQ(opens.load(), 2);  // set-up, then the single attempt the camera allows
  EXPECT_TRUE(s.cameras[0].gave_up);
  EXPECT_EQ(s.cameras[0].completed, 5u);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5);
}

TEST_F(FaultTest, StopIsNotHeldUpByReconnectBackoff) {
  auto cfg = config({camera("cam", SourceKind::stream, 0)});
  RuntimeOptions opt;
  opt.reconnect_backoff_ms = 60000;  // a minute: the stop must cut it short
  opt.reconnect_backoff_max_ms = 60000;
  std::atomic<bool> stop{false};
  opt.stop_flag = &stop;
  opt.open_source = [](const SourceConfig&) -> std::unique_ptr<Source> {
    return std::make_unique<DyingSource>(5, DyingSource::End::lost);
  };
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  RunSummary s = run_pipeline(cfg, opt);
  stopper.join();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10);
  EXPECT_EQ(s.cameras[0].completed, 5u);
}

TEST_F(FaultTest, FilesAreNotReconnected) {
  auto cfg = config({camera("syn", SourceKind::synthetic, 12)});
  RunSummary s = run_pipeline(cfg, {});
  EXPECT_EQ(s.cameras[0].completed, 12u);
  EXPECT_EQ(s.cameras[0].reconnects, 0u);
  EXPECT_FALSE(s.cameras[0].gave_up);
}

TEST_F(FaultTest, BackendErrorsFailOnlyTheirBatches) {
  auto cfg =
      config({camera("a", SourceKind::synthetic, 30), camera("b", SourceKind::synthetic, 30)});
  RuntimeOptions opt;
  opt.wrap_backend = [](std::unique_ptr<Backend> b,
                        const ModelConfig&) -> std::unique_ptr<Backend> {
    return std::make_unique<FlakyBackend>(std::move(b), 5, 17);
  };
  RunSummary s = run_pipeline(cfg, opt);
  // const_v8 has a fixed batch of 1: each failure costs exactly one frame.
  EXPECT_EQ(s.models[0].stats.failed, 2u);
  EXPECT_EQ(s.models[0].stats.frames, 58u);
  EXPECT_EQ(s.failed(), 2u);
  EXPECT_EQ(s.cameras[0].completed + s.cameras[1].completed, 60u);
  auto l = lines();
  ASSERT_EQ(l.size(), 60u);
  int errors = 0;
  for (const auto& j : l)
    if (j.contains("error")) {
      ++errors;
      EXPECT_NE(j["error"].get<std::string>().find("injected"), std::string::npos) << j;
    }
  EXPECT_EQ(errors, 2);
}

// Eight cameras on a dynamic-batch detector with max_batch 8, on a backend that has memory for
// two frames: the first large batch runs out of memory, the executor halves its batch until it
// fits and retries the same frames, and every frame completes.
TEST_F(FaultTest, OutOfMemoryHalvesTheBatchAndLosesNoFrame) {
  for (OomAs as : {OomAs::error_code, OomAs::bad_alloc}) {
    SCOPED_TRACE(as == OomAs::bad_alloc ? "std::bad_alloc" : "error value");
    auto cfg = oom_config(8, 12, 8);  // the first batch fills up to all eight cameras
    RuntimeOptions opt = oom_options(2, as, 0);
    TelemetrySnapshot tel;
    keep_last_snapshot(opt, tel);
    RunSummary s = run_pipeline(cfg, opt);
    const ModelStats& st = s.models[0].stats;
    ASSERT_EQ(tel.models.size(), 1u);
    EXPECT_EQ(tel.models[0].oom_degrades.total, st.oom_degrades);
    EXPECT_EQ(st.failed, 0u);
    EXPECT_EQ(st.frames, 96u);
    EXPECT_EQ(s.completed(), 96u);
    EXPECT_EQ(s.models[0].max_batch, 2u);  // 8 -> 4 -> 2, or 3 -> 2 if a smaller batch came first
    EXPECT_GE(st.oom_degrades, 1u);
    EXPECT_LE(st.oom_degrades, 2u);
    for (size_t n = 3; n < st.batch_sizes.size(); ++n)
      EXPECT_EQ(st.batch_sizes[n], 0u) << "a batch of " << n << " is counted as run";
    EXPECT_GT(st.batch_sizes[2], 0u);
    EXPECT_EQ(lines().size(), 96u);
    auto summary = nlohmann::json::parse(std::ifstream(dir_ / "out" / "summary.json"));
    EXPECT_EQ(summary["models"][0]["oom_degrades"], st.oom_degrades);
    EXPECT_EQ(summary["models"][0]["max_batch"], 2);
    EXPECT_NE(summary_text(s).find("out of memory: batch halved"), std::string::npos);
  }
}

// Out of memory even on one frame: that frame fails like any backend error, the batch stays at
// one, and the pipeline goes on.
TEST_F(FaultTest, OutOfMemoryOnASingleFrameFailsOnlyThatFrame) {
  auto cfg = oom_config(4, 10, 4);
  RuntimeOptions opt = oom_options(1, OomAs::error_code, 7);
  RunSummary s = run_pipeline(cfg, opt);
  const ModelStats& st = s.models[0].stats;
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(st.frames, 39u);
  EXPECT_EQ(s.completed(), 40u);
  EXPECT_EQ(s.models[0].max_batch, 1u);
  EXPECT_GE(st.oom_degrades, 1u);
  int errors = 0;
  for (const auto& j : lines())
    if (j.contains("error")) {
      ++errors;
      EXPECT_NE(j["error"].get<std::string>().find("Failed to allocate memory"), std::string::npos)
          << j;
    }
  EXPECT_EQ(errors, 1);
}

// The executor decides on the error's code, not its words: a failure that says "Failed to
// allocate memory" without ErrorCode::out_of_memory fails its frames, and the batch stays.
TEST_F(FaultTest, OutOfMemoryWordsWithoutTheCodeAreNotRetried) {
  auto cfg = oom_config(8, 12, 8);
  RuntimeOptions opt = oom_options(2, OomAs::words_only, 0);
  RunSummary s = run_pipeline(cfg, opt);
  const ModelStats& st = s.models[0].stats;
  EXPECT_EQ(st.oom_degrades, 0u);
  EXPECT_EQ(s.models[0].max_batch, 8u);
  EXPECT_GT(st.failed, 0u);
  EXPECT_EQ(st.failed + st.frames, 96u);
  EXPECT_EQ(lines().size(), 96u);
}

TEST_F(FaultTest, SinkOnAFullDiskIsCountedAndDoesNotBlock) {
  fs::create_symlink("/dev/full", dir_ / "out" / "detections.jsonl");  // every write: ENOSPC
  for (PipelineMode mode : {PipelineMode::lossless, PipelineMode::live}) {
    auto cfg =
        config({camera("a", SourceKind::synthetic, 40), camera("b", SourceKind::synthetic, 40)});
    cfg.mode = mode;
    cfg.output.summary = false;
    RuntimeOptions opt;
    TelemetrySnapshot tel;
    keep_last_snapshot(opt, tel);
    RunSummary s = run_pipeline(cfg, opt);
    ASSERT_EQ(s.sinks.size(), 1u);
    ASSERT_EQ(tel.sinks.size(), 1u);
    EXPECT_EQ(tel.sinks[0].name, "jsonl");
    EXPECT_EQ(tel.sinks[0].errors.total, s.sinks[0].second.errors);
    EXPECT_EQ(tel.sinks[0].dropped.total, s.sinks[0].second.dropped);
    EXPECT_EQ(tel.sinks[0].written.total, 0u);
    EXPECT_EQ(s.sinks[0].first, "jsonl");
    EXPECT_EQ(s.sinks[0].second.written, 0u);
    EXPECT_EQ(s.sinks[0].second.errors + s.sinks[0].second.dropped,
              s.cameras[0].published + s.cameras[1].published);
    EXPECT_GT(s.sinks[0].second.errors, 0u);
    if (mode == PipelineMode::lossless) {
      EXPECT_EQ(s.completed(), 80u);
      EXPECT_EQ(s.sinks[0].second.errors, 80u);
    }
  }
}

TEST_F(FaultTest, SinksThatCannotCreateTheirFilesAreCounted) {
  // The video file's path is taken by a folder, the image folder's by a plain file.
  fs::create_directories(dir_ / "out" / "a.annotated.avi");
  std::ofstream(dir_ / "out" / "a") << "in the way";
  auto cfg = config({camera("a", SourceKind::synthetic, 10)});
  cfg.output.video = true;
  cfg.output.images = true;
  RunSummary s = run_pipeline(cfg, {});
  EXPECT_EQ(s.completed(), 10u);
  for (const auto& [name, st] : s.sinks) {
    if (name == "jsonl") {
      EXPECT_EQ(st.written, 10u);
    } else {
      EXPECT_EQ(st.errors, 10u) << name;
    }
  }
  EXPECT_EQ(lines().size(), 10u);  // the other sinks are unaffected
}

}  // namespace
}  // namespace percept
