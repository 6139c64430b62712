// RuntimeOptions::on_frame (the dashboard's annotated frames): called off the frame path with
// annotated pixels, at most once per interval per camera, and never slowing the pipeline down,
// not even in lossless mode.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "percept/pipeline/runtime.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

PipelineConfig two_cameras(const fs::path& dir, int64_t frames) {
  PipelineConfig cfg;
  cfg.file = "test";
  cfg.mode = PipelineMode::lossless;
  cfg.output.dir = dir.string();
  cfg.output.video = false;
  for (const char* id : {"a", "b"}) {
    CameraConfig c;
    c.id = id;
    c.source.camera = id;
    c.source.kind = SourceKind::synthetic;
    c.source.width = 160;
    c.source.height = 120;
    c.source.frames = frames;
    cfg.cameras.push_back(c);
  }
  ModelConfig m;
  m.id = "shapes";
  m.task.model_path = std::string(PERCEPT_MODELS) + "/shapes_yolov8.onnx";
  m.task.backend.intra_op_threads = 1;
  m.cameras = {"a", "b"};
  m.max_batch = 2;
  cfg.models.push_back(m);
  return cfg;
}

fs::path temp_dir(const char* name) {
  fs::path d = fs::temp_directory_path() / ("percept_preview_" + std::to_string(::getpid()) + name);
  fs::remove_all(d);
  return d;
}

TEST(Preview, HandsAnnotatedFramesOfEveryCameraOffTheFramePath) {
  const fs::path dir = temp_dir("a");
  std::mutex mu;
  std::map<std::string, int> calls;
  std::map<std::string, std::pair<int, int>> sizes;
  const auto main_thread = std::this_thread::get_id();
  bool on_main = false;
  RuntimeOptions opt;
  opt.frame_interval_s = 0;  // every frame the preview thread is free for
  opt.on_frame = [&](const std::string& camera, const Image& annotated) {
    std::lock_guard lock(mu);
    ++calls[camera];
    sizes[camera] = {annotated.width(), annotated.height()};
    on_main |= std::this_thread::get_id() == main_thread;
  };
  RunSummary s = run_pipeline(two_cameras(dir, 20), opt);
  EXPECT_EQ(s.completed(), 40u);
  EXPECT_GT(calls["a"], 0);
  EXPECT_GT(calls["b"], 0);
  EXPECT_EQ(sizes["a"], std::make_pair(160, 120));
  EXPECT_FALSE(on_main);
  for (const auto& [name, st] : s.sinks) EXPECT_NE(name, "preview");  // not a summary sink
  fs::remove_all(dir);
}

TEST(Preview, ASlowCallbackSkipsPreviewsAndNeverHoldsUpALosslessRun) {
  const fs::path dir = temp_dir("b");
  int calls = 0;
  RuntimeOptions opt;
  opt.frame_interval_s = 0;
  opt.on_frame = [&](const std::string&, const Image&) {
    ++calls;  // only the preview thread calls it
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  };
  const auto start = std::chrono::steady_clock::now();
  RunSummary s = run_pipeline(two_cameras(dir, 30), opt);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(s.completed(), 60u);  // lossless: every frame, previews or not
  // 60 frames at 300 ms each would take 18 s; skipping, the callback ran for a few only.
  EXPECT_LT(calls, 30) << "ran " << wall << " s";
  EXPECT_GT(calls, 0);
  fs::remove_all(dir);
}

TEST(Preview, RateLimitedPerCamera) {
  const fs::path dir = temp_dir("c");
  std::mutex mu;
  std::map<std::string, int> calls;
  RuntimeOptions opt;
  opt.frame_interval_s = 3600;  // at most the first frame of each camera
  opt.on_frame = [&](const std::string& camera, const Image&) {
    std::lock_guard lock(mu);
    ++calls[camera];
  };
  run_pipeline(two_cameras(dir, 15), opt);
  EXPECT_LE(calls["a"], 1);
  EXPECT_LE(calls["b"], 1);
  EXPECT_EQ(calls["a"] + calls["b"] > 0, true);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace percept
