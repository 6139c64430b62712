// JSONL form of a telemetry snapshot, and its parser (for `percept report`).
#include <cmath>
#include <nlohmann/json.hpp>

#include "percept/core/clock.hpp"
#include "percept/core/error.hpp"
#include "percept/core/json_writer.hpp"
#include "percept/telemetry/snapshot.hpp"

namespace percept {

namespace {

using Json = nlohmann::ordered_json;

// Milliseconds to the microsecond: no 0.0039559999999999994 in the logs.
double r3(double v) {
  return std::isfinite(v) ? std::round(v * 1000) / 1000 : 0.0;
}

// Writing goes through JsonWriter (a reused buffer, nothing that allocates in a destructor);
// reading back uses nlohmann::json.
void latency_json(JsonWriter& w, const LatencyStats& l) {
  w.begin_object()
      .field("count", l.count)
      .field("p50", r3(l.p50_ms))
      .field("p90", r3(l.p90_ms))
      .field("p99", r3(l.p99_ms))
      .field("max", r3(l.max_ms))
      .field("mean", r3(l.mean_ms))
      .field("stddev", r3(l.stddev_ms))
      .field("total_count", l.total_count)
      .field("total_sum", r3(l.total_sum_ms))
      .end_object();
}

template <class T>
void nullable(JsonWriter& w, const char* key, const std::optional<T>& v) {
  w.key(key);
  if (v)
    w.value(*v);
  else
    w.null();
}

void put_count(JsonWriter& w, const char* name, const Count& c) {
  w.field(name, c.interval);
  w.key(std::string(name) + "_total").value(c.total);
}

void gpu_json(JsonWriter& w, const GpuTelemetry& g) {
  w.begin_object().field("name", g.name);
  nullable(w, "utilization_percent", g.utilization_percent);
  nullable(w, "memory_utilization_percent", g.memory_utilization_percent);
  nullable(w, "memory_used_bytes", g.memory_used_bytes);
  nullable(w, "memory_total_bytes", g.memory_total_bytes);
  nullable(w, "temperature_c", g.temperature_c);
  nullable(w, "power_w", g.power_w);
  nullable(w, "sm_clock_mhz", g.sm_clock_mhz);
  w.end_object();
}

// Reading back: every key is required; a missing or mistyped one names itself.
const Json& at(const Json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw Error("telemetry: missing key '" + where + key + "'");
  return *it;
}

template <class T>
T get(const Json& j, const char* key, const std::string& where) {
  const Json& v = at(j, key, where);
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error("telemetry: key '" + where + key + "' has the wrong type");
  }
}

template <class T>
std::optional<T> get_opt(const Json& j, const char* key, const std::string& where) {
  const Json& v = at(j, key, where);
  if (v.is_null()) return std::nullopt;
  return get<T>(j, key, where);
}

LatencyStats parse_latency(const Json& j, const std::string& where) {
  LatencyStats l;
  l.count = get<uint64_t>(j, "count", where);
  l.p50_ms = get<double>(j, "p50", where);
  l.p90_ms = get<double>(j, "p90", where);
  l.p99_ms = get<double>(j, "p99", where);
  l.max_ms = get<double>(j, "max", where);
  l.mean_ms = get<double>(j, "mean", where);
  l.stddev_ms = get<double>(j, "stddev", where);
  l.total_count = get<uint64_t>(j, "total_count", where);
  l.total_sum_ms = get<double>(j, "total_sum", where);
  return l;
}

Count parse_count(const Json& j, const char* name, const std::string& where) {
  return {get<uint64_t>(j, name, where),
          get<uint64_t>(j, (std::string(name) + "_total").c_str(), where)};
}

// Keys added after the first files were written (faults, sinks): zero when absent.
Count parse_count_opt(const Json& j, const char* name, const std::string& where) {
  return j.contains(name) ? parse_count(j, name, where) : Count{};
}

}  // namespace

