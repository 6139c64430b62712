// summary.json and the text `percept run` prints (run_summary.hpp).
#include "percept/telemetry/run_summary.hpp"

#include <cstdio>

#include "percept/core/clock.hpp"
#include "percept/core/json_writer.hpp"

namespace percept {

namespace {

void stage_json(JsonWriter& w, const char* key, const Histogram& h) {
  w.key(key)
      .begin_object()
      .field("count", h.count())
      .field("p50", round_ms(h.quantile(0.5)))
      .field("p90", round_ms(h.quantile(0.9)))
      .field("p99", round_ms(h.quantile(0.99)))
      .field("max", round_ms(h.max()))
      .field("mean", round_ms(static_cast<int64_t>(h.mean())))
      .field("stddev", round_ms(static_cast<int64_t>(h.stddev())))
      .end_object();
}

}  // namespace

uint64_t RunSummary::completed() const {
  uint64_t n = 0;
  for (const auto& c : cameras) n += c.completed;
  return n;
}

uint64_t RunSummary::failed() const {
  uint64_t n = 0;
  for (const auto& c : cameras) n += c.read_errors;
  for (const auto& m : models) n += m.stats.failed;
  return n;
}

std::string summary_json(const RunSummary& s) {
  // JsonWriter, not a nlohmann tree: the summary is written at the end of every run, memory
  // pressure included, and a tree's destructor can fail there (docs/RELIABILITY.md).
  JsonWriter w(2);
  w.begin_object()
      .field("config", s.config)
      .field("mode", s.live ? "live" : "lossless")
      .field("wall_s", s.wall_s)
      .field("frames", s.completed())
      .field("fps", s.fps())
      .field("failed", s.failed());
  w.key("cameras").begin_array();
  for (const auto& c : s.cameras) {
    w.begin_object()
        .field("id", c.id)
        .field("captured", c.captured)
        .field("completed", c.completed)
        .field("fps", c.fps)
        .field("read_errors", c.read_errors)
        .field("reconnects", c.reconnects)
        .field("gave_up", c.gave_up)
        .field("slot_drops", c.slot_drops)
        .field("unprocessed", c.unprocessed)
        .field("partial", c.partial)
        .field("deadline_misses", c.deadline_misses)
        .field("late_dropped", c.late_dropped)
        .field("published", c.published);
    if (s.control) w.field("skipped", c.skipped);
    stage_json(w, "end_to_end_ms", c.end_to_end_ns);
    // Only for cameras that rectify or blur: the stage's own time (capture thread).
    if (c.imgproc_ns.count() > 0) stage_json(w, "imgproc_ms", c.imgproc_ns);
    w.end_object();
  }
  w.end_array();
  w.key("models").begin_array();
  for (const auto& m : s.models) {
    const ModelStats& st = m.stats;
    w.begin_object()
        .field("id", m.id)
        .field("frames", st.frames)
        .field("failed", st.failed)
        .field("dropped_late", st.dropped_late)
        .field("batches", st.batches)
        .field("max_batch", m.max_batch)
        .field("oom_degrades", st.oom_degrades);
    w.key("batch_sizes").begin_array();
    for (uint64_t n : st.batch_sizes) w.value(n);
    w.end_array();
    if (st.tracked)
      w.key("tracking")
          .begin_object()
          .field("tracks", st.tracks)
          .field("invalid_boxes", st.track_invalid)
          .field("capped_boxes", st.track_capped)
          .end_object();
    stage_json(w, "queue_ms", st.queue_ns);
    stage_json(w, "preprocess_ms", st.preprocess_ns);
    stage_json(w, "inference_ms", st.inference_ns);
    stage_json(w, "postprocess_ms", st.postprocess_ns);
    w.end_object();
  }
  w.end_array();
  w.key("sinks").begin_object();
  for (const auto& [name, st] : s.sinks)
    w.key(name)
        .begin_object()
        .field("written", st.written)
        .field("dropped", st.dropped)
        .field("errors", st.errors)
        .end_object();
  w.end_object();
  if (s.control) {
    w.key("control");
    control_json(w, *s.control);
  }
  w.key("outputs").begin_array();
  for (const auto& o : s.outputs) w.value(o);
  w.end_array().end_object();
  return w.str();
}

std::string summary_text(const RunSummary& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%s mode, %.2f s: frames %llu (%llu failed), %.1f FPS\n",
                s.live ? "live" : "lossless", s.wall_s,
                static_cast<unsigned long long>(s.completed()),
                static_cast<unsigned long long>(s.failed()), s.fps());
  out += line;
  for (const auto& c : s.cameras) {
    std::snprintf(line, sizeof line,
                  "  camera %-10s frames %6llu  %7.1f FPS  drops %llu  deadline misses %llu  "
                  "e2e p50 %.2f ms  p99 %.2f ms\n",
                  c.id.c_str(), static_cast<unsigned long long>(c.completed), c.fps,
                  static_cast<unsigned long long>(c.unprocessed),
                  static_cast<unsigned long long>(c.deadline_misses),
                  ns_to_ms(c.end_to_end_ns.quantile(0.5)),
                  ns_to_ms(c.end_to_end_ns.quantile(0.99)));
    out += line;
    if (c.reconnects || c.gave_up || c.read_errors) {
      std::snprintf(line, sizeof line, "  camera %-10s read errors %llu  reconnects %llu%s\n",
                    c.id.c_str(), static_cast<unsigned long long>(c.read_errors),
                    static_cast<unsigned long long>(c.reconnects),
                    c.gave_up ? "  source lost for good" : "");
      out += line;
    }
  }
  for (const auto& m : s.models) {
    const ModelStats& st = m.stats;
    const double mean_batch =
        st.batches ? static_cast<double>(st.frames + st.failed) / static_cast<double>(st.batches)
                   : 0;
    std::snprintf(line, sizeof line,
                  "  model  %-10s frames %6llu  batches %llu (mean %.2f)  p50: queue %.2f ms, "
                  "preprocess %.2f ms, inference %.2f ms, postprocess %.2f ms\n",
                  m.id.c_str(), static_cast<unsigned long long>(st.frames),
                  static_cast<unsigned long long>(st.batches), mean_batch,
                  ns_to_ms(st.queue_ns.quantile(0.5)), ns_to_ms(st.preprocess_ns.quantile(0.5)),
                  ns_to_ms(st.inference_ns.quantile(0.5)),
                  ns_to_ms(st.postprocess_ns.quantile(0.5)));
    out += line;
    if (st.oom_degrades) {
      std::snprintf(line, sizeof line,
                    "  model  %-10s out of memory: batch halved %llu times, max_batch now %zu\n",
                    m.id.c_str(), static_cast<unsigned long long>(st.oom_degrades), m.max_batch);
      out += line;
    }
  }
  for (const auto& [name, st] : s.sinks)
    if (st.dropped || st.errors) {
      std::snprintf(line, sizeof line, "  sink   %-10s written %llu  dropped %llu  errors %llu\n",
                    name.c_str(), static_cast<unsigned long long>(st.written),
                    static_cast<unsigned long long>(st.dropped),
                    static_cast<unsigned long long>(st.errors));
      out += line;
    }
  if (s.control) {
    const ControlTelemetry& c = *s.control;
    std::snprintf(line, sizeof line,
                  "  control: %llu steps down, %llu back up; ended at step %d of %d (%s)\n",
                  static_cast<unsigned long long>(c.degrades_total),
                  static_cast<unsigned long long>(c.restores_total), c.level, c.steps,
                  c.state.c_str());
    out += line;
    for (const auto& cm : s.cameras)
      if (cm.skipped) {
        std::snprintf(line, sizeof line, "  camera %-10s skipped by the controller %llu\n",
                      cm.id.c_str(), static_cast<unsigned long long>(cm.skipped));
        out += line;
      }
  }
  return out;
}

}  // namespace percept
