// One telemetry interval as plain data: what the runtime measured over the last interval_s
// seconds (rates, latency quantiles) plus the totals since start (counters). Built by the
// telemetry thread, serialised to one JSONL line (telemetry_jsonl) and to the Prometheus text
// exposition format (prometheus_text), and read back from JSONL by `percept report`.
// Units: milliseconds for latencies, bytes for memory, percent (0..100 per core for CPU).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "percept/telemetry/histogram.hpp"

namespace percept {

// Latency figures of one interval (quantiles, max, mean, jitter) and the running totals a
// Prometheus summary needs (_count, _sum).
struct LatencyStats {
  uint64_t count = 0;  // samples in the interval
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0, stddev_ms = 0;
  uint64_t total_count = 0;  // since start
  double total_sum_ms = 0;   // since start

  // From the interval's histogram (nanoseconds) and the totals before this interval.
  static LatencyStats from(const Histogram& interval_ns, uint64_t previous_total_count = 0,
                           double previous_total_sum_ms = 0);
};

// A counter: events in the interval and since start.
struct Count {
  uint64_t interval = 0;
  uint64_t total = 0;
};

struct CameraTelemetry {
  std::string id;
  double fps = 0;  // completed frames per second over the interval
  Count frames;    // completed (published with at least one model's result)
  Count drops;     // never processed: displaced from the slot or too old at dequeue
  Count deadline_misses;
  std::optional<double> deadline_ms;  // the camera's deadline, when it has one
  LatencyStats end_to_end;            // capture -> every model done
  Count read_errors;                  // frames the source could not deliver or decode
  Count reconnects;                   // a lost live source reopened
  std::string source = "ok";          // ok | reconnecting | lost (given up)
  Count skipped;                      // left out by the deadline controller (docs/CONTROL.md)
};

// The model's output buffers kept between runs (BackendOptions::io_binding): bytes now, the
// highest so far, and how often a run found its block in the pool's cache.
struct BufferPoolTelemetry {
  uint64_t bytes_in_use = 0;  // blocks held by the model's outputs (size classes)
  uint64_t peak_bytes = 0;
  uint64_t bytes_cached = 0;                  // free blocks the pool keeps for reuse
  uint64_t cache_hits = 0, cache_misses = 0;  // since start
  double fragmentation = 0;  // share of bytes_in_use nobody asked for (size-class rounding)
};

// A model's trackers (all its cameras; docs/TRACKING.md).
struct TrackingTelemetry {
  Count tracks;   // track ids handed out (confirmed tracks)
  Count invalid;  // boxes refused (NaN, infinite, empty)
  Count capped;   // boxes over max_detections, published untracked
};

struct ModelTelemetry {
  std::string id;
  Count frames;  // inferred
  Count failed;  // in a batch whose inference failed
  Count batches;
  Count oom_degrades;  // out of memory: max_batch halved and the frames retried
  // Stage latencies: queue per frame (capture -> dequeue); the others per batch.
  LatencyStats queue, preprocess, inference, postprocess;
  // batch_sizes[n] = batches of n frames since start ([0] unused).
  std::vector<uint64_t> batch_sizes;
  std::optional<BufferPoolTelemetry> buffers;  // absent: the backend keeps no buffers
  std::optional<TrackingTelemetry> tracking;   // absent: the model has no tracker
};

struct SinkTelemetry {
  std::string name;  // jsonl, video, images, ros2, telemetry (its own JSONL file)
  Count written;
  Count dropped;  // its queue was full (live mode)
  Count errors;   // writes that failed (full disk, unwritable folder)
};

// NVML figures; each is null when the GPU or the driver does not report it.
struct GpuTelemetry {
  std::string name;  // may be empty
  std::optional<double> utilization_percent;
  std::optional<double> memory_utilization_percent;
  std::optional<uint64_t> memory_used_bytes, memory_total_bytes;
  std::optional<double> temperature_c;
  std::optional<double> power_w;
  std::optional<double> sm_clock_mhz;
};

struct SystemTelemetry {
  std::optional<double> cpu_percent;  // process CPU time / wall time * 100 (200 = two cores)
  std::optional<uint64_t> rss_bytes;
  std::optional<GpuTelemetry> gpu;  // null without a GPU or without NVML
};

// One action of the deadline controller (docs/CONTROL.md).
struct ControlAction {
  double t = 0;           // unix time, seconds
  std::string direction;  // degrade | restore
  std::string action;     // max_wait | skip | variant
  std::string target;     // the model id (max_wait, variant) or the camera id (skip)
  std::string from, to;   // the setting before and after: "400 us", "1 in 2", "m_small.onnx"
  std::string reason;     // what the controller saw
  int level = 0;          // steps of the ladder in effect after it
};

// The controller's state at the end of an interval, and its actions during it.
struct ControlTelemetry {
  int level = 0, steps = 0;       // steps in effect, of the ladder's
  std::string state = "nominal";  // nominal | degraded | at_limit (overloaded, nothing left)
  double late_share = 0;          // the last judged window: the worst camera's late share
  double p99_ratio = 0;           //   and end-to-end p99 / deadline
  double restore_wait_s = 0;      // headroom needed before the next restore (grows on flaps)
  double cpu_s = 0;               // the controller thread's CPU time since start
  uint64_t degrades_total = 0, restores_total = 0;
  // Why it holds back, when it does: "headroom, but model 'det' at m.onnx: ... busy 90% > 80%"
  // (empty otherwise).
  std::string note;
  std::vector<ControlAction> actions;  // in the interval (the summary: the run's, up to 1000)
};

struct TelemetrySnapshot {
  double t = 0;           // unix time of the end of the interval, seconds
  double interval_s = 0;  // length of the interval
  double fps = 0;         // sum of the cameras' fps
  LatencyStats latency;   // end to end over every camera
  std::vector<CameraTelemetry> cameras;
  std::vector<ModelTelemetry> models;
  std::vector<SinkTelemetry> sinks;
  SystemTelemetry system;
  std::optional<ControlTelemetry> control;  // absent unless `control: {enabled: true}`

  // The GPU utilisation the top-level `gpu_usage` key reports (null without a GPU).
  std::optional<double> gpu_usage() const {
    return system.gpu ? system.gpu->utilization_percent : std::nullopt;
  }
};

// One JSON object on one line, no trailing newline. Top-level keys: t, interval_s, fps,
// latency_ms {p50, p90, p99, max, mean, stddev}, gpu_usage (percent or null), cameras, models,
// system (docs/TELEMETRY.md has the full schema).
std::string telemetry_jsonl(const TelemetrySnapshot& s);

// Parses one line written by telemetry_jsonl (throws percept::Error naming the bad key).
TelemetrySnapshot parse_telemetry_jsonl(const std::string& line);

// Prometheus text exposition format (version 0.0.4): counters as *_total, latencies as
// summaries in seconds with quantile labels over the last interval, gauges for fps, CPU,
// memory and GPU (GPU metrics are left out when null).
std::string prometheus_text(const TelemetrySnapshot& s);

class JsonWriter;
// The controller's object in a telemetry line and in summary.json (docs/CONTROL.md).
void control_json(JsonWriter& w, const ControlTelemetry& c);

// Escapes a label value for the text format (backslash, double quote, newline).
std::string prometheus_escape_label(const std::string& value);

}  // namespace percept