LatencyStats LatencyStats::from(const Histogram& h, uint64_t previous_total_count,
                                double previous_total_sum_ms) {
  LatencyStats l;
  l.count = h.count();
  l.p50_ms = ns_to_ms(h.quantile(0.5));
  l.p90_ms = ns_to_ms(h.quantile(0.9));
  l.p99_ms = ns_to_ms(h.quantile(0.99));
  l.max_ms = ns_to_ms(h.max());
  l.mean_ms = h.mean() * 1e-6;
  l.stddev_ms = h.stddev() * 1e-6;
  l.total_count = previous_total_count + h.count();
  l.total_sum_ms = previous_total_sum_ms + h.mean() * static_cast<double>(h.count()) * 1e-6;
  return l;
}

std::string telemetry_jsonl(const TelemetrySnapshot& s) {
  JsonWriter w;
  w.begin_object()
      .field("t", std::round(s.t * 1000) / 1000)
      .field("interval_s", r3(s.interval_s))
      .field("fps", std::round(s.fps * 100) / 100);
  w.key("latency_ms");
  latency_json(w, s.latency);
  nullable(w, "gpu_usage", s.gpu_usage());
  w.key("cameras").begin_array();
  for (const CameraTelemetry& c : s.cameras) {
    w.begin_object().field("id", c.id).field("fps", std::round(c.fps * 100) / 100);
    put_count(w, "frames", c.frames);
    put_count(w, "drops", c.drops);
    put_count(w, "deadline_misses", c.deadline_misses);
    nullable(w, "deadline_ms", c.deadline_ms);
    w.key("latency_ms");
    latency_json(w, c.end_to_end);
    put_count(w, "read_errors", c.read_errors);
    put_count(w, "reconnects", c.reconnects);
    w.field("source", c.source);
    if (s.control) put_count(w, "skipped", c.skipped);
    w.end_object();
  }
  w.end_array();
  w.key("models").begin_array();
  for (const ModelTelemetry& m : s.models) {
    w.begin_object().field("id", m.id);
    put_count(w, "frames", m.frames);
    put_count(w, "failed", m.failed);
    put_count(w, "batches", m.batches);
    put_count(w, "oom_degrades", m.oom_degrades);
    w.key("stages_ms").begin_object();
    w.key("queue");
    latency_json(w, m.queue);
    w.key("preprocess");
    latency_json(w, m.preprocess);
    w.key("inference");
    latency_json(w, m.inference);
    w.key("postprocess");
    latency_json(w, m.postprocess);
    w.end_object();
    // {"1": 40, "4": 2}: batches of each size since start (sizes never seen are left out).
    w.key("batch_sizes").begin_object();
    for (size_t n = 1; n < m.batch_sizes.size(); ++n)
      if (m.batch_sizes[n]) w.key(std::to_string(n)).value(m.batch_sizes[n]);
    w.end_object();
    if (m.buffers) {
      const BufferPoolTelemetry& b = *m.buffers;
      w.key("buffers").begin_object();
      w.field("bytes_in_use", b.bytes_in_use).field("peak_bytes", b.peak_bytes);
      w.field("bytes_cached", b.bytes_cached).field("cache_hits", b.cache_hits);
      w.field("cache_misses", b.cache_misses).field("fragmentation", b.fragmentation);
      w.end_object();
    }
    if (m.tracking) {
      w.key("tracking").begin_object();
      put_count(w, "tracks", m.tracking->tracks);
      put_count(w, "invalid_boxes", m.tracking->invalid);
      put_count(w, "capped_boxes", m.tracking->capped);
      w.end_object();
    }
    w.end_object();
  }
  w.end_array();
  w.key("sinks").begin_array();
  for (const SinkTelemetry& k : s.sinks) {
    w.begin_object().field("name", k.name);
    put_count(w, "written", k.written);
    put_count(w, "dropped", k.dropped);
    put_count(w, "errors", k.errors);
    w.end_object();
  }
  w.end_array();
  w.key("system").begin_object();
  w.key("cpu_percent");
  if (s.system.cpu_percent)
    w.value(r3(*s.system.cpu_percent));
  else
    w.null();
  nullable(w, "rss_bytes", s.system.rss_bytes);
  w.key("gpu");
  if (s.system.gpu)
    gpu_json(w, *s.system.gpu);
  else
    w.null();
  w.end_object();
  if (s.control) {
    w.key("control");
    control_json(w, *s.control);
  }
  w.end_object();
  return w.str();
}

