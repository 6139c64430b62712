#include <algorithm>
#include <chrono>

#include "percept/core/clock.hpp"
#include "percept/telemetry/live.hpp"

namespace percept {

namespace {

Count delta(uint64_t now, uint64_t& last) {
  const Count c{now - last, now};
  last = now;
  return c;
}

}  // namespace

TelemetryCollector::TelemetryCollector(std::vector<CameraInfo> cameras,
                                       std::vector<ModelInfo> models,
                                       const std::string& gpu_library)
    : last_ns_(now_ns()), gpu_(gpu_library) {
  for (auto& c : cameras) {
    Cam& cam = cameras_.emplace_back();
    cam.info = std::move(c);
    cam.live = std::make_unique<LiveCamera>();
  }
  for (auto& m : models) {
    Mod& mod = models_.emplace_back();
    mod.live = std::make_unique<LiveModel>(m.max_batch);
    mod.info = std::move(m);
  }
}

LiveSink& TelemetryCollector::add_sink(std::string name) {
  Snk& s = sinks_.emplace_back();
  s.name = std::move(name);
  s.live = std::make_unique<LiveSink>();
  return *s.live;
}

LiveControl& TelemetryCollector::enable_control() {
  if (!control_) control_ = std::make_unique<LiveControl>();
  return *control_;
}

void LiveControl::publish(const ControlTelemetry& state, const ControlAction* action) {
  std::lock_guard lock(mu_);
  state_ = state;
  state_.actions.clear();  // actions travel in pending_ and all_
  if (!action) return;
  pending_.push_back(*action);
  if (all_.size() < kMaxKept) all_.push_back(*action);
}

ControlTelemetry LiveControl::take() {
  std::lock_guard lock(mu_);
  ControlTelemetry t = state_;
  t.actions = std::move(pending_);
  pending_.clear();
  return t;
}

ControlTelemetry LiveControl::run() const {
  std::lock_guard lock(mu_);
  ControlTelemetry t = state_;
  t.actions = all_;
  return t;
}

LatencyStats TelemetryCollector::stats(LiveHistogram& h, Totals& t, Histogram& run,
                                       Histogram* merge_into) {
  h.take(spare_);
  const LatencyStats l = LatencyStats::from(*spare_, t.count, t.sum_ms);
  t = {l.total_count, l.total_sum_ms};
  run.merge(*spare_);
  if (merge_into) merge_into->merge(*spare_);
  return l;
}

TelemetrySnapshot TelemetryCollector::collect() {
  TelemetrySnapshot s;
  const int64_t now = now_ns();
  s.interval_s = static_cast<double>(now - last_ns_) * 1e-9;
  last_ns_ = now;
  s.t = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  Histogram all;  // every camera's end-to-end samples of the interval
  for (Cam& c : cameras_) {
    CameraTelemetry ct;
    ct.id = c.info.id;
    ct.deadline_ms = c.info.deadline_ms;
    ct.frames = delta(c.live->completed.load(std::memory_order_relaxed), c.completed);
    ct.drops = delta(c.live->drops.load(std::memory_order_relaxed), c.drops);
    ct.deadline_misses = delta(c.live->deadline_misses.load(std::memory_order_relaxed), c.misses);
    ct.fps = s.interval_s > 0 ? static_cast<double>(ct.frames.interval) / s.interval_s : 0;
    ct.end_to_end = stats(c.live->end_to_end, c.e2e, *c.run_e2e, &all);
    c.live->imgproc.take(spare_);  // the summary's only: the snapshot has no imgproc figures
    c.run_imgproc->merge(*spare_);
    ct.read_errors = delta(c.live->read_errors.load(std::memory_order_relaxed), c.read_errors);
    ct.reconnects = delta(c.live->reconnects.load(std::memory_order_relaxed), c.reconnects);
    ct.skipped = delta(c.live->skipped.load(std::memory_order_relaxed), c.skipped);
    static const char* kStates[] = {"ok", "reconnecting", "lost"};
    ct.source = kStates[c.live->source.load(std::memory_order_relaxed) % 3];
    s.fps += ct.fps;
    s.cameras.push_back(std::move(ct));
  }
  s.latency = LatencyStats::from(all, all_.count, all_.sum_ms);
  all_ = {s.latency.total_count, s.latency.total_sum_ms};
  for (Mod& m : models_) {
    ModelTelemetry mt;
    mt.id = m.info.id;
    mt.frames = delta(m.live->frames.load(std::memory_order_relaxed), m.frames);
    mt.failed = delta(m.live->failed.load(std::memory_order_relaxed), m.failed);
    mt.batches = delta(m.live->batches.load(std::memory_order_relaxed), m.batches);
    mt.oom_degrades = delta(m.live->oom_degrades.load(std::memory_order_relaxed), m.oom_degrades);
    if (m.live->tracked.load(std::memory_order_relaxed)) {
      TrackingTelemetry t;
      t.tracks = delta(m.live->tracks.load(std::memory_order_relaxed), m.tracks);
      t.invalid = delta(m.live->track_invalid.load(std::memory_order_relaxed), m.track_invalid);
      t.capped = delta(m.live->track_capped.load(std::memory_order_relaxed), m.track_capped);
      mt.tracking = t;
    }
    mt.queue = stats(m.live->queue, m.stages[0], *m.run_stages[0]);
    mt.preprocess = stats(m.live->preprocess, m.stages[1], *m.run_stages[1]);
    mt.inference = stats(m.live->inference, m.stages[2], *m.run_stages[2]);
    mt.postprocess = stats(m.live->postprocess, m.stages[3], *m.run_stages[3]);
    for (const auto& n : m.live->batch_sizes)
      mt.batch_sizes.push_back(n.load(std::memory_order_relaxed));
    if (m.live->has_buffers.load(std::memory_order_acquire)) {
      const LiveModel& l = *m.live;
      BufferPoolTelemetry b;
      b.bytes_in_use = l.buffer_bytes_in_use.load(std::memory_order_relaxed);
      b.peak_bytes = l.buffer_peak_bytes.load(std::memory_order_relaxed);
      b.bytes_cached = l.buffer_bytes_cached.load(std::memory_order_relaxed);
      b.cache_hits = l.buffer_cache_hits.load(std::memory_order_relaxed);
      b.cache_misses = l.buffer_cache_misses.load(std::memory_order_relaxed);
      const uint64_t requested = l.buffer_bytes_requested.load(std::memory_order_relaxed);
      // The two loads are not one snapshot: clamp a share the race could push below zero.
      b.fragmentation = b.bytes_in_use > requested ? 1.0 - static_cast<double>(requested) /
                                                               static_cast<double>(b.bytes_in_use)
                                                   : 0.0;
      mt.buffers = b;
    }
    s.models.push_back(std::move(mt));
  }
  for (Snk& k : sinks_) {
    SinkTelemetry st;
    st.name = k.name;
    st.written = delta(k.live->written.load(std::memory_order_relaxed), k.written);
    st.dropped = delta(k.live->dropped.load(std::memory_order_relaxed), k.dropped);
    st.errors = delta(k.live->errors.load(std::memory_order_relaxed), k.errors);
    s.sinks.push_back(std::move(st));
  }
  if (control_) s.control = control_->take();
  s.system.cpu_percent = process_.cpu_percent();
  s.system.rss_bytes = ProcessSampler::rss_bytes();
  s.system.gpu = gpu_.sample();
  return s;
}

RunSummary TelemetryCollector::summary(double wall_s) const {
  constexpr auto relaxed = std::memory_order_relaxed;
  RunSummary sum;
  sum.wall_s = wall_s;
  for (const Cam& c : cameras_) {
    const LiveCamera& l = *c.live;
    CameraSummary cs;
    cs.id = c.info.id;
    cs.captured = l.captured.load(relaxed);
    cs.read_errors = l.read_errors.load(relaxed);
    cs.reconnects = l.reconnects.load(relaxed);
    cs.gave_up = l.gave_up.load(relaxed);
    cs.slot_drops = l.slot_drops.load(relaxed);
    cs.unprocessed = l.drops.load(relaxed);
    cs.partial = l.partial.load(relaxed);
    cs.completed = l.completed.load(relaxed);
    cs.deadline_misses = l.deadline_misses.load(relaxed);
    cs.late_dropped = l.late_dropped.load(relaxed);
    cs.published = l.published.load(relaxed);
    cs.skipped = l.skipped.load(relaxed);
    cs.fps = wall_s > 0 ? static_cast<double>(cs.completed) / wall_s : 0;
    cs.end_to_end_ns = *c.run_e2e;
    cs.imgproc_ns = *c.run_imgproc;
    sum.cameras.push_back(std::move(cs));
  }
  for (const Mod& m : models_) {
    const LiveModel& l = *m.live;
    ModelSummary ms;
    ms.id = m.info.id;
    ms.max_batch = l.max_batch.load(relaxed);
    ModelStats& st = ms.stats;
    st.frames = l.frames.load(relaxed);
    st.failed = l.failed.load(relaxed);
    st.dropped_late = l.dropped_late.load(relaxed);
    st.batches = l.batches.load(relaxed);
    st.oom_degrades = l.oom_degrades.load(relaxed);
    st.tracked = l.tracked.load(relaxed);
    st.tracks = l.tracks.load(relaxed);
    st.track_invalid = l.track_invalid.load(relaxed);
    st.track_capped = l.track_capped.load(relaxed);
    // Sized by the batch the executor could run at start (a fixed-batch model: 1).
    const size_t limit = l.batch_limit ? l.batch_limit : m.info.max_batch;
    for (size_t n = 0; n <= std::min(limit, l.batch_sizes.size() - 1); ++n)
      st.batch_sizes.push_back(l.batch_sizes[n].load(relaxed));
    st.queue_ns = *m.run_stages[0];
    st.preprocess_ns = *m.run_stages[1];
    st.inference_ns = *m.run_stages[2];
    st.postprocess_ns = *m.run_stages[3];
    sum.models.push_back(std::move(ms));
  }
  for (const Snk& k : sinks_)
    sum.sinks.emplace_back(k.name,
                           SinkStats{k.live->written.load(relaxed), k.live->dropped.load(relaxed),
                                     k.live->errors.load(relaxed)});
  if (control_) sum.control = control_->run();
  return sum;
}

}  // namespace percept
