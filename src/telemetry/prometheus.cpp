// Prometheus text exposition format (0.0.4) of a telemetry snapshot. Every metric family is
// written once with its HELP and TYPE lines, its samples following (the format requires a
// family's samples to be contiguous).
#include <charconv>
#include <cmath>
#include <string>
#include <tuple>

#include "percept/telemetry/snapshot.hpp"

namespace percept {

namespace {

// Label pairs already escaped, e.g. camera="rgb",stage="inference".
using Labels = std::string;

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
  return std::string(buf, r.ptr);
}

// Milliseconds to seconds, rounded to the nanosecond (no 0.059899904000000004).
double seconds(double ms) {
  return std::round(ms * 1e6) / 1e9;
}

std::string label(const char* name, const std::string& value) {
  return std::string(name) + "=\"" + prometheus_escape_label(value) + "\"";
}

std::string join(const Labels& a, const Labels& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "," + b;
}

class Writer {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, const Labels& labels, double v) {
    out_ += name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += " " + number(v) + "\n";
  }
  // A summary in seconds: quantiles of the last interval (NaN when it had no sample, as the
  // Go client does), count and sum since start.
  void summary(const std::string& name, const Labels& labels, const LatencyStats& l) {
    const bool empty = l.count == 0;
    const std::pair<const char*, double> qs[] = {
        {"0.5", l.p50_ms}, {"0.9", l.p90_ms}, {"0.99", l.p99_ms}};
    for (const auto& [q, ms] : qs)
      sample(name, join(labels, std::string("quantile=\"") + q + "\""), empty ? NAN : seconds(ms));
    sample(name + "_sum", labels, seconds(l.total_sum_ms));
    sample(name + "_count", labels, static_cast<double>(l.total_count));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string prometheus_escape_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string prometheus_text(const TelemetrySnapshot& s) {
  Writer w;
  const auto cam = [](const CameraTelemetry& c) { return label("camera", c.id); };
  const auto mod = [](const ModelTelemetry& m) { return label("model", m.id); };

  w.family("percept_camera_frames_total", "counter",
           "Frames completed (published with at least one model's result).");
  for (const auto& c : s.cameras)
    w.sample("percept_camera_frames_total", cam(c), static_cast<double>(c.frames.total));
  w.family("percept_camera_dropped_frames_total", "counter",
           "Frames never processed: displaced from the camera's slot or too old at dequeue.");
  for (const auto& c : s.cameras)
    w.sample("percept_camera_dropped_frames_total", cam(c), static_cast<double>(c.drops.total));
  w.family("percept_camera_deadline_misses_total", "counter",
           "Frames completed after the camera's deadline.");
  for (const auto& c : s.cameras)
    w.sample("percept_camera_deadline_misses_total", cam(c),
             static_cast<double>(c.deadline_misses.total));
  w.family("percept_camera_fps", "gauge", "Frames completed per second over the last interval.");
  for (const auto& c : s.cameras) w.sample("percept_camera_fps", cam(c), c.fps);
  w.family("percept_camera_latency_seconds", "summary",
           "End-to-end latency, capture to every model done (quantiles over the last interval).");
  for (const auto& c : s.cameras) w.summary("percept_camera_latency_seconds", cam(c), c.end_to_end);
  w.family("percept_camera_read_errors_total", "counter",
           "Frames the camera's source could not deliver or decode.");
  for (const auto& c : s.cameras)
    w.sample("percept_camera_read_errors_total", cam(c), static_cast<double>(c.read_errors.total));
  w.family("percept_camera_reconnects_total", "counter", "Times a lost live source was reopened.");
  for (const auto& c : s.cameras)
    w.sample("percept_camera_reconnects_total", cam(c), static_cast<double>(c.reconnects.total));
  w.family("percept_camera_source_up", "gauge",
           "1 while the camera's source delivers, 0 while it reconnects or after it was given up.");
  for (const auto& c : s.cameras)
    w.sample("percept_camera_source_up", cam(c), c.source == "ok" ? 1 : 0);

  w.family("percept_model_frames_total", "counter", "Frames inferred by the model.");
  for (const auto& m : s.models)
    w.sample("percept_model_frames_total", mod(m), static_cast<double>(m.frames.total));
  w.family("percept_model_failed_frames_total", "counter",
           "Frames in a batch whose inference failed.");
  for (const auto& m : s.models)
    w.sample("percept_model_failed_frames_total", mod(m), static_cast<double>(m.failed.total));
  w.family("percept_model_oom_degrades_total", "counter",
           "Out of memory on a batch: the model's max_batch was halved and the frames retried.");
  for (const auto& m : s.models)
    w.sample("percept_model_oom_degrades_total", mod(m), static_cast<double>(m.oom_degrades.total));
  w.family("percept_model_tracks_total", "counter",
           "Track ids the model's trackers handed out (confirmed tracks); models with a tracker.");
  for (const auto& m : s.models)
    if (m.tracking)
      w.sample("percept_model_tracks_total", mod(m), static_cast<double>(m.tracking->tracks.total));
  w.family("percept_model_track_refused_boxes_total", "counter",
           "Boxes a tracker did not track: invalid (NaN, infinite, empty) or capped (over "
           "max_detections, published untracked).");
  for (const auto& m : s.models)
    if (m.tracking) {
      w.sample("percept_model_track_refused_boxes_total", join(mod(m), label("reason", "invalid")),
               static_cast<double>(m.tracking->invalid.total));
      w.sample("percept_model_track_refused_boxes_total", join(mod(m), label("reason", "capped")),
               static_cast<double>(m.tracking->capped.total));
    }
  w.family("percept_model_buffer_bytes", "gauge",
           "The model's output buffers kept between runs: held by outputs (in_use), its highest "
           "(peak) and free blocks kept for reuse (cached).");
  for (const auto& m : s.models)
    if (m.buffers) {
      const auto& b = *m.buffers;
      w.sample("percept_model_buffer_bytes", join(mod(m), label("state", "in_use")),
               static_cast<double>(b.bytes_in_use));
      w.sample("percept_model_buffer_bytes", join(mod(m), label("state", "peak")),
               static_cast<double>(b.peak_bytes));
      w.sample("percept_model_buffer_bytes", join(mod(m), label("state", "cached")),
               static_cast<double>(b.bytes_cached));
    }
  w.family("percept_model_buffer_allocations_total", "counter",
           "Output buffer requests the pool served from its cache (hit) or not (miss: new "
           "memory, or a failed attempt).");
  for (const auto& m : s.models)
    if (m.buffers) {
      w.sample("percept_model_buffer_allocations_total", join(mod(m), label("result", "hit")),
               static_cast<double>(m.buffers->cache_hits));
      w.sample("percept_model_buffer_allocations_total", join(mod(m), label("result", "miss")),
               static_cast<double>(m.buffers->cache_misses));
    }
  w.family("percept_model_batches_total", "counter", "Batches run, by batch size.");
  for (const auto& m : s.models)
    for (size_t n = 1; n < m.batch_sizes.size(); ++n)
      w.sample("percept_model_batches_total", join(mod(m), label("batch_size", std::to_string(n))),
               static_cast<double>(m.batch_sizes[n]));
  w.family("percept_stage_latency_seconds", "summary",
           "Time per stage: queue per frame, preprocess/inference/postprocess per batch "
           "(quantiles over the last interval).");
  for (const auto& m : s.models) {
    const std::pair<const char*, const LatencyStats*> stages[] = {{"queue", &m.queue},
                                                                  {"preprocess", &m.preprocess},
                                                                  {"inference", &m.inference},
                                                                  {"postprocess", &m.postprocess}};
    for (const auto& [stage, l] : stages)
      w.summary("percept_stage_latency_seconds", join(mod(m), label("stage", stage)), *l);
  }

  const auto snk = [](const SinkTelemetry& k) { return label("sink", k.name); };
  const std::tuple<const char*, const char*, Count SinkTelemetry::*> sink_counters[] = {
      {"percept_sink_written_frames_total", "Frames the sink wrote.", &SinkTelemetry::written},
      {"percept_sink_dropped_frames_total",
       "Frames the sink dropped: its queue was full (live mode).", &SinkTelemetry::dropped},
      {"percept_sink_errors_total", "Writes that failed (full disk, unwritable folder).",
       &SinkTelemetry::errors}};
  if (!s.sinks.empty())
    for (const auto& [name, help, count] : sink_counters) {
      w.family(name, "counter", help);
      for (const auto& k : s.sinks) w.sample(name, snk(k), static_cast<double>((k.*count).total));
    }

  if (s.control) {  // the deadline controller (docs/CONTROL.md), when enabled
    const ControlTelemetry& c = *s.control;
    w.family("percept_camera_skipped_frames_total", "counter",
             "Frames the deadline controller left out (a lower-priority camera's skip).");
    for (const auto& cm : s.cameras)
      w.sample("percept_camera_skipped_frames_total", cam(cm),
               static_cast<double>(cm.skipped.total));
    w.family("percept_control_level", "gauge",
             "Steps of the controller's ladder in effect (0: the config's own settings).");
    w.sample("percept_control_level", "", c.level);
    w.family("percept_control_steps", "gauge", "Steps the controller's ladder has.");
    w.sample("percept_control_steps", "", c.steps);
    w.family("percept_control_at_limit", "gauge",
             "1 while the pipeline misses at the ladder's lightest setting.");
    w.sample("percept_control_at_limit", "", c.state == "at_limit" ? 1 : 0);
    w.family("percept_control_actions_total", "counter",
             "Controller actions: a step down (degrade) or back up (restore).");
    w.sample("percept_control_actions_total", label("direction", "degrade"),
             static_cast<double>(c.degrades_total));
    w.sample("percept_control_actions_total", label("direction", "restore"),
             static_cast<double>(c.restores_total));
    w.family("percept_control_late_ratio", "gauge",
             "Worst camera's late share (misses + unprocessed) in the controller's last window.");
    w.sample("percept_control_late_ratio", "", c.late_share);
    w.family("percept_control_cpu_seconds_total", "counter", "The controller thread's CPU time.");
    w.sample("percept_control_cpu_seconds_total", "", c.cpu_s);
  }

  if (s.system.cpu_percent) {
    w.family("percept_process_cpu_usage_ratio", "gauge",
             "Process CPU time over wall time in the last interval (2 = two cores busy).");
    w.sample("percept_process_cpu_usage_ratio", "", *s.system.cpu_percent / 100);
  }
  if (s.system.rss_bytes) {
    w.family("percept_process_resident_memory_bytes", "gauge", "Resident set size.");
    w.sample("percept_process_resident_memory_bytes", "", static_cast<double>(*s.system.rss_bytes));
  }
  if (s.system.gpu) {
    const GpuTelemetry& g = *s.system.gpu;
    const Labels gl = label("gpu", "0") + "," + label("name", g.name);
    const auto gauge = [&](const char* name, const char* help, auto v, double scale) {
      if (!v) return;
      w.family(name, "gauge", help);
      w.sample(name, gl, static_cast<double>(*v) * scale);
    };
    gauge("percept_gpu_utilization_ratio", "GPU busy time over the last sample period (NVML).",
          g.utilization_percent, 0.01);
    gauge("percept_gpu_memory_used_bytes", "GPU memory in use (NVML).", g.memory_used_bytes, 1);
    gauge("percept_gpu_memory_total_bytes", "GPU memory in total (NVML).", g.memory_total_bytes, 1);
    gauge("percept_gpu_temperature_celsius", "GPU temperature (NVML).", g.temperature_c, 1);
    gauge("percept_gpu_power_watts", "GPU power draw (NVML).", g.power_w, 1);
    gauge("percept_gpu_sm_clock_hertz", "GPU SM clock (NVML).", g.sm_clock_mhz, 1e6);
  }
  return w.take();
}

}  // namespace percept
