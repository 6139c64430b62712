#include "sequencer.hpp"

#include <spdlog/spdlog.h>

#include "percept/core/clock.hpp"
#include "percept/track/position_3d.hpp"

namespace percept {

void Sequencer::track(CameraState& c, const FrameRef& f) {
  std::lock_guard lock(c.mu);  // the sequencer learns of the frame before any model
  c.order.push_back(f);
}

void Sequencer::drop_for_all(CameraState& c, FrameRef& f) {
  for (size_t m : c.models) {
    f->results[m].state = ModelResult::State::dropped;
    model_done(f);
  }
}

void Sequencer::model_done(FrameRef& f) {
  if (f->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) complete(f);
}

// Every model is done with `f`: release the finished frames at the head of its camera's
// capture order.
void Sequencer::complete(FrameRef& f) {
  CameraState& c = cams_[f->camera];
  std::lock_guard lock(c.mu);
  f->complete_ns = now_ns();
  while (!c.order.empty() && c.order.front()->complete_ns != 0) {
    FrameRef head = std::move(c.order.front());
    c.order.pop_front();
    publish(c, head);
  }
}

void Sequencer::publish(CameraState& c, FrameRef& f) {
  size_t with_result = 0;
  for (size_t m : c.models) with_result += f->results[m].state != ModelResult::State::dropped;
  LiveCamera& live = *c.live;
  constexpr auto relaxed = std::memory_order_relaxed;
  if (!c.models.empty() && with_result == 0) {
    live.drops.fetch_add(1, relaxed);
    return;
  }
  if (with_result < c.models.size()) live.partial.fetch_add(1, relaxed);
  live.completed.fetch_add(1, relaxed);
  const int64_t e2e = f->complete_ns - f->capture_ns;
  live.end_to_end.record(e2e);
  if (live.watched) live.control_e2e.record(e2e);
  if (c.deadline_ns > 0 && e2e > c.deadline_ns) {
    live.deadline_misses.fetch_add(1, relaxed);
    f->deadline_missed = true;
    if (c.config->drop_late) {
      live.late_dropped.fetch_add(1, relaxed);
      return;
    }
  }
  fuse(c, *f);
  follow(c, *f);
  f->publish_ns = now_ns();
  live.published.fetch_add(1, relaxed);
  for (auto& s : sinks_) s->push(f);
  if (preview_ && (!c.preview_ns || f->publish_ns - *c.preview_ns >= preview_interval_ns_)) {
    c.preview_ns = f->publish_ns;
    preview_->push(f);
  }
}

// Distance of each detected object from the camera's depth map (same frame, same pixels), and
// its 3D position when the camera has intrinsics and the depth is metric.
void Sequencer::fuse(CameraState& c, Frame& f) {
  if (c.depth_model < 0) return;
  const ModelResult& d = f.results[static_cast<size_t>(c.depth_model)];
  if (d.state != ModelResult::State::done) return;
  bool in_3d = c.intrinsics.has_value();
  if (in_3d && !c.intrinsics_checked) {
    c.intrinsics_checked = true;
    const Intrinsics& k = *c.intrinsics;
    if (k.cx >= f.image.width() || k.cy >= f.image.height()) {
      spdlog::error(
          "camera '{}': {}: the principal point ({}, {}) is outside its {}x{} frames; "
          "no 3D positions for this camera",
          c.config->id, c.config->intrinsics_where, k.cx, k.cy, f.image.width(), f.image.height());
      c.intrinsics.reset();
      in_3d = false;
    }
  }
  if (in_3d && d.output.depth.unit != DepthUnit::metres) {
    if (!c.relative_depth_noted)
      spdlog::warn(
          "camera '{}': its depth model gives relative depth: no 3D positions (a metric "
          "depth model, depth_unit: m, gives them)",
          c.config->id);
    c.relative_depth_noted = true;
    in_3d = false;
  }
  for (size_t m : c.models)
    if (f.results[m].state == ModelResult::State::done &&
        has(f.results[m].output.contents, Content::detections)) {
      Detections& dets = f.results[m].output.detections;
      fuse_distances(dets, d.output.depth, distance_, c.fuse_scratch);
      if (in_3d) locate_in_3d(dets, *c.intrinsics);
    }
}

// Tracks run here, in capture order, after fusion (so that a track's 3D history is filtered).
void Sequencer::follow(CameraState& c, Frame& f) {
  for (size_t k = 0; k < c.trackers.size(); ++k) {
    ByteTracker* t = c.trackers[k].get();
    ModelResult& r = f.results[c.models[k]];
    if (!t || r.state != ModelResult::State::done) continue;
    // The frame's time in the stream: from the file's rate when it is read faster than real
    // time, else when it was captured (a ROS 2 header stamp for ros2 cameras).
    const int64_t t_ns =
        c.stream_fps > 0 ? static_cast<int64_t>(static_cast<double>(f.index) * 1e9 / c.stream_fps)
                         : f.capture_wall_ns;
    t->update(r.output.detections, t_ns, c.keep_scratch);
    r.output.retain_detections(c.keep_scratch);
    // The model's counters add what this tracker counted since last time.
    const TrackerStats& s = t->stats();
    TrackerStats& was = c.tracker_counted[k];
    LiveModel& live = *c.tracker_live[k];
    constexpr auto relaxed = std::memory_order_relaxed;
    live.tracks.fetch_add(s.confirmed - was.confirmed, relaxed);
    live.track_invalid.fetch_add(s.invalid - was.invalid, relaxed);
    live.track_capped.fetch_add(s.capped - was.capped, relaxed);
    was = s;
  }
}

}  // namespace percept
