#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "percept/core/error.hpp"
#include "percept/telemetry/snapshot.hpp"
#include "sample_snapshot.hpp"

namespace percept {
namespace {

using nlohmann::json;

void expect_latency_object(const json& l) {
  ASSERT_TRUE(l.is_object());
  for (const char* k :
       {"count", "p50", "p90", "p99", "max", "mean", "stddev", "total_count", "total_sum"}) {
    ASSERT_TRUE(l.contains(k)) << k;
    EXPECT_TRUE(l[k].is_number()) << k;
  }
}

TEST(TelemetryJsonl, OneLineWithTheTopLevelKeysTeamsAlreadyLog) {
  const std::string line = telemetry_jsonl(test::sample_snapshot());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json j = json::parse(line);
  // The shape robotics teams log today: {"fps": 18.2, "latency_ms": ..., "gpu_usage": 92}.
  ASSERT_TRUE(j["fps"].is_number());
  EXPECT_DOUBLE_EQ(j["fps"].get<double>(), 59.0);
  expect_latency_object(j["latency_ms"]);
  EXPECT_NEAR(j["latency_ms"]["p50"].get<double>(), 40.0, 0.4);  // histogram: 1%
  EXPECT_DOUBLE_EQ(j["latency_ms"]["max"].get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(j["gpu_usage"].get<double>(), 42.0);
  EXPECT_TRUE(j["t"].is_number());
  EXPECT_TRUE(j["interval_s"].is_number());

  ASSERT_EQ(j["cameras"].size(), 2u);
  const json& c = j["cameras"][0];
  EXPECT_EQ(c["id"], "front");
  for (const char* k : {"fps", "frames", "frames_total", "drops", "drops_total", "deadline_misses",
                        "deadline_misses_total", "deadline_ms"})
    EXPECT_TRUE(c[k].is_number()) << k;
  expect_latency_object(c["latency_ms"]);
  EXPECT_TRUE(j["cameras"][1]["deadline_ms"].is_null());

  ASSERT_EQ(j["models"].size(), 1u);
  const json& m = j["models"][0];
  for (const char* k : {"frames", "frames_total", "failed", "failed_total", "batches"})
    EXPECT_TRUE(m[k].is_number()) << k;
  for (const char* st : {"queue", "preprocess", "inference", "postprocess"})
    expect_latency_object(m["stages_ms"][st]);
  EXPECT_EQ(m["batch_sizes"], json::parse(R"({"1": 100, "2": 200})"));

  const json& sys = j["system"];
  EXPECT_DOUBLE_EQ(sys["cpu_percent"].get<double>(), 143.5);
  EXPECT_EQ(sys["rss_bytes"].get<uint64_t>(), 123456789u);
  EXPECT_DOUBLE_EQ(sys["gpu"]["sm_clock_mhz"].get<double>(), 1980);
  EXPECT_TRUE(sys["gpu"]["memory_utilization_percent"].is_null());

  // The deadline controller (docs/CONTROL.md): its state and this interval's actions.
  const json& ctl = j["control"];
  EXPECT_EQ(ctl["level"], 2);
  EXPECT_EQ(ctl["steps"], 3);
  EXPECT_EQ(ctl["state"], "degraded");
  EXPECT_DOUBLE_EQ(ctl["late_share"].get<double>(), 0.125);
  EXPECT_EQ(ctl["degrades_total"], 3);
  ASSERT_EQ(ctl["actions"].size(), 1u);
  EXPECT_EQ(ctl["actions"][0]["to"], "m_<480>.onnx");
  EXPECT_EQ(ctl["actions"][0]["reason"], "late 12.5% > 5.0% on \"front\"");
  EXPECT_EQ(j["cameras"][1]["skipped_total"], 12);
}

TEST(TelemetryJsonl, NoControllerNoControlKeys) {
  TelemetrySnapshot s = test::sample_snapshot();
  s.control.reset();
  const json j = json::parse(telemetry_jsonl(s));
  EXPECT_FALSE(j.contains("control"));
  EXPECT_FALSE(j["cameras"][0].contains("skipped"));
  EXPECT_FALSE(prometheus_text(s).find("percept_control_") != std::string::npos);
}

TEST(TelemetryJsonl, NoGpuMeansNullsNotZeros) {
  const json j = json::parse(telemetry_jsonl(test::sample_snapshot(false)));
  EXPECT_TRUE(j.contains("gpu_usage"));
  EXPECT_TRUE(j["gpu_usage"].is_null());
  EXPECT_TRUE(j["system"]["gpu"].is_null());
}

TEST(TelemetryJsonl, RoundTrips) {
  for (bool gpu : {true, false}) {
    const std::string line = telemetry_jsonl(test::sample_snapshot(gpu));
    EXPECT_EQ(telemetry_jsonl(parse_telemetry_jsonl(line)), line);
  }
}

TEST(TelemetryJsonl, FaultsAndSinksAreOptionalWhenReadingOlderFiles) {
  json j = json::parse(telemetry_jsonl(test::sample_snapshot()));
  EXPECT_EQ(j["cameras"][1]["source"], "reconnecting");
  EXPECT_EQ(j["cameras"][1]["read_errors_total"], 7);
  EXPECT_EQ(j["models"][0]["oom_degrades_total"], 1);
  EXPECT_EQ(j["sinks"][1]["dropped_total"], 9);
  EXPECT_EQ(j["models"][0]["buffers"]["peak_bytes"], 5242880);
  EXPECT_EQ(j["models"][0]["buffers"]["cache_hits"], 298);
  EXPECT_EQ(j["models"][0]["tracking"]["tracks_total"], 41);
  EXPECT_EQ(j["models"][0]["tracking"]["tracks"], 3);
  EXPECT_EQ(j["models"][0]["tracking"]["capped_boxes_total"], 5);
  // Lines written before these keys existed still read, with zero counts and "ok".
  for (auto& c : j["cameras"])
    for (const char* k :
         {"read_errors", "read_errors_total", "reconnects", "reconnects_total", "source"})
      c.erase(k);
  j["models"][0].erase("oom_degrades");
  j["models"][0].erase("oom_degrades_total");
  j["models"][0].erase("buffers");
  j["models"][0].erase("tracking");
  j.erase("sinks");
  const TelemetrySnapshot s = parse_telemetry_jsonl(j.dump());
  EXPECT_EQ(s.cameras[1].source, "ok");
  EXPECT_EQ(s.cameras[1].reconnects.total, 0u);
  EXPECT_EQ(s.models[0].oom_degrades.total, 0u);
  EXPECT_FALSE(s.models[0].buffers.has_value());
  EXPECT_FALSE(s.models[0].tracking.has_value());
  EXPECT_TRUE(s.sinks.empty());
}

TEST(TelemetryJsonl, ParseNamesTheMissingKey) {
  json j = json::parse(telemetry_jsonl(test::sample_snapshot()));
  j["models"][0]["stages_ms"].erase("inference");
  try {
    parse_telemetry_jsonl(j.dump());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("models[yolo].inference"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_telemetry_jsonl("{not json"), Error);
}

TEST(LatencyStats, TotalsAccumulateAcrossIntervals) {
  const LatencyStats a = LatencyStats::from(test::ramp_ns(1, 3));  // 1+2+3 ms
  const LatencyStats b = LatencyStats::from(test::ramp_ns(4, 4), a.total_count, a.total_sum_ms);
  EXPECT_EQ(b.count, 1u);
  EXPECT_EQ(b.total_count, 4u);
  EXPECT_NEAR(b.total_sum_ms, 10.0, 1e-9);
  EXPECT_NEAR(a.stddev_ms, 0.8165, 1e-3);
}

TEST(Prometheus, EscapesLabelValues) {
  EXPECT_EQ(prometheus_escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Prometheus, CountersSummariesAndGauges) {
  const std::string text = prometheus_text(test::sample_snapshot());
  const auto has = [&](const std::string& s) { return text.find(s) != std::string::npos; };
  EXPECT_TRUE(has("# TYPE percept_camera_frames_total counter\n"));
  EXPECT_TRUE(has("percept_camera_frames_total{camera=\"front\"} 300\n"));
  EXPECT_TRUE(has("{camera=\"rear \\\"wide\\\"\\\\\\n\"}"));  // escaped, one line
  EXPECT_TRUE(has("# TYPE percept_stage_latency_seconds summary\n"));
  EXPECT_TRUE(
      has("percept_stage_latency_seconds{model=\"yolo\",stage=\"inference\",quantile=\"0.5\"} "
          "0.0199"));
  // An interval without samples: NaN quantiles, as Prometheus clients report them.
  EXPECT_TRUE(
      has("percept_stage_latency_seconds{model=\"yolo\",stage=\"postprocess\",quantile=\"0.99\"} "
          "NaN\n"));
  EXPECT_TRUE(has("percept_model_batches_total{model=\"yolo\",batch_size=\"2\"} 200\n"));
  EXPECT_TRUE(has("percept_process_resident_memory_bytes 123456789\n"));
  // Faults: source health, reconnects, out-of-memory degrades, sink errors and drops.
  EXPECT_TRUE(has("percept_camera_source_up{camera=\"front\"} 1\n"));
  EXPECT_TRUE(has("percept_camera_source_up{camera=\"rear \\\"wide\\\"\\\\\\n\"} 0\n"));
  EXPECT_TRUE(has("percept_camera_read_errors_total{camera=\"front\"} 0\n"));
  EXPECT_TRUE(has("percept_camera_reconnects_total{camera=\"rear \\\"wide\\\"\\\\\\n\"} 1\n"));
  EXPECT_TRUE(has("percept_model_oom_degrades_total{model=\"yolo\"} 1\n"));
  // The model's trackers (issue 16): ids handed out, boxes refused by reason.
  EXPECT_TRUE(has("percept_model_tracks_total{model=\"yolo\"} 41\n"));
  EXPECT_TRUE(has("percept_model_track_refused_boxes_total{model=\"yolo\",reason=\"capped\"} 5\n"));
  EXPECT_TRUE(
      has("percept_model_track_refused_boxes_total{model=\"yolo\",reason=\"invalid\"} 2\n"));
  // The model's kept output buffers.
  EXPECT_TRUE(has("percept_model_buffer_bytes{model=\"yolo\",state=\"peak\"} 5242880\n"));
  EXPECT_TRUE(has("percept_model_buffer_bytes{model=\"yolo\",state=\"cached\"} 1310720\n"));
  EXPECT_TRUE(has("percept_model_buffer_allocations_total{model=\"yolo\",result=\"hit\"} 298\n"));
  EXPECT_TRUE(has("percept_sink_errors_total{sink=\"jsonl\"} 2\n"));
  EXPECT_TRUE(has("percept_sink_dropped_frames_total{sink=\"video\"} 9\n"));
  EXPECT_TRUE(has("percept_gpu_sm_clock_hertz{gpu=\"0\",name=\"NVIDIA H100\"} 1.98e+09\n"));
  EXPECT_FALSE(has("memory_utilization"));  // null: left out
  // The deadline controller: level, actions by direction, skipped frames per camera.
  EXPECT_TRUE(has("percept_control_level 2\n"));
  EXPECT_TRUE(has("percept_control_steps 3\n"));
  EXPECT_TRUE(has("percept_control_at_limit 0\n"));
  EXPECT_TRUE(has("percept_control_actions_total{direction=\"degrade\"} 3\n"));
  EXPECT_TRUE(has("percept_control_actions_total{direction=\"restore\"} 1\n"));
  EXPECT_TRUE(has("percept_camera_skipped_frames_total{camera=\"front\"} 0\n"));
  // Every HELP comes with a TYPE, every family once.
  size_t helps = 0, types = 0;
  for (size_t p = 0; (p = text.find("# HELP ", p)) != std::string::npos; ++p) ++helps;
  for (size_t p = 0; (p = text.find("# TYPE ", p)) != std::string::npos; ++p) ++types;
  EXPECT_EQ(helps, types);
  EXPECT_FALSE(prometheus_text(test::sample_snapshot(false)).find("percept_gpu_") !=
               std::string::npos);
}

}  // namespace
}  // namespace percept