TelemetrySnapshot parse_telemetry_jsonl(const std::string& line) {
  Json j;
  try {
    j = Json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("telemetry: not JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error("telemetry: a line is not a JSON object");
  TelemetrySnapshot s;
  s.t = get<double>(j, "t", "");
  s.interval_s = get<double>(j, "interval_s", "");
  s.fps = get<double>(j, "fps", "");
  s.latency = parse_latency(at(j, "latency_ms", ""), "latency_ms.");
  for (const Json& c : at(j, "cameras", "")) {
    CameraTelemetry ct;
    ct.id = get<std::string>(c, "id", "cameras[].");
    const std::string w = "cameras[" + ct.id + "].";
    ct.fps = get<double>(c, "fps", w);
    ct.frames = parse_count(c, "frames", w);
    ct.drops = parse_count(c, "drops", w);
    ct.deadline_misses = parse_count(c, "deadline_misses", w);
    ct.deadline_ms = get_opt<double>(c, "deadline_ms", w);
    ct.end_to_end = parse_latency(at(c, "latency_ms", w), w + "latency_ms.");
    ct.read_errors = parse_count_opt(c, "read_errors", w);
    ct.reconnects = parse_count_opt(c, "reconnects", w);
    if (c.contains("source")) ct.source = get<std::string>(c, "source", w);
    ct.skipped = parse_count_opt(c, "skipped", w);
    s.cameras.push_back(std::move(ct));
  }
  for (const Json& m : at(j, "models", "")) {
    ModelTelemetry mt;
    mt.id = get<std::string>(m, "id", "models[].");
    const std::string w = "models[" + mt.id + "].";
    mt.frames = parse_count(m, "frames", w);
    mt.failed = parse_count(m, "failed", w);
    mt.batches = parse_count(m, "batches", w);
    mt.oom_degrades = parse_count_opt(m, "oom_degrades", w);
    const Json& st = at(m, "stages_ms", w);
    mt.queue = parse_latency(at(st, "queue", w), w + "queue.");
    mt.preprocess = parse_latency(at(st, "preprocess", w), w + "preprocess.");
    mt.inference = parse_latency(at(st, "inference", w), w + "inference.");
    mt.postprocess = parse_latency(at(st, "postprocess", w), w + "postprocess.");
    for (const auto& [k, v] : at(m, "batch_sizes", w).items()) {
      size_t n = 0;
      try {
        n = std::stoul(k);
      } catch (const std::exception&) {
        throw Error("telemetry: batch size '" + k + "' of " + w + " is not a number");
      }
      if (n == 0 || n > 4096) throw Error("telemetry: batch size " + k + " out of range");
      if (mt.batch_sizes.size() <= n) mt.batch_sizes.resize(n + 1, 0);
      mt.batch_sizes[n] = v.get<uint64_t>();
    }
    if (m.contains("buffers")) {  // absent before IO binding, and for backends without buffers
      const Json& b = at(m, "buffers", w);
      const std::string wb = w + "buffers.";
      BufferPoolTelemetry bt;
      bt.bytes_in_use = get<uint64_t>(b, "bytes_in_use", wb);
      bt.peak_bytes = get<uint64_t>(b, "peak_bytes", wb);
      bt.bytes_cached = get<uint64_t>(b, "bytes_cached", wb);
      bt.cache_hits = get<uint64_t>(b, "cache_hits", wb);
      bt.cache_misses = get<uint64_t>(b, "cache_misses", wb);
      bt.fragmentation = get<double>(b, "fragmentation", wb);
      mt.buffers = bt;
    }
    if (m.contains("tracking")) {  // absent for a model without a tracker
      const Json& t = at(m, "tracking", w);
      const std::string wt = w + "tracking.";
      mt.tracking =
          TrackingTelemetry{parse_count(t, "tracks", wt), parse_count(t, "invalid_boxes", wt),
                            parse_count(t, "capped_boxes", wt)};
    }
    s.models.push_back(std::move(mt));
  }
  if (j.contains("sinks"))
    for (const Json& k : at(j, "sinks", "")) {
      SinkTelemetry st;
      st.name = get<std::string>(k, "name", "sinks[].");
      const std::string w = "sinks[" + st.name + "].";
      st.written = parse_count(k, "written", w);
      st.dropped = parse_count(k, "dropped", w);
      st.errors = parse_count(k, "errors", w);
      s.sinks.push_back(std::move(st));
    }
  const Json& sys = at(j, "system", "");
  s.system.cpu_percent = get_opt<double>(sys, "cpu_percent", "system.");
  s.system.rss_bytes = get_opt<uint64_t>(sys, "rss_bytes", "system.");
  const Json& g = at(sys, "gpu", "system.");
  if (!g.is_null()) {
    GpuTelemetry gt;
    const std::string w = "system.gpu.";
    gt.name = get<std::string>(g, "name", w);
    gt.utilization_percent = get_opt<double>(g, "utilization_percent", w);
    gt.memory_utilization_percent = get_opt<double>(g, "memory_utilization_percent", w);
    gt.memory_used_bytes = get_opt<uint64_t>(g, "memory_used_bytes", w);
    gt.memory_total_bytes = get_opt<uint64_t>(g, "memory_total_bytes", w);
    gt.temperature_c = get_opt<double>(g, "temperature_c", w);
    gt.power_w = get_opt<double>(g, "power_w", w);
    gt.sm_clock_mhz = get_opt<double>(g, "sm_clock_mhz", w);
    s.system.gpu = std::move(gt);
  }
  if (j.contains("control")) {  // only with `control: {enabled: true}`
    const Json& c = at(j, "control", "");
    const std::string w = "control.";
    ControlTelemetry ct;
    ct.level = get<int>(c, "level", w);
    ct.steps = get<int>(c, "steps", w);
    ct.state = get<std::string>(c, "state", w);
    ct.late_share = get<double>(c, "late_share", w);
    ct.p99_ratio = get<double>(c, "p99_ratio", w);
    ct.restore_wait_s = get<double>(c, "restore_wait_s", w);
    ct.cpu_s = get<double>(c, "cpu_s", w);
    ct.degrades_total = get<uint64_t>(c, "degrades_total", w);
    ct.restores_total = get<uint64_t>(c, "restores_total", w);
    if (c.contains("note")) ct.note = get<std::string>(c, "note", w);
    for (const Json& a : at(c, "actions", w)) {
      const std::string wa = w + "actions[].";
      ControlAction ca;
      ca.t = get<double>(a, "t", wa);
      ca.direction = get<std::string>(a, "direction", wa);
      ca.action = get<std::string>(a, "action", wa);
      ca.target = get<std::string>(a, "target", wa);
      ca.from = get<std::string>(a, "from", wa);
      ca.to = get<std::string>(a, "to", wa);
      ca.reason = get<std::string>(a, "reason", wa);
      ca.level = get<int>(a, "level", wa);
      ct.actions.push_back(std::move(ca));
    }
    s.control = std::move(ct);
  }
  return s;
}

void control_json(JsonWriter& w, const ControlTelemetry& c) {
  w.begin_object()
      .field("level", c.level)
      .field("steps", c.steps)
      .field("state", c.state)
      .field("late_share", std::round(c.late_share * 10000) / 10000)
      .field("p99_ratio", r3(c.p99_ratio))
      .field("restore_wait_s", r3(c.restore_wait_s))
      .field("cpu_s", r3(c.cpu_s))
      .field("degrades_total", c.degrades_total)
      .field("restores_total", c.restores_total)
      .field("note", c.note);
  w.key("actions").begin_array();
  for (const ControlAction& a : c.actions)
    w.begin_object()
        .field("t", std::round(a.t * 1000) / 1000)
        .field("direction", a.direction)
        .field("action", a.action)
        .field("target", a.target)
        .field("from", a.from)
        .field("to", a.to)
        .field("reason", a.reason)
        .field("level", a.level)
        .end_object();
  w.end_array().end_object();
}

}  // namespace percept
