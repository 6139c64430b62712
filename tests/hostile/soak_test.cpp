// The CI-sized soak (docs/RELIABILITY.md; scripts/soak.sh runs the 100k-frame one): 10,000
// synthetic frames through a two-camera pipeline with every sink on. After warm-up the
// resident set must stay flat (the frame path reuses pooled frames and buffers), and under
// nominal load nothing is dropped and no deadline is missed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "percept/pipeline/runtime.hpp"
#include "percept/telemetry/system_sampler.hpp"

namespace percept {
namespace {

namespace fs = std::filesystem;

TEST(Soak, TenThousandFramesFlatMemoryNoDrops) {
  const int64_t per_camera = 5000;
  const fs::path dir = fs::temp_directory_path() / ("percept_soak_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  PipelineConfig cfg;
  cfg.file = "soak";
  cfg.mode = PipelineMode::lossless;
  cfg.output.dir = (dir / "out").string();
  cfg.output.video = true;
  cfg.telemetry.jsonl = (dir / "out" / "telemetry.jsonl").string();
  cfg.telemetry.interval_s = 0.5;
  for (const char* id : {"a", "b"}) {
    CameraConfig c;
    c.id = id;
    c.source.camera = id;
    c.source.kind = SourceKind::synthetic;
    c.source.width = 64;
    c.source.height = 48;
    c.source.frames = per_camera;
    c.deadline_ms = 2000;  // nominal load: generous, a miss would mean a stall
    cfg.cameras.push_back(c);
  }
  ModelConfig m;
  m.id = "det";
  m.task.model_path = std::string(PERCEPT_TEST_DATA) + "/const_v8.onnx";
  m.task.backend.intra_op_threads = 1;
  m.cameras = {"a", "b"};
  cfg.models.push_back(m);

  // RSS every 20 ms on a thread of its own.
  std::vector<uint64_t> rss;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      if (auto r = ProcessSampler::rss_bytes()) rss.push_back(*r);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  RunSummary s = run_pipeline(cfg, {});
  done = true;
  sampler.join();
  fs::remove_all(dir);

  EXPECT_EQ(s.completed(), static_cast<uint64_t>(2 * per_camera));
  for (const auto& c : s.cameras) {
    EXPECT_EQ(c.captured, static_cast<uint64_t>(per_camera)) << c.id;
    EXPECT_EQ(c.slot_drops, 0u) << c.id;
    EXPECT_EQ(c.unprocessed, 0u) << c.id;
    EXPECT_EQ(c.deadline_misses, 0u) << c.id;
    EXPECT_EQ(c.published, static_cast<uint64_t>(per_camera)) << c.id;
  }
  for (const auto& [name, st] : s.sinks) {
    EXPECT_EQ(st.dropped, 0u) << name;
    EXPECT_EQ(st.errors, 0u) << name;
  }
  EXPECT_EQ(s.failed(), 0u);
  // Warm-up: the first quarter of the run. After it, RSS may wander by allocator noise (a few
  // MB) but must not grow with the frame count.
  ASSERT_GT(rss.size(), 20u) << "the run was too short to sample";
  const size_t warm = rss.size() / 4;
  const uint64_t base = *std::max_element(rss.begin(), rss.begin() + static_cast<long>(warm));
  const uint64_t peak = *std::max_element(rss.begin() + static_cast<long>(warm), rss.end());
  const double growth_mb = (static_cast<double>(peak) - static_cast<double>(base)) / 1e6;
  std::printf(
      "soak: %llu frames in %.1f s (%.0f FPS), RSS %.1f MB after warm-up, peak %.1f MB "
      "(+%.2f MB), %zu samples, frame pool %zu\n",
      static_cast<unsigned long long>(s.completed()), s.wall_s, s.fps(),
      static_cast<double>(base) / 1e6, static_cast<double>(peak) / 1e6, growth_mb, rss.size(),
      s.frames_allocated);
  EXPECT_LT(growth_mb, 8.0);
}

}  // namespace
}  // namespace percept
