// Telemetry wired into the pipeline: the `telemetry:` config section, the JSONL written during
// a run, and the snapshots handed to RuntimeOptions::on_telemetry (what serves /metrics).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "percept/core/error.hpp"
#include "percept/pipeline/config.hpp"
#include "percept/pipeline/runtime.hpp"
#include "percept/telemetry/report.hpp"

namespace percept {
namespace {

std::string write_config(const std::string& name, const std::string& telemetry) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/" + name + ".yaml";
  std::ofstream f(path);
  f << "mode: lossless\n"
       "cameras:\n"
       "  - {id: a, source: synthetic, width: 320, height: 240, frames: 20, seed: 1,"
       " deadline_ms: 1000}\n"
       "  - {id: b, source: synthetic, width: 320, height: 240, frames: 12, seed: 2}\n"
       "models:\n"
       "  - id: det\n"
       "    path: " PERCEPT_MODELS
       "/shapes_yolov8.onnx\n"
       "    max_batch: 2\n"
       "output: {dir: " +
           dir + "/" + name + "_out, video: false, jsonl: false, summary: false}\n" + telemetry;
  return path;
}

TEST(RuntimeTelemetry, WritesJsonlDuringTheRunAndEndsWithTheRunTotals) {
  const std::string jsonl = ::testing::TempDir() + "/run_telemetry.jsonl";
  const PipelineConfig cfg = load_pipeline_config(
      write_config("tel", "telemetry:\n  jsonl: " + jsonl + "\n  interval_s: 0.05\n"));
  EXPECT_EQ(cfg.telemetry.jsonl, std::filesystem::path(jsonl).lexically_normal().string());
  EXPECT_FALSE(cfg.telemetry.metrics_port.has_value());
  RuntimeOptions opt;
  std::atomic<int> handed{0};
  opt.on_telemetry = [&](const TelemetrySnapshot& s) {
    EXPECT_EQ(s.cameras.size(), 2u);
    ++handed;
  };
  const RunSummary sum = run_pipeline(cfg, opt);
  const std::vector<TelemetrySnapshot> snaps = read_telemetry_file(jsonl);
  ASSERT_GE(snaps.size(), 1u);
  EXPECT_EQ(handed.load(), static_cast<int>(snaps.size()));
  const TelemetrySnapshot& last = snaps.back();
  ASSERT_EQ(last.cameras.size(), 2u);
  uint64_t interval_frames = 0;
  for (const auto& s : snaps) interval_frames += s.cameras[0].frames.interval;
  EXPECT_EQ(last.cameras[0].frames.total, sum.cameras[0].completed);
  EXPECT_EQ(interval_frames, sum.cameras[0].completed);  // every frame in exactly one interval
  EXPECT_EQ(last.cameras[1].frames.total, sum.cameras[1].completed);
  EXPECT_EQ(last.cameras[0].deadline_ms, 1000.0);
  EXPECT_FALSE(last.cameras[1].deadline_ms.has_value());
  EXPECT_EQ(last.latency.total_count, sum.cameras[0].completed + sum.cameras[1].completed);
  ASSERT_EQ(last.models.size(), 1u);
  EXPECT_EQ(last.models[0].frames.total, sum.models[0].stats.frames);
  EXPECT_EQ(last.models[0].inference.total_count, sum.models[0].stats.batches);
  // One owner of the run's counters: the summary's whole-run histograms are the union of the
  // intervals the snapshots reported, sample for sample.
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(sum.cameras[c].end_to_end_ns.count(), last.cameras[c].end_to_end.total_count) << c;
    EXPECT_NEAR(sum.cameras[c].end_to_end_ns.mean() * 1e-6 *
                    static_cast<double>(sum.cameras[c].end_to_end_ns.count()),
                last.cameras[c].end_to_end.total_sum_ms, 1e-3)  // the JSONL keeps 3 decimals
        << c;
  }
  EXPECT_EQ(sum.models[0].stats.queue_ns.count(), last.models[0].queue.total_count);
  EXPECT_EQ(sum.models[0].stats.inference_ns.count(), last.models[0].inference.total_count);
  EXPECT_EQ(sum.models[0].stats.oom_degrades, last.models[0].oom_degrades.total);
  EXPECT_EQ(sum.models[0].stats.failed, last.models[0].failed.total);
  // The detector's output [batch, 9, 2100] float32 lives in a kept buffer: one block per batch
  // size seen, reused by every other batch, so the pool was asked at most once per batch.
  ASSERT_TRUE(last.models[0].buffers.has_value());
  const BufferPoolTelemetry& buf = *last.models[0].buffers;
  EXPECT_GE(buf.bytes_in_use, 9u * 2100 * 4);
  EXPECT_LE(buf.bytes_in_use, 2u * 9 * 2100 * 4 * 5 / 4);  // size classes round up by < 25%
  EXPECT_GE(buf.peak_bytes, buf.bytes_in_use);
  EXPECT_GE(buf.cache_misses, 1u);
  EXPECT_LE(buf.cache_hits + buf.cache_misses, sum.models[0].stats.batches);
  EXPECT_TRUE(last.system.rss_bytes.has_value());
}

TEST(RuntimeTelemetry, ConfigSectionIsCheckedStrictly) {
  const PipelineConfig cfg =
      load_pipeline_config(write_config("met", "telemetry:\n  metrics: {port: 0}\n"));
  ASSERT_TRUE(cfg.telemetry.metrics_port.has_value());
  EXPECT_EQ(*cfg.telemetry.metrics_port, 0);
  EXPECT_EQ(cfg.telemetry.metrics_host, "127.0.0.1");
  EXPECT_DOUBLE_EQ(cfg.telemetry.interval_s, 1.0);

  const auto error_of = [](const std::string& path) -> std::string {
    try {
      load_pipeline_config(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  std::string e = error_of(write_config("bad1", "telemetry:\n  jsonl: x.jsonl\n  intervall: 1\n"));
  EXPECT_NE(e.find("bad1.yaml:12"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'intervall'"), std::string::npos) << e;
  e = error_of(write_config("bad2", "telemetry:\n  metrics: {host: 0.0.0.0}\n"));
  EXPECT_NE(e.find("telemetry.metrics.port is required"), std::string::npos) << e;
  e = error_of(write_config("bad3", "telemetry:\n  metrics: {port: 70000}\n"));
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  e = error_of(write_config("bad4", "telemetry:\n  interval_s: 0\n"));
  EXPECT_NE(e.find("interval_s"), std::string::npos) << e;
}

}  // namespace
}  // namespace percept
