// A telemetry snapshot with every field set (two cameras, one model, a GPU), built from real
// histograms, for the serialiser tests and the promtool check.
#pragma once

#include "percept/telemetry/snapshot.hpp"

namespace percept::test {

inline Histogram ramp_ns(int64_t from_ms, int64_t to_ms) {
  Histogram h;
  for (int64_t v = from_ms; v <= to_ms; ++v) h.record(v * 1'000'000);
  return h;
}

inline TelemetrySnapshot sample_snapshot(bool with_gpu = true) {
  TelemetrySnapshot s;
  s.t = 1760000000.5;
  s.interval_s = 1.0;
  CameraTelemetry a;
  a.id = "front";
  a.fps = 29.5;
  a.frames = {30, 300};
  a.drops = {1, 4};
  a.deadline_misses = {0, 2};
  a.deadline_ms = 50;
  a.end_to_end = LatencyStats::from(ramp_ns(20, 60), 259, 9000);
  CameraTelemetry b = a;
  b.id = "rear \"wide\"\\\n";  // a label that needs escaping: quote, backslash, newline
  b.deadline_ms.reset();
  b.read_errors = {3, 7};  // a camera being reconnected
  b.reconnects = {0, 1};
  b.source = "reconnecting";
  s.cameras = {a, b};
  s.fps = a.fps + b.fps;
  Histogram all = ramp_ns(20, 60);
  all.merge(ramp_ns(20, 60));
  s.latency = LatencyStats::from(all, 518, 18000);
  ModelTelemetry m;
  m.id = "yolo";
  m.frames = {60, 600};
  m.failed = {0, 1};
  m.batches = {30, 300};
  m.oom_degrades = {1, 1};
  m.queue = LatencyStats::from(ramp_ns(1, 5));
  m.preprocess = LatencyStats::from(ramp_ns(2, 4));
  m.inference = LatencyStats::from(ramp_ns(10, 30));
  m.postprocess = LatencyStats::from(Histogram{});  // no sample this interval
  m.batch_sizes = {0, 100, 200};
  BufferPoolTelemetry buffers;
  buffers.bytes_in_use = 2621440;
  buffers.peak_bytes = 5242880;
  buffers.bytes_cached = 1310720;
  buffers.cache_hits = 298;
  buffers.cache_misses = 2;
  buffers.fragmentation = 0.0625;
  m.buffers = buffers;
  m.tracking = TrackingTelemetry{{3, 41}, {0, 2}, {1, 5}};
  s.models = {m};
  SinkTelemetry jsonl;
  jsonl.name = "jsonl";
  jsonl.written = {60, 600};
  jsonl.errors = {0, 2};
  SinkTelemetry video = jsonl;
  video.name = "video";
  video.dropped = {4, 9};
  s.sinks = {jsonl, video};
  // The deadline controller: one step down in this interval, with words that need escaping.
  s.cameras[1].skipped = {5, 12};
  ControlTelemetry ctl;
  ctl.level = 2;
  ctl.steps = 3;
  ctl.state = "degraded";
  ctl.late_share = 0.125;
  ctl.p99_ratio = 1.25;
  ctl.restore_wait_s = 10;
  ctl.cpu_s = 0.004;
  ctl.degrades_total = 3;
  ctl.restores_total = 1;
  ctl.note = "headroom, but model 'yolo' at m_640.onnx: busy 90% > 80%";
  ctl.actions = {{1760000000.25, "degrade", "variant", "yolo", "m_640.onnx", "m_<480>.onnx",
                  "late 12.5% > 5.0% on \"front\"", 2}};
  s.control = ctl;
  s.system.cpu_percent = 143.5;
  s.system.rss_bytes = 123456789;
  if (with_gpu) {
    GpuTelemetry g;
    g.name = "NVIDIA H100";
    g.utilization_percent = 42;
    g.memory_used_bytes = 1ull << 30;
    g.memory_total_bytes = 80ull << 30;
    g.temperature_c = 51;
    g.power_w = 120.5;
    g.sm_clock_mhz = 1980;  // memory_utilization_percent stays null
    s.system.gpu = g;
  }
  return s;
}

}  // namespace percept::test
