#include "sequencer.hpp"

#include "percept/core/clock.hpp"

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
  if (c.deadline_ns > 0 && e2e > c.deadline_ns) {
    live.deadline_misses.fetch_add(1, relaxed);
    f->deadline_missed = true;
    if (c.config->drop_late) {
      live.late_dropped.fetch_add(1, relaxed);
      return;
    }
  }
  fuse(c, *f);
  f->publish_ns = now_ns();
  live.published.fetch_add(1, relaxed);
  for (auto& s : sinks_) s->push(f);
  if (preview_ && (!c.preview_ns || f->publish_ns - *c.preview_ns >= preview_interval_ns_)) {
    c.preview_ns = f->publish_ns;
    preview_->push(f);
  }
}

// Distance of each detected object from the camera's depth map (same frame, same pixels).
void Sequencer::fuse(CameraState& c, Frame& f) {
  if (c.depth_model < 0) return;
  const ModelResult& d = f.results[static_cast<size_t>(c.depth_model)];
  if (d.state != ModelResult::State::done) return;
  for (size_t m : c.models)
    if (f.results[m].state == ModelResult::State::done &&
        has(f.results[m].output.contents, Content::detections))
      fuse_distances(f.results[m].output.detections, d.output.depth, distance_, c.fuse_scratch);
}

}  // namespace percept
